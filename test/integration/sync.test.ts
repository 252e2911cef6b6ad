import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { failedRequests, setSandboxFaults } from '../../src/sandbox/sandbox';
import { startSync } from '../../src/temporal/start-sync';
import type { syncMessageWorkflow } from '../../src/workflows';
import { workflowIds, type SyncInput } from '../../src/domain/contracts';
import { sandboxActivities, sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, eventually, testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

/** syncMessageWorkflow on the dev server, with the real Convex and Telegram clients against the test sandbox. */
after(closeTestClient);
afterEach(() => setSandboxFaults(testSandboxPort(), 'convex', {}));

const convexState = async () =>
  (
    await sandboxCall<{ messages: Record<string, { text: string }> }>(
      { url: `http://127.0.0.1:${testSandboxPort() + 2}` },
      'GET',
      '/_sandbox/state',
    )
  ).body.messages;

/** The attempt at which a sync's write to Convex completed. */
async function saveAttempts(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return Math.max(0, ...events.map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 0));
}

const chatId = () => String(100_000 + Math.floor(Math.random() * 900_000));
const input = (chat: string, messageId: number, text = `message ${messageId}`): SyncInput => ({
  accountId: 'alice',
  message: { chatId: chat, messageId, senderId: chat, text, date: 1_800_000_000 + messageId },
});

describe('syncMessageWorkflow', () => {
  test('stores a message once; the same message again starts nothing', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('sync');
    const chat = chatId();
    await withWorker({ taskQueue, activities: (await sandboxActivities(taskQueue)).activities }, async () => {
      assert.deepEqual(await startSync(client, taskQueue, input(chat, 1)), { started: true });
      const handle = client.workflow.getHandle<typeof syncMessageWorkflow>(workflowIds.sync('alice', chat, 1));
      assert.deepEqual(await handle.result(), { stored: true });
      assert.deepEqual(await startSync(client, taskQueue, input(chat, 1, 'again')), { started: false });
    });
    const stored = Object.entries(await convexState()).filter(([key]) => key.startsWith(`alice:${chat}:`));
    assert.deepEqual(
      stored.map(([key, doc]) => [key, doc.text]),
      [[`alice:${chat}:1`, 'message 1']],
    );
  });

  // The outage lasts until 10 s after the last message arrived: four failed attempts for every message at least (the
  // policy waits 1, 2, 4 s between them), as the day-long outages the policy is for would be many more.
  test('500 messages arriving while Convex answers 503, until 10 s after the last, are all stored, each once, after it recovers', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('sync-outage');
    const chat = chatId();
    const count = 500;
    const outageMs = 10_000;
    const failedBefore = await failedRequests(testSandboxPort(), 'convex');
    await setSandboxFaults(testSandboxPort(), 'convex', { errorRate: 1, errorStatus: 503 });
    const started = performance.now();
    let recovered: NodeJS.Timeout | undefined;
    try {
      await withWorker({ taskQueue, activities: (await sandboxActivities(taskQueue)).activities }, async () => {
        for (let id = 1; id <= count; id++) await startSync(client, taskQueue, input(chat, id));
        recovered = setTimeout(() => void setSandboxFaults(testSandboxPort(), 'convex', {}), outageMs);
        await Promise.all(
          Array.from({ length: count }, (_, i) =>
            client.workflow.getHandle(workflowIds.sync('alice', chat, i + 1)).result(),
          ),
        );
      });
    } finally {
      clearTimeout(recovered);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const refused = (await failedRequests(testSandboxPort(), 'convex')) - failedBefore;
    console.log(
      `  ${count} messages stored ${seconds} s after the outage began (it ended 10 s after the last arrived); ${refused} refused writes`,
    );
    // Convex's circuit breaker (3 failures, 30 s) holds the retries back without a request: the outage was met by
    // requests until it opened, and every message's write was tried again, by Temporal, until Convex took it.
    assert.ok(refused >= 3, `the outage reached Convex until the breaker opened (${refused} refused writes)`);
    const attempts: number[] = [];
    for (let first = 1; first <= count; first += 50) {
      const ids = Array.from({ length: Math.min(50, count - first + 1) }, (_, i) => first + i);
      attempts.push(
        ...(await Promise.all(
          ids.map((id) => saveAttempts(client.workflow.getHandle(workflowIds.sync('alice', chat, id)))),
        )),
      );
    }
    assert.ok(
      attempts.every((attempt) => attempt >= 2),
      `every message was retried through the outage (fewest attempts: ${Math.min(...attempts)})`,
    );
    const keys = Object.keys(await convexState()).filter((key) => key.startsWith(`alice:${chat}:`));
    assert.equal(keys.length, count);
    assert.equal(new Set(keys).size, count);
  });

  test('bad data fails at once as a dead letter with its category, and the owner is alerted', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('sync-bad');
    const chat = chatId();
    const bad = { ...input(chat, 7), message: { ...input(chat, 7).message, date: 'yesterday' as unknown as number } };
    const alerted = async () => {
      const { body } = await sandboxCall<{ messages: { chatId: string; out: boolean; text: string }[] }>(
        { url: `http://127.0.0.1:${testSandboxPort() + 3}` },
        'GET',
        '/_sandbox/state',
      );
      return body.messages.some(
        (m) => m.out && m.chatId === '1000' && m.text.includes(`Workflow: sync:alice:${chat}:7`),
      );
    };
    const failure = await withWorker(
      { taskQueue, activities: (await sandboxActivities(taskQueue)).activities },
      async () => {
        await startSync(client, taskQueue, bad);
        const failed = await client.workflow
          .getHandle(workflowIds.sync('alice', chat, 7))
          .result()
          .then(
            () => assert.fail('the sync should have failed'),
            (err: unknown) => err,
          );
        // The owner's outbox sends the alert at Telegram's pace, on this worker.
        await eventually('the alert on Telegram', alerted).catch(() => undefined);
        return failed;
      },
    );
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'invalid-input');
    assert.ok(await alerted(), 'the owner was alerted on Telegram');
  });
});
