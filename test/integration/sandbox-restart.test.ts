import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import {
  postTargetTweet,
  sandboxEndpoints,
  sandboxTweets,
  startSandbox,
  type RunningSandbox,
} from '../../src/sandbox/sandbox';
import type { SimulatedMessage } from '../../src/sandbox/telegram/telegram-simulator';
import { startControlBot } from '../../src/temporal/start-control-bot';
import { freeBasePort } from '../../src/free-port';
import { startReply } from '../../src/temporal/start-reply';
import { accountSessionWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { approveSignal, sessionStatusQuery, sessionStopSignal, statusQuery } from '../../src/workflows/messages';
import { sandboxCall } from '../helpers/sandbox';
import { controlBotListening } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * A sandbox of its own, restarted while the worker, the control bot and an account's session keep running, as the
 * services it stands for restart: nothing is forgotten. X keeps its tweets (a reply in flight across the restart still
 * finds the tweet it answers), Telegram its message ids, update sequence and sessions (a message after the restart
 * never takes an id a synced one had), Convex its documents; the X certificate and Telegram's key the worker trusts
 * stay the same.
 */
const launch = sandboxWorkers();
// Below the ephemeral range, where other processes' connections take their local ports, and free when chosen; the
// same ports again when the sandbox restarts.
let port = 0;
before(async () => {
  port = await freeBasePort();
});
let sandbox: RunningSandbox | undefined;
let client: Client;

after(async () => {
  await sandbox?.close();
  rmSync(sandboxEndpoints(port).dir, { recursive: true, force: true });
  await client?.workflow
    .getHandle(workflowIds.controlBot())
    .terminate('test over')
    .catch(() => undefined);
  await closeTestClient();
});

const state = async <T>(url: string) => (await sandboxCall<T>({ url }, 'GET', '/_sandbox/state')).body;

/** The messages of one chat of bob's that Convex holds, by message id. */
const storedIds = async (chatId: string) =>
  Object.keys((await state<{ messages: Record<string, unknown> }>(sandboxEndpoints(port).convexUrl)).messages)
    .filter((key) => key.startsWith(`bob:${chatId}:`))
    .map((key) => Number(key.split(':')[2]));

/** Someone writes `count` messages to bob in the chat; their message ids, as Telegram gave them. */
async function write(chatId: string, count: number, name: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const { body } = await sandboxCall<{ messageId: number }>(
      { url: sandboxEndpoints(port).telegramControlUrl },
      'POST',
      '/_sandbox/telegram/incoming',
      { accountId: 'bob', chatId, text: `${name} ${i}` },
    );
    ids.push(body.messageId);
  }
  return ids;
}

const toOwner = async () =>
  (
    await sandboxCall<{ messages: SimulatedMessage[] }>(
      { url: sandboxEndpoints(port).telegramControlUrl },
      'GET',
      '/_sandbox/state',
    )
  ).body.messages
    .filter((m) => m.accountId === 'control-bot' && m.out && m.chatId === '1000')
    .map((m) => m.text)
    .join('\n');

async function batch(taskQueue: string, name: string): Promise<void> {
  const tweets = await Promise.all(
    Array.from({ length: 5 }, async (_, i) => {
      const tweet = { text: `${name}: question ${i}`, authorUsername: 'erin' };
      return { id: await postTargetTweet(port, tweet), ...tweet };
    }),
  );
  const results = await Promise.all(
    tweets.map(async (tweet) =>
      (await startReply(client, taskQueue, { accountId: 'bob', tweet, approval: 'auto' })).handle.result(),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    tweets.map(() => 'posted'),
    name,
  );
  const onX = (await sandboxTweets(port)).filter((t) => tweets.some((tweet) => tweet.id === t.in_reply_to));
  assert.equal(onX.length, 5, `${name}: one reply per tweet on X`);
  await eventually(`${name}: the owner told of each`, async () => {
    const told = await toOwner();
    return tweets.every((tweet) => told.includes(`tweet ${tweet.id}`));
  });
}

describe('a sandbox restarted under a running worker', () => {
  test('nothing is lost or numbered twice: messages synced, replies waiting and in flight posted once', async () => {
    client = await testClient();
    const taskQueue = uniqueTaskQueue('restart');
    sandbox = await startSandbox(port);
    await client.workflow
      .getHandle(workflowIds.controlBot())
      .terminate('another test')
      .catch(() => undefined);
    await launch(taskQueue, { STEADFAST_SANDBOX_PORT: String(port), CONTROL_BOT: '1', WORKER_ID: 'restart' });
    await startControlBot(client, taskQueue);
    await eventually('the control bot to listen', () => controlBotListening(client), 60_000);
    await batch(taskQueue, 'before the restart');

    // bob's session syncs 200 messages before the restart.
    const chatId = '424242';
    const session = await client.workflow.start(accountSessionWorkflow, {
      taskQueue,
      workflowId: `${workflowIds.account('bob')}-restart-${port}`,
      args: [{ accountId: 'bob' }],
    });
    // A new session starts from where Telegram is when it connects: what came before is history, not synced.
    await eventually(
      'the session connected',
      async () => (await session.query(sessionStatusQuery)).state === 'connected',
    );
    const first = await write(chatId, 200, 'before');
    await eventually('200 messages synced', async () => (await storedIds(chatId)).length === 200, 120_000);

    // alice's replies wait for the owner's approval across the restart.
    const waitingTweets = await Promise.all(
      Array.from({ length: 3 }, async (_, i) => {
        const tweet = { text: `waiting: question ${i}`, authorUsername: 'erin' };
        return { id: await postTargetTweet(port, tweet), ...tweet };
      }),
    );
    const waiting = await Promise.all(
      waitingTweets.map(
        async (tweet) => (await startReply(client, taskQueue, { accountId: 'alice', tweet, approval: 'owner' })).handle,
      ),
    );
    await eventually('the replies wait for the owner', async () => {
      const statuses = await Promise.all(waiting.map(async (handle) => (await handle.query(statusQuery)).stage));
      return statuses.every((stage) => stage === 'awaiting-approval');
    });
    // And bob's start while the sandbox is down: they retry until it answers, then find their tweets.
    const inFlightTweets = await Promise.all(
      Array.from({ length: 3 }, async (_, i) => {
        const tweet = { text: `in flight: question ${i}`, authorUsername: 'erin' };
        return { id: await postTargetTweet(port, tweet), ...tweet };
      }),
    );

    await sandbox.close();
    sandbox = undefined;
    const inFlight = await Promise.all(
      inFlightTweets.map(
        async (tweet) => (await startReply(client, taskQueue, { accountId: 'bob', tweet, approval: 'auto' })).handle,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    sandbox = await startSandbox(port);

    const second = await write(chatId, 200, 'after');
    assert.ok(
      second.every((id) => !first.includes(id)),
      'Telegram gives the messages after the restart ids of their own',
    );
    await eventually('all 400 messages synced', async () => (await storedIds(chatId)).length === 400, 180_000);
    assert.deepEqual(
      (await storedIds(chatId)).sort((a, b) => a - b),
      [...first, ...second].sort((a, b) => a - b),
    );

    for (const handle of waiting) await handle.signal(approveSignal, {});
    const results = await Promise.all([...waiting, ...inFlight].map((handle) => handle.result()));
    assert.deepEqual(
      results.map((result) => result.status),
      results.map(() => 'posted'),
    );
    const onX = await sandboxTweets(port);
    for (const tweet of [...waitingTweets, ...inFlightTweets]) {
      assert.equal(onX.filter((t) => t.in_reply_to === tweet.id).length, 1, `one reply on X to tweet ${tweet.id}`);
    }
    await batch(taskQueue, 'after the restart');

    await session.signal(sessionStopSignal);
    await session.result();
  });
});
