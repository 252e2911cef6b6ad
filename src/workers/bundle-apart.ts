import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Bundling takes seconds (about 4 on a busy 2-core host); a bundler still running after this is stuck. */
const bundlerTimeoutMs = 5 * 60_000;

/** The bundler's own heap: the worker's limit (NODE_OPTIONS, the bench's `--heap`) is too small for webpack. */
const bundlerHeapMb = 1024;

/** The bundler did not hand a bundle back; `signal` when it was stopped by one (a Ctrl-C or a stop reaches both). */
export class BundlingFailed extends Error {
  constructor(
    message: string,
    readonly signal?: NodeJS.Signals,
  ) {
    super(message);
  }
}

/**
 * The workflow bundle's code, made by a short-lived node process (bundle-main.ts) for a worker run from the sources
 * (`npm run worker`, the systemd unit, `npm start`). Bundling in the worker itself (the SDK's `workflowsPath`) ran
 * webpack there, and the worker kept what that took: some 80 MB of its RSS for as long as it ran
 * (docs/performance.md). The code comes back over a pipe (the child's descriptor 3): no file another user could read
 * or change; whatever the child prints goes to the worker's stderr (its stdout is the worker's JSON log).
 */
export function bundleApart(entry = require.resolve('./bundle-main')): Promise<string> {
  // The sources run under tsx's CommonJS loader, as the worker does (scripts/lib/worker-process.ts); compiled, alone.
  const loader = entry.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
  // A flag on the command line wins over the same one in NODE_OPTIONS.
  const args = [`--max-old-space-size=${bundlerHeapMb}`, ...loader, entry];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 2, 'inherit', 'pipe'] });
  // A worker that ends first (a failed start-up) takes its bundler along.
  const stop = () => child.kill();
  process.once('exit', stop);
  let stuck = false;
  const timer = setTimeout(() => {
    stuck = true;
    child.kill('SIGKILL');
  }, bundlerTimeoutMs);
  const chunks: Buffer[] = [];
  (child.stdio[3] as Readable).on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<string>((done, fail) => {
    const ended = () => {
      process.off('exit', stop);
      clearTimeout(timer);
    };
    child.once('error', (err) => {
      ended();
      fail(new BundlingFailed(`Cannot start the workflow bundler (${entry}): ${err.message}`));
    });
    // 'close': the pipe has given all it holds.
    child.once('close', (code, signal) => {
      ended();
      if (code === 0) return done(Buffer.concat(chunks).toString('utf8'));
      const how = stuck ? `still running after ${bundlerTimeoutMs / 60_000} minutes` : (signal ?? `exit ${code}`);
      fail(new BundlingFailed(`Bundling the workflows failed (${how}): see the lines above`, signal ?? undefined));
    });
  });
}
