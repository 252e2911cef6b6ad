import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds, type ReplyInput } from '../../src/domain/contracts';
import { approveSignal } from '../../src/workflows/messages';
import { readSteps } from '../fixtures/step-log';
import {
  closeTestClient,
  eventually,
  testAddress,
  testClient,
  uniqueId,
  uniqueTaskQueue,
  waitForStage,
  workflowBundlePath,
} from '../helpers/temporal';
import { startTsProcess, type RunningProcess } from '../helpers/processes';

/**
 * Crash recovery with real processes: a worker is SIGKILLed (no graceful shutdown, no chance to report anything)
 * and a second worker process finishes the same workflow from its history.
 */
const running: RunningProcess[] = [];

function startWorker(taskQueue: string, stepLog: string, hangIn?: string): Promise<RunningProcess> {
  const worker = startTsProcess('test/fixtures/recording-worker.ts', {
    STEADFAST_TEST_TEMPORAL_ADDRESS: testAddress(),
    STEADFAST_TEST_WORKFLOW_BUNDLE: workflowBundlePath(),
    TASK_QUEUE: taskQueue,
    STEP_LOG: stepLog,
    HANG_IN: hangIn ?? '',
  });
  running.push(worker);
  return worker.waitForOutput(/^ready$/m).then(() => worker);
}

async function kill(worker: RunningProcess): Promise<void> {
  worker.child.kill('SIGKILL');
  assert.equal((await worker.exited).signal, 'SIGKILL');
}

async function completedActivities(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((event) => event.activityTaskCompletedEventAttributes).length;
}

function ownerReply(): ReplyInput {
  return {
    accountId: 'alice',
    tweet: { id: uniqueId('tweet'), text: 'Crash me', authorUsername: 'bob' },
    approval: 'owner',
  };
}

afterEach(() => {
  running.splice(0).forEach((worker) => worker.child.kill('SIGKILL'));
});
after(closeTestClient);

describe('a worker killed with SIGKILL', () => {
  test('between steps: a second worker finishes the workflow and repeats no completed step', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('crash');
    const stepLog = join(mkdtempSync(join(tmpdir(), 'steadfast-')), 'steps.jsonl');
    const input = ownerReply();

    const first = await startWorker(taskQueue, stepLog);
    const handle = await client.workflow.start(replyWorkflowV2, {
      taskQueue,
      workflowId: workflowIds.reply(input.accountId, input.tweet.id),
      args: [input],
    });
    await waitForStage(handle, 'awaiting-approval');
    // generateReply and the approval request are durably completed in history before the kill.
    await eventually('two completed activities', async () => (await completedActivities(handle)) === 2);
    await kill(first);

    const second = await startWorker(taskQueue, stepLog);
    await handle.signal(approveSignal, {});
    const result = await handle.result();

    assert.equal(result.status, 'posted');
    const steps = readSteps(stepLog).map(({ name, pid }) => ({
      name,
      by: pid === first.child.pid ? 'first' : 'second',
    }));
    assert.equal(second.child.pid === first.child.pid, false);
    assert.deepEqual(steps, [
      { name: 'generateReply', by: 'first' },
      { name: 'notifyOwner', by: 'first' },
      { name: 'postReply', by: 'second' },
      { name: 'recordReply', by: 'second' },
      { name: 'notifyOwner', by: 'second' },
    ]);
  });

  test('inside an activity: the attempt times out and is retried on the replacement worker', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('crash');
    const stepLog = join(mkdtempSync(join(tmpdir(), 'steadfast-')), 'steps.jsonl');
    const input = { ...ownerReply(), approval: 'auto' as const };

    // The first worker hangs inside postReply; killed there, its attempt never reports back.
    const first = await startWorker(taskQueue, stepLog, 'postReply');
    const handle = await client.workflow.start(replyWorkflowV2, {
      taskQueue,
      workflowId: uniqueId('reply'),
      args: [input],
    });
    await eventually('postReply to start', async () => readSteps(stepLog).some((step) => step.name === 'postReply'));
    await kill(first);

    await startWorker(taskQueue, stepLog);
    const result = await handle.result();

    assert.equal(result.status, 'posted');
    const steps = readSteps(stepLog).map(({ name, pid, attempt }) => ({
      name,
      attempt,
      by: pid === first.child.pid ? 'first' : 'second',
    }));
    assert.deepEqual(steps, [
      { name: 'generateReply', attempt: 1, by: 'first' },
      { name: 'postReply', attempt: 1, by: 'first' },
      // startToClose (15 s, policies.xApi) expires the lost attempt; the retry runs on the live worker.
      { name: 'postReply', attempt: 2, by: 'second' },
      { name: 'recordReply', attempt: 1, by: 'second' },
      { name: 'notifyOwner', attempt: 1, by: 'second' },
    ]);
  });
});
