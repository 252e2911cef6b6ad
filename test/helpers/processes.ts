import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { workerEntry, workerNodeArgs } from '../../scripts/lib/worker-process';

/** A TypeScript entry point run as its own Node process (no tsx wrapper, so its pid is the one to kill). */
export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `input`, when given, is written to the process's standard input, which is then closed. `ownGroup` puts it and its
 * children in a process group of their own, so that `process.kill(-pid, signal)` reaches them all, as a terminal's
 * Ctrl-C does.
 */
export function startTsProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  input?: string,
  ownGroup = false,
): RunningProcess {
  // The worker as it runs in production (`npm run worker`, the systemd unit); anything else with tsx's full loader.
  const loader = resolve(script) === workerEntry ? workerNodeArgs : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, resolve(script), ...args], {
    env: { ...process.env, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  if (input !== undefined) child.stdin?.end(input);
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );

  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((done, fail) => {
      const check = () => {
        if (pattern.test(output)) {
          cleanup();
          done();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          onExit();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`${script} did not print ${pattern} within ${timeoutMs} ms; it printed:\n${output}`));
      }, timeoutMs);
      const onExit = () => {
        cleanup();
        fail(new Error(`${script} exited before printing ${pattern}; it printed:\n${output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', onExit);
      };
      listeners.add(check);
      child.once('exit', onExit);
      check();
    });

  return { child, output: () => output, waitForOutput, exited };
}
