import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startTsProcess } from '../helpers/processes';
import {
  closeTestClient,
  testAddress,
  testClient,
  testNamespace,
  uniqueId,
  uniqueTaskQueue,
} from '../helpers/temporal';

after(closeTestClient);

/**
 * On a host starved for CPU or memory one workflow activation can take seconds. With the SDK's default limit (5 s)
 * the SDK stops it, and Node then aborts the whole worker process ("async hook stack has become corrupted",
 * nodejs/node#38503): every workflow and activity it held is lost with it. The worker's options (worker-options.ts,
 * policies.workflowActivationLimit) let such an activation finish.
 */
test('an activation that holds the workflow thread for 6 s finishes, and the worker process lives on', async () => {
  const taskQueue = uniqueTaskQueue('slow-activation');
  const worker = startTsProcess('test/fixtures/slow-workflow-worker.ts', {
    STEADFAST_TEST_TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_NAMESPACE: testNamespace(),
    TASK_QUEUE: taskQueue,
  });
  try {
    await worker.waitForOutput(/^ready$/m, 90_000);
    const client = await testClient();
    const handle = await client.workflow.start('slowActivationWorkflow', {
      taskQueue,
      workflowId: uniqueId('slow-activation'),
      args: [6_000],
      // Above the 6 s: a task slower than its timeout is given back by the server whatever the worker does.
      workflowTaskTimeout: '30s',
      workflowExecutionTimeout: '1m',
    });
    const died = worker.exited.then(({ code, signal }) => {
      throw new Error(`the worker process ended (${signal ?? code}) while the workflow ran:\n${worker.output()}`);
    });
    died.catch(() => undefined); // once the test kills it, its end is no failure
    assert.equal(await Promise.race([handle.result(), died]), 'done');
    assert.doesNotMatch(worker.output(), /async hook stack|Script execution timed out/);
  } finally {
    worker.child.kill('SIGKILL');
  }
});
