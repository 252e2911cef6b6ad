import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createConvexStore } from '../../src/adapters/convex/convex-store';
import { startConvexSimulator } from '../../src/sandbox/convex-simulator';
import { sandboxConvexSecret } from '../../src/sandbox/endpoints';
import type { RunningSimulator } from '../../src/sandbox/http-simulator';
import { failureOf } from '../helpers/failure-of';

/** The real `convex` HTTP client against the Convex simulator, with faults on: the Convex row of the retry table. */
let simulator: RunningSimulator;
before(async () => {
  simulator = await startConvexSimulator();
});
after(() => simulator.close());
beforeEach(() => simulator.setFaults({}));

const record = (tweetId: string, text = 'Hello') => ({
  accountId: 'alice',
  tweetId,
  replyTweetId: `9${tweetId}`,
  text,
  workflowId: `reply:alice:${tweetId}`,
});
const store = (timeoutMs?: number) => createConvexStore({ url: simulator.url, secret: sandboxConvexSecret, timeoutMs });
const replies = async (sim: RunningSimulator) =>
  ((await (await fetch(`${sim.url}/_sandbox/state`)).json()) as { replies: Record<string, { text: string }> }).replies;

describe('Convex adapter against the simulator', () => {
  test('records a reply; recording it again keeps one document', async () => {
    await store().recordReply(record('1'));
    await store().recordReply(record('1', 'Hello again'));
    const docs = await replies(simulator);
    assert.deepEqual(Object.keys(docs), ['alice:1']);
    assert.equal(docs['alice:1']?.text, 'Hello', 'the first record stands, as in convex/replies.ts');
  });

  test('saves a Telegram message once, however often it is synced', async () => {
    const message = {
      accountId: 'bob',
      chatId: '555',
      messageId: 41,
      senderId: '555',
      text: 'hi',
      date: 1_800_000_000,
    };
    assert.deepEqual(await store().saveMessage(message), { created: true });
    assert.deepEqual(await store().saveMessage({ ...message, text: 'a retried sync' }), { created: false });
    assert.deepEqual(await store().saveMessage({ ...message, messageId: 42 }), { created: true });
    const state = (await (await fetch(`${simulator.url}/_sandbox/state`)).json()) as {
      messages: Record<string, { text: string }>;
    };
    assert.deepEqual(
      Object.entries(state.messages)
        .filter(([key]) => key.startsWith('bob:555:'))
        .map(([key, doc]) => [key, doc.text]),
      [
        ['bob:555:41', 'hi'],
        ['bob:555:42', 'hi'],
      ],
    );
    const bad = await failureOf(store().saveMessage({ ...message, messageId: 'x' as unknown as number }));
    assert.deepEqual([bad.type, bad.nonRetryable], ['invalid-input', true]);
  });

  test("reads an account's settings: the sandbox accounts have them, an unknown account has none", async () => {
    const alice = await store().accountSettings('alice');
    assert.deepEqual([alice?.accountId, alice?.approval], ['alice', 'owner']);
    assert.equal(await store().accountSettings('nobody'), null);
  });

  const rows: [string, Parameters<RunningSimulator['setFaults']>[0], string, boolean][] = [
    ['a 5xx (outage) is retried', { errorRate: 1, errorStatus: 503 }, 'upstream', false],
    ['a 429 is retried', { rateLimitRate: 1 }, 'rate-limit', false],
    ['a 4xx is not retried', { errorRate: 1, errorStatus: 400 }, 'invalid-input', true],
    ['a 401 is an auth failure', { errorRate: 1, errorStatus: 401 }, 'auth', true],
  ];
  for (const [name, faults, category, permanent] of rows) {
    test(name, async () => {
      simulator.setFaults(faults);
      const failure = await failureOf(store().recordReply(record('2')));
      assert.deepEqual([failure.type, failure.nonRetryable], [category, permanent]);
    });
  }

  test('a function error (bad arguments) is not retried, and says what was wrong', async () => {
    const failure = await failureOf(store().recordReply(record('3', 42 as unknown as string)));
    assert.deepEqual([failure.type, failure.nonRetryable], ['invalid-input', true]);
    // The functions' own validators (the simulator runs convex/ itself) name what is wrong.
    assert.match(failure.message, /Validator error: Expected `string`, got `42`/);
  });

  test('no answer in time is a retryable timeout; a refused connection a retryable network failure', async () => {
    simulator.setFaults({ timeoutRate: 1 });
    const slow = await failureOf(store(300).recordReply(record('4')));
    assert.deepEqual([slow.type, slow.nonRetryable], ['timeout', false]);

    const closed = await startConvexSimulator();
    await closed.close();
    const refused = await failureOf(
      createConvexStore({ url: closed.url, secret: sandboxConvexSecret }).recordReply(record('4')),
    );
    assert.deepEqual([refused.type, refused.nonRetryable], ['network', false]);
  });

  test('documents survive a restart of the simulator', async () => {
    const dataFile = join(mkdtempSync(join(tmpdir(), 'convex-')), 'store.json');
    const first = await startConvexSimulator({ dataFile });
    await createConvexStore({ url: first.url, secret: sandboxConvexSecret }).recordReply(record('5'));
    await first.close();
    const second = await startConvexSimulator({ dataFile });
    try {
      assert.deepEqual(Object.keys(await replies(second)), ['alice:5']);
    } finally {
      await second.close();
    }
  });
});
