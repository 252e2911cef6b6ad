import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import type { Activities } from '../../src/workflows/activity-types';
import { syncMessageWorkflow } from '../../src/workflows';
import { policies } from '../../src/workflows/policies';
import { closeTestClient, testClient, uniqueId, uniqueTaskQueue, withWorker } from '../helpers/temporal';

after(closeTestClient);

describe('short activities kept alive by the worker (src/activities/keep-alive.ts)', () => {
  test('a Convex call slower than its heartbeat timeout completes in its first attempt', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('keep-alive');
    const heartbeatTimeoutMs = 5_000;
    assert.equal(policies.convex.heartbeatTimeout, `${heartbeatTimeoutMs / 1000}s`, 'the policy this test is about');
    const attempts: number[] = [];
    const activities: Pick<Activities, 'saveMessage' | 'notifyOwner'> = {
      async saveMessage() {
        attempts.push(Context.current().info.attempt);
        await sleep(heartbeatTimeoutMs * 1.6); // past the heartbeat timeout: only the worker's heartbeats keep it
        return { created: true };
      },
      notifyOwner: async () => undefined,
    };
    const result = await withWorker({ taskQueue, activities }, () =>
      client.workflow.execute(syncMessageWorkflow, {
        taskQueue,
        workflowId: uniqueId('sync:alice:1'),
        args: [{ accountId: 'alice', message: { chatId: '1', messageId: 1, senderId: '2', text: 'hi', date: 1 } }],
      }),
    );
    assert.deepEqual(result, { stored: true });
    assert.deepEqual(attempts, [1], 'one attempt: never timed out');
  });
});
