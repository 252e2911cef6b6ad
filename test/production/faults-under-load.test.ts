import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { inBatches } from '../../scripts/lib/bench/stats';
import { postTargetTweet, sandboxTweets } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { startSync } from '../../src/temporal/start-sync';
import type { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { stackFault } from '../helpers/production';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * The production engine under load and faults: 300 auto replies and 2,000 synced messages on two worker processes,
 * while one worker is SIGKILLed (and replaced), the Temporal Server is SIGKILLed and started again, and PostgreSQL is
 * stopped at once (a crash, recovered from its WAL) and started again. Each fault comes when a share of the work is
 * done and much of it is in flight, wherever this machine's speed puts that in time. Afterwards: every reply posted
 * on X once and recorded, every message stored once, no dead letter. It prints how long each part took.
 */
const launch = sandboxWorkers();
after(closeTestClient);

const replyCount = 300;
const messageCount = 2_000;
const total = replyCount + messageCount;

/** Completed and not completed (failed, timed out, terminated, cancelled) units on the task queue, from visibility. */
async function outcomes(client: Client, taskQueue: string): Promise<{ completed: number; closedOtherwise: number }> {
  const ours = `TaskQueue = '${taskQueue}' AND WorkflowType IN ('replyWorkflowV2', 'syncMessageWorkflow')`;
  const [completed, closedOtherwise] = await Promise.all([
    client.workflow.count(`${ours} AND ExecutionStatus = 'Completed'`),
    client.workflow.count(`${ours} AND ExecutionStatus != 'Completed' AND ExecutionStatus != 'Running'`),
  ]);
  return { completed: completed.count, closedOtherwise: closedOtherwise.count };
}

describe('the production engine under load and faults', () => {
  test(`${replyCount} replies and ${messageCount} syncs through a worker SIGKILL, a server crash and a PostgreSQL crash: each done once, no dead letter`, async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('faults');
    const chat = String(100_000 + Math.floor(Math.random() * 900_000));
    const began = performance.now();
    const seconds = (since = began) => ((performance.now() - since) / 1000).toFixed(1);
    const timeline: string[] = [];
    const note = (line: string) => timeline.push(`  ${seconds().padStart(6)} s  ${line}`);

    const doomed = await launch(taskQueue, { WORKER_ID: 'load-a' });
    const survivors = [await launch(taskQueue, { WORKER_ID: 'load-b' })];
    const targets = Array.from({ length: replyCount }, (_, i) => ({
      text: `Load ${i} ${Date.now()}`,
      authorUsername: 'loadfan',
    }));
    const tweetIds = await inBatches(targets, 50, (target) => postTargetTweet(testSandboxPort(), target));
    note('two workers up, target tweets on X');

    const replies = tweetIds.map((id, i) => ({ id, ...targets[i]! }));
    const messageIds = Array.from({ length: messageCount }, (_, i) => i + 1);
    await Promise.all([
      inBatches(replies, 50, (tweet) => startReply(client, taskQueue, { accountId: 'alice', tweet, approval: 'auto' })),
      inBatches(messageIds, 100, (messageId) =>
        startSync(client, taskQueue, {
          accountId: 'alice',
          message: {
            chatId: chat,
            messageId,
            senderId: chat,
            text: `load ${messageId}`,
            date: 1_800_000_000 + messageId,
          },
        }),
      ),
    ]);
    note(`${total} workflows started`);

    // Each fault once this share is done: the rest is in flight or waiting.
    const whenDone = async (share: number) => {
      let done = 0;
      await eventually(
        `${Math.round(share * 100)}% of the work done`,
        async () => {
          done = (await outcomes(client, taskQueue)).completed;
          return done >= share * total;
        },
        600_000,
      );
      return done;
    };
    const inFlight: number[] = [];

    const atWorkerKill = await whenDone(0.1);
    doomed.child.kill('SIGKILL');
    assert.equal((await doomed.exited).signal, 'SIGKILL');
    survivors.push(await launch(taskQueue, { WORKER_ID: 'load-c' }));
    inFlight.push(total - atWorkerKill);
    note(`worker load-a SIGKILLed at ${atWorkerKill}/${total} done; load-c started in its place`);

    const atServerKill = await whenDone(0.3);
    await stackFault('server/kill');
    await sleep(5_000);
    const startMs = await stackFault('server/start');
    inFlight.push(total - atServerKill);
    note(
      `Temporal Server SIGKILLed at ${atServerKill}/${total} done, down 5 s, up again in ${(startMs / 1000).toFixed(1)} s`,
    );

    const atPostgresCrash = await whenDone(0.5);
    const restartMs = await stackFault('postgres/restart');
    inFlight.push(total - atPostgresCrash);
    note(
      `PostgreSQL crashed at ${atPostgresCrash}/${total} done, recovered and up in ${(restartMs / 1000).toFixed(1)} s`,
    );

    await eventually(
      'every unit to end',
      async () => {
        const now = await outcomes(client, taskQueue).catch(() => undefined);
        return now !== undefined && now.completed + now.closedOtherwise === total;
      },
      900_000,
    );
    note('every unit ended');
    console.log(`  timeline (from the first worker's start):\n${timeline.join('\n')}`);
    console.log(`  ${total} units in ${seconds()} s, ${(total / Number(seconds())).toFixed(1)}/s through the faults`);

    assert.ok(
      inFlight.every((left) => left > 0),
      `work was in flight at each fault (${inFlight.join(', ')})`,
    );
    assert.deepEqual(await outcomes(client, taskQueue), { completed: total, closedOtherwise: 0 }, 'no dead letter');
    // The workers rode out the server's and the database's outages: they waited, and went on polling.
    assert.deepEqual(
      survivors.map((worker) => worker.child.exitCode ?? worker.child.signalCode),
      [null, null],
      survivors.map((worker) => worker.output().slice(-2000)).join('\n'),
    );

    const results = await inBatches(tweetIds, 50, async (tweetId) => {
      const handle = client.workflow.getHandle<typeof replyWorkflowV2>(workflowIds.reply('alice', tweetId));
      return (await handle.result()).status;
    });
    assert.deepEqual(new Set(results), new Set(['posted']), 'every reply posted');

    const onX = new Map<string, number>();
    for (const tweet of await sandboxTweets(testSandboxPort())) {
      if (tweet.in_reply_to && tweet.authorUsername === 'alice') {
        onX.set(tweet.in_reply_to, (onX.get(tweet.in_reply_to) ?? 0) + 1);
      }
    }
    const postedTimes = tweetIds.map((id) => onX.get(id) ?? 0);
    assert.deepEqual(
      postedTimes.filter((times) => times !== 1),
      [],
      'each reply is on X exactly once',
    );

    const convex = await sandboxCall<{
      replies: Record<string, { replyTweetId: string }>;
      messages: Record<string, { id: string; text: string }>;
    }>({ url: `http://127.0.0.1:${testSandboxPort() + 2}` }, 'GET', '/_sandbox/state');
    assert.equal(tweetIds.filter((id) => convex.body.replies[`alice:${id}`]).length, replyCount, 'each reply recorded');
    const stored = Object.entries(convex.body.messages).filter(([key]) => key.startsWith(`alice:${chat}:`));
    assert.equal(stored.length, messageCount, 'every message stored');
    assert.equal(new Set(stored.map(([, doc]) => doc.id)).size, messageCount, 'each message stored once');
    assert.ok(
      stored.every(([key, doc]) => doc.text === `load ${key.split(':')[2]}`),
      'each message stored as sent',
    );
  });
});
