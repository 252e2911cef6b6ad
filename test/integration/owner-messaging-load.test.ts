import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { postTargetTweet, sandboxTweets, setSandboxFaults } from '../../src/sandbox/sandbox';
import { startControlBot } from '../../src/temporal/start-control-bot';
import { startReply } from '../../src/temporal/start-reply';
import { workflowIds } from '../../src/domain/contracts';
import { ownerOutboxStatusQuery } from '../../src/workflows/messages';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { controlBotListening, telegramControl, textsToOwner } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * Owner messaging under load, as a deployment meets it: 200 auto replies started at once, the control bot on, faults
 * on X and on Telegram (with Telegram's own sending limits), two workers and one of them SIGKILLed mid-run.
 */
const launch = sandboxWorkers();
const replies = 200;

describe('owner messaging under load', () => {
  after(async () => {
    const port = testSandboxPort();
    await Promise.all([setSandboxFaults(port, 'x', {}), setSandboxFaults(port, 'telegram', {})]);
    const client = await testClient();
    await client.workflow
      .getHandle(workflowIds.controlBot())
      .terminate('test over')
      .catch(() => undefined);
    await closeTestClient();
  });

  test(`${replies} auto replies at once through faults and a SIGKILLed worker: all posted once, the owner told of each`, async (t) => {
    const port = testSandboxPort();
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('load');
    // One control bot per deployment: another test file may have left one on its own task queue.
    await client.workflow
      .getHandle(workflowIds.controlBot())
      .terminate('another test')
      .catch(() => undefined);
    const workers = [
      await launch(taskQueue, { CONTROL_BOT: '1', WORKER_ID: 'load-a' }),
      await launch(taskQueue, { CONTROL_BOT: '1', WORKER_ID: 'load-b' }),
    ];
    await startControlBot(client, taskQueue);
    await eventually('the control bot to listen', () => controlBotListening(client), 60_000);
    await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/limits', {}); // Telegram's limits, on

    const nonce = randomUUID().slice(0, 8);
    const tweets = await Promise.all(
      Array.from({ length: replies }, async (_, i) => {
        const tweet = { text: `Question ${i} of a burst ${nonce}`, authorUsername: 'erin' };
        return { id: await postTargetTweet(port, tweet), ...tweet };
      }),
    );
    // About one X request in ten fails: a reply meets a few, and its retries wait out 429 resets and backoffs.
    await setSandboxFaults(port, 'x', {
      errorRate: 0.04,
      rateLimitRate: 0.02,
      rateLimitResetSeconds: 2,
      timeoutRate: 0.01,
      lostAnswerRate: 0.03,
      seed: 11,
    });
    await setSandboxFaults(port, 'telegram', {
      rateLimitRate: 0.05,
      rateLimitResetSeconds: 1,
      lostAnswerRate: 0.05,
      requests: ['messages.SendMessage'],
      seed: 12,
    });
    const ownerMessagesBefore = (await textsToOwner()).length;

    const started = Date.now();
    const handles = await Promise.all(
      tweets.map(
        async (tweet) => (await startReply(client, taskQueue, { accountId: 'bob', tweet, approval: 'auto' })).handle,
      ),
    );
    const tweetIds = new Set(tweets.map((tweet) => tweet.id));
    const repliesOnX = async () =>
      (await sandboxTweets(port)).filter(
        (tweet) => tweet.authorUsername === 'bob' && tweet.in_reply_to && tweetIds.has(tweet.in_reply_to),
      );
    await eventually('a quarter of the replies on X', async () => (await repliesOnX()).length >= replies / 4, 120_000);
    workers[0]!.child.kill('SIGKILL');
    assert.equal((await workers[0]!.exited).signal, 'SIGKILL');

    const outcomes = await Promise.allSettled(handles.map((handle) => handle.result()));
    const elapsed = (Date.now() - started) / 1000;
    const failed = outcomes.flatMap((outcome, i) =>
      outcome.status === 'rejected'
        ? [
            `${handles[i]!.workflowId}: ${(outcome.reason as Error & { cause?: Error }).cause?.message ?? String(outcome.reason)}`,
          ]
        : [],
    );
    assert.deepEqual(failed, [], 'no dead letter');
    const statuses = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.status : 'failed'));
    assert.deepEqual(
      statuses.filter((status) => status !== 'posted'),
      [],
    );

    const onX = await repliesOnX();
    const perTweet = new Map<string, number>();
    for (const reply of onX) perTweet.set(reply.in_reply_to!, (perTweet.get(reply.in_reply_to!) ?? 0) + 1);
    assert.equal(perTweet.size, replies, 'every tweet answered');
    assert.deepEqual(
      [...perTweet].filter(([, count]) => count !== 1),
      [],
      'exactly one reply per tweet',
    );

    t.diagnostic(`all ${replies} settled after ${elapsed.toFixed(1)} s`);
    // The owner hears of each, alone or in a digest; the outbox sends at Telegram's pace, so it may trail the posts.
    const untold = async () => {
      const told = (await textsToOwner()).slice(ownerMessagesBefore).join('\n');
      return tweets.filter((tweet) => !new RegExp(`tweet ${tweet.id}\\b`).test(told)).map((tweet) => tweet.id);
    };
    await eventually('the owner to be told of every reply', async () => (await untold()).length === 0, 180_000).catch(
      async (err: unknown) => {
        throw new Error(`${String(err)}; not told of ${(await untold()).join(', ')}`);
      },
    );
    const outbox = await client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue)).query(ownerOutboxStatusQuery);
    const ownerMessages = (await textsToOwner()).length - ownerMessagesBefore;
    const { flood } = (
      await sandboxCall<{ flood: { floodWaits: number } }>(telegramControl(), 'GET', '/_sandbox/state')
    ).body;
    t.diagnostic(
      `${replies} replies posted in ${elapsed.toFixed(1)} s (${((replies / elapsed) * 60).toFixed(0)} replies/min); ` +
        `the owner got ${ownerMessages} messages for them (${outbox.merged} notices merged, ${outbox.undelivered} undelivered); ` +
        `flood waits from Telegram's limits: ${flood.floodWaits}`,
    );
    assert.equal(outbox.undelivered, 0);
    await client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue)).terminate('test over');
  });
});
