import { after, before } from 'node:test';
import { startTsProcess, type RunningProcess } from './processes';
import { testAddress, uniqueTaskQueue } from './temporal';

export interface CliRun {
  code: number | null;
  output: string;
}

/**
 * The `steadfast` bin (what `npm run cli` runs) as a subprocess against the test dev server, with a real worker process (`npm run worker`) on a task
 * queue of the file's own, on the sandbox; the worker starts before the file's tests and stops after them.
 */
export function cliWithWorker(prefix: string, workerEnv: NodeJS.ProcessEnv = {}) {
  const taskQueue = uniqueTaskQueue(prefix);
  const env = () => ({ TEMPORAL_ADDRESS: testAddress(), TEMPORAL_TASK_QUEUE: taskQueue, STEADFAST_SANDBOX: 'on' });
  let worker: RunningProcess;
  before(async () => {
    worker = startTsProcess('src/workers/main.ts', { ...env(), ...workerEnv });
    await worker.waitForOutput(/"msg":"worker polling"/);
  });
  after(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
  });
  /** Runs one command; `input` is its standard input, `env` overrides the environment. */
  const cli = async (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> => {
    const run = startTsProcess('bin/steadfast.js', { ...env(), ...options.env }, args, options.input);
    const { code } = await run.exited;
    return { code, output: run.output().trim() };
  };
  return { taskQueue, cli };
}
