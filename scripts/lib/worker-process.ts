import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TeardownStep } from './run-command';

/** A worker (`src/workers/main.ts`) as a child process of a command, and the teardown step that stops it (or any child). */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once it polls; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<void>;
}

/**
 * How node runs a worker from the sources: tsx's CommonJS loader alone. `--import tsx` would add an ES-module loader
 * thread, and another for the SDK's workflow thread: some 20 MB of the worker's memory (docs/performance.md). Nothing
 * the worker loads needs ES-module hooks. `npm run worker` and the systemd unit say the same (services.test.ts).
 */
export const workerNodeArgs = ['--require', 'tsx/cjs'];

/** The worker's entry point. */
export const workerEntry = resolve(__dirname, '../../src/workers/main.ts');

/** A worker bundles the workflows before it polls: a minute on a slow machine; much longer means it is stuck. */
const readyTimeoutMs = 180_000;

/** `stderr`: where its errors go (the terminal, or a log file's descriptor). Its JSON log lines are dropped. */
export function startWorkerProcess(
  env: NodeJS.ProcessEnv,
  stderr: 'inherit' | number = 'inherit',
  /** Another worker entry point (the bench's baseline worker), which says "worker polling" the same way. */
  script = workerEntry,
): WorkerProcess {
  const child = spawn(process.execPath, [...workerNodeArgs, script], {
    env,
    stdio: ['ignore', 'pipe', stderr],
  });
  // A process that could not be spawned at all never exits: its error ends it here.
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
  const ready = new Promise<void>((done, fail) => {
    let pending = '';
    const timer = setTimeout(
      () => fail(new Error(`a worker did not poll within ${readyTimeoutMs / 1000} s`)),
      readyTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      // Whole lines only: a log line may arrive in two chunks.
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      if (!lines.some((line) => line.includes('"msg":"worker polling"'))) return;
      child.stdout?.off('data', onData);
      clearTimeout(timer);
      done();
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`a worker exited with ${signal ?? code} before polling`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(new Error(`a worker could not be started: ${err.message}`));
    });
  });
  ready.catch(() => undefined); // a caller that stops early never awaits it
  child.stdout?.resume();
  return { child, ready, exited };
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Stops workers as Ctrl-C would (SIGTERM: in-flight activities get the shutdown grace). */
export function stopWorkersStep(workers: WorkerProcess[]): TeardownStep {
  return stopProcessesStep(`the worker processes (pids ${workers.map(({ child }) => child.pid).join(', ')})`, workers);
}

/** SIGTERM, then a SIGKILL for any still running after `killAfterMs`, saying so; at a second Ctrl-C, SIGKILL. */
export function stopProcessesStep(
  what: string,
  workers: Pick<WorkerProcess, 'child' | 'exited'>[],
  killAfterMs = 20_000,
): TeardownStep {
  return {
    what,
    async stop() {
      const running = workers.filter(({ child }) => isRunning(child));
      for (const { child } of running) child.kill('SIGTERM');
      const stopped = await Promise.race([
        Promise.all(running.map(({ exited }) => exited)).then(() => true),
        sleep(killAfterMs).then(() => false),
      ]);
      if (stopped) return;
      const stuck = running.filter(({ child }) => isRunning(child));
      for (const { child } of stuck) child.kill('SIGKILL');
      await Promise.all(stuck.map(({ exited }) => exited));
      return `SIGKILLed pids ${stuck.map(({ child }) => child.pid).join(', ')}: not stopped ${killAfterMs / 1000} s after SIGTERM`;
    },
    now() {
      for (const { child } of workers) if (isRunning(child)) child.kill('SIGKILL');
      return true;
    },
  };
}
