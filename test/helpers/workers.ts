import { afterEach } from 'node:test';
import { startTsProcess, type RunningProcess } from './processes';
import { testAddress, workflowBundlePath } from './temporal';

/**
 * Worker processes with the real activities over the test sandbox (test/fixtures/sandbox-worker.ts), so a test can
 * SIGKILL them; every one a test started is killed after it. `env` adds the fixture's switches (WORKER_ID, …).
 */
export function sandboxWorkers(): (taskQueue: string, env?: NodeJS.ProcessEnv) => Promise<RunningProcess> {
  const running: RunningProcess[] = [];
  afterEach(() => running.splice(0).forEach((worker) => worker.child.kill('SIGKILL')));
  return async (taskQueue, env = {}) => {
    const worker = startTsProcess('test/fixtures/sandbox-worker.ts', {
      STEADFAST_TEST_TEMPORAL_ADDRESS: testAddress(),
      STEADFAST_TEST_WORKFLOW_BUNDLE: workflowBundlePath(),
      TASK_QUEUE: taskQueue,
      ...env,
    });
    running.push(worker);
    await worker.waitForOutput(/^ready$/m);
    return worker;
  };
}
