import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { msToNumber } from '@temporalio/common/lib/time';
import { createXPort } from '../src/adapters/x/x-api';
import type { RunningSimulator } from '../src/sandbox/http-simulator';
import { startXSimulator, type XTweet } from '../src/sandbox/x-simulator';
import { sandboxCall } from './helpers/sandbox';
import { failureOf } from './helpers/failures';

/** The real twitter-api-v2 over HTTPS against the X simulator, with faults on: the X row of the retry table. */
let simulator: RunningSimulator & { ca: string };
before(async () => {
  simulator = await startXSimulator();
});
after(() => simulator.close());
beforeEach(() => simulator.setFaults({}));

const tokensFor = async (accountId: string) => ({ accessToken: `sandbox-token-${accountId}`, accessSecret: 's' });
const port = (overrides: Partial<Parameters<typeof createXPort>[0]> = {}) =>
  createXPort({
    appKey: 'k',
    appSecret: 's',
    tokensFor,
    baseUrl: `${simulator.url}/2/`,
    ca: simulator.ca,
    ...overrides,
  });

async function targetTweet(text = `What do you think? ${Math.random()}`): Promise<string> {
  const { body } = await sandboxCall<{ id: string }>(simulator, 'POST', '/_sandbox/x/tweets', {
    authorUsername: 'carol',
    text,
  });
  return body.id;
}

describe('X adapter against the simulator (HTTPS)', () => {
  test('posts a reply as the account whose token signed it', async () => {
    const target = await targetTweet();
    const { id } = await port().postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'Our answer' });
    const { tweets } = (await sandboxCall<{ tweets: XTweet[] }>(simulator, 'GET', '/_sandbox/state')).body;
    assert.deepEqual(
      tweets.find((tweet) => tweet.id === id),
      { id, text: 'Our answer', authorUsername: 'alice', in_reply_to: target },
    );
  });

  test("a second post of the same text is X's 403 duplicate, never retried", async () => {
    const target = await targetTweet();
    await port().postReply({ accountId: 'bob', inReplyToTweetId: target, text: 'Same words' });
    const failure = await failureOf(
      port().postReply({ accountId: 'bob', inReplyToTweetId: target, text: 'Same words' }),
    );
    assert.deepEqual([failure.type, failure.nonRetryable], ['invalid-input', true]);
    assert.match(failure.message, /duplicate content/);
  });

  test('a 5xx is retried (upstream)', async () => {
    const target = await targetTweet();
    simulator.setFaults({ errorRate: 1, errorStatus: 503 });
    const failure = await failureOf(port().postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'x' }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['upstream', false]);
  });

  for (const [status, category] of [
    [400, 'invalid-input'],
    [401, 'auth'],
    [403, 'permission'],
  ] as const) {
    test(`a ${status} is never retried (${category})`, async () => {
      const target = await targetTweet();
      simulator.setFaults({ errorRate: 1, errorStatus: status });
      const failure = await failureOf(port().postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'x' }));
      assert.deepEqual([failure.type, failure.nonRetryable], [category, true]);
    });
  }

  test('a token X does not know is an auth failure', async () => {
    const target = await targetTweet();
    const stranger = port({ tokensFor: async () => ({ accessToken: 'revoked', accessSecret: 's' }) });
    const failure = await failureOf(stranger.postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'x' }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['auth', true]);
  });

  test('a 429 waits until x-rate-limit-reset', async () => {
    const target = await targetTweet();
    simulator.setFaults({ rateLimitRate: 1, rateLimitResetSeconds: 9 });
    const failure = await failureOf(port().postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'x' }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['rate-limit', false]);
    const delay = msToNumber(failure.nextRetryDelay ?? 0);
    assert.ok(Math.abs(delay - 9000) <= 1000, `nextRetryDelay ${delay} ms, expected about 9000`);
  });

  test('no answer in time is a retryable timeout; a refused connection a retryable network failure', async () => {
    const target = await targetTweet();
    simulator.setFaults({ timeoutRate: 1 });
    const slow = await failureOf(
      port({ timeoutMs: 300 }).postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'x' }),
    );
    assert.deepEqual([slow.type, slow.nonRetryable], ['timeout', false]);

    const closed = await startXSimulator();
    await closed.close();
    const refused = await failureOf(
      port({ baseUrl: `${closed.url}/2/`, ca: closed.ca }).postReply({
        accountId: 'alice',
        inReplyToTweetId: target,
        text: 'x',
      }),
    );
    assert.deepEqual([refused.type, refused.nonRetryable], ['network', false]);
  });

  test("the simulator's certificate is trusted only where it is given", async () => {
    const target = await targetTweet();
    const failure = await failureOf(
      port({ ca: undefined }).postReply({ accountId: 'alice', inReplyToTweetId: target, text: 'x' }),
    );
    assert.deepEqual([failure.type, failure.nonRetryable], ['network', false]);
    assert.match(failure.message, /certificate/i);
  });
});
