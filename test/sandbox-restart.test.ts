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
} from '../src/sandbox/sandbox';
import type { SimulatedMessage } from '../src/sandbox/telegram/telegram-simulator';
import { startControlBot } from '../src/temporal/start-control-bot';
import { freeBasePort } from '../scripts/free-ports';
import { startReply } from '../src/temporal/start-reply';
import { workflowIds } from '../src/workflows/contracts';
import { sandboxCall } from './helpers/sandbox';
import { controlBotListening } from './helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from './helpers/temporal';
import { sandboxWorkers } from './helpers/workers';

/**
 * A sandbox of its own, restarted between two batches of replies while the worker and the control bot keep running:
 * what the simulators forget (Telegram's auth keys, X's tweets) must not stop the second batch, and what a restart must
 * keep (the X certificate the worker trusts, Convex's documents, the account store) is kept.
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
  test('the second batch of replies posts and notifies like the first', async () => {
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

    await sandbox.close();
    sandbox = await startSandbox(port);
    await batch(taskQueue, 'after the restart');
  });
});
