import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { msToNumber } from '@temporalio/common/lib/time';
import { createXPort } from '../../src/adapters/x/x-api';
import { createXTokenRefresher } from '../../src/adapters/x/x-token-refresh';
import { StaleTokens, type StoredXOAuth2 } from '../../src/ports/account-store';
import { sandboxUserTokenSecret, sandboxXApp } from '../../src/sandbox/x-oauth1';
import { sandboxXClient } from '../../src/sandbox/x-oauth2';
import type { RunningSimulator } from '../../src/sandbox/http-simulator';
import { startXSimulator, type XTweet } from '../../src/sandbox/x-simulator';
import { sandboxCall } from '../helpers/sandbox';
import { failureOf } from '../helpers/failure-of';

/** The real twitter-api-v2 over HTTPS against the X simulator, with faults on: the X row of the retry table. */
let simulator: RunningSimulator & { ca: string };
before(async () => {
  simulator = await startXSimulator();
});
after(() => simulator.close());
beforeEach(() => simulator.setFaults({}));

const tokensFor = async (accountId: string) => ({
  accessToken: `sandbox-token-${accountId}`,
  accessSecret: sandboxUserTokenSecret,
});
/** An account store with OAuth 1.0a tokens only. */
const oauth1 = (xTokens: typeof tokensFor) => ({ xTokens, xOAuth2: async () => undefined });
const port = (overrides: Partial<Parameters<typeof createXPort>[0]> = {}) =>
  createXPort({
    appKey: sandboxXApp.apiKey,
    appSecret: sandboxXApp.apiSecret,
    accounts: oauth1(tokensFor),
    baseUrl: `${simulator.url}/2/`,
    ca: simulator.ca,
    ...overrides,
  });

async function targetTweet(text = `What do you think? ${Math.random()}`, authorUsername = 'carol'): Promise<string> {
  const { body } = await sandboxCall<{ id: string }>(simulator, 'POST', '/_sandbox/x/tweets', { authorUsername, text });
  return body.id;
}

/** `count` original tweets by `authorUsername`, one after the other (ids grow with time, as X's do). */
async function tweetsBy(authorUsername: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push(await targetTweet(`${authorUsername} says ${n}`, authorUsername));
  return ids;
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

  test("X's 403 duplicate: our reply to that tweet is the answer; the same text elsewhere is never retried", async () => {
    const target = await targetTweet();
    const first = await port().postReply({ accountId: 'bob', inReplyToTweetId: target, text: 'Same words' });
    const again = await port().postReply({ accountId: 'bob', inReplyToTweetId: target, text: 'Same words' });
    assert.equal(again.id, first.id, 'the existing reply, not a second one');

    const other = await targetTweet();
    const failure = await failureOf(
      port().postReply({ accountId: 'bob', inReplyToTweetId: other, text: 'Same words' }),
    );
    assert.deepEqual([failure.type, failure.nonRetryable], ['duplicate-content', true]);
    assert.match(failure.message, /duplicate content/);
  });

  test("findReply: none before posting, then the account's own reply to that tweet only", async () => {
    const target = await targetTweet();
    assert.equal(await port().findReply({ accountId: 'alice', inReplyToTweetId: target }), null);
    await port().postReply({ accountId: 'bob', inReplyToTweetId: target, text: `Bob's answer ${target}` });
    const elsewhere = await targetTweet();
    await port().postReply({ accountId: 'alice', inReplyToTweetId: elsewhere, text: `Another ${elsewhere}` });
    assert.equal(await port().findReply({ accountId: 'alice', inReplyToTweetId: target }), null);

    const { id } = await port().postReply({ accountId: 'alice', inReplyToTweetId: target, text: `Ours ${target}` });
    assert.deepEqual(await port().findReply({ accountId: 'alice', inReplyToTweetId: target }), {
      id,
      text: `Ours ${target}`,
    });
  });

  test('findReply: our reply to a reply in a thread, and behind more than a page of our later tweets', async () => {
    const root = await targetTweet();
    const { id: inThread } = await port().postReply({ accountId: 'carol', inReplyToTweetId: root, text: `Hm ${root}` });
    const { id } = await port().postReply({ accountId: 'bob', inReplyToTweetId: inThread, text: `Ours ${inThread}` });
    await tweetsBy('bob', 120);
    assert.deepEqual(await port().findReply({ accountId: 'bob', inReplyToTweetId: inThread }), {
      id,
      text: `Ours ${inThread}`,
    });
    assert.equal(await port().findReply({ accountId: 'bob', inReplyToTweetId: root }), null);
  });

  test("recentTweets: a watched account's original tweets since the last seen, newest first", async () => {
    const author = `watched${Date.now() % 100000}`;
    const post = (text: string) =>
      sandboxCall<{ id: string }>(simulator, 'POST', '/_sandbox/x/tweets', { authorUsername: author, text });
    const first = (await post('one')).body.id;
    const second = (await post('two')).body.id;
    await sandboxCall(simulator, 'POST', '/_sandbox/x/tweets', { authorUsername: 'someone-else', text: 'noise' });

    const all = await port().recentTweets({ accountId: 'alice', username: author });
    assert.deepEqual(
      all.tweets.map((t) => [t.id, t.text, t.authorUsername]),
      [
        [second, 'two', author],
        [first, 'one', author],
      ],
    );
    assert.equal(all.newestId, second);

    const third = (await post('three')).body.id;
    const since = await port().recentTweets({ accountId: 'alice', username: author, sinceId: second });
    assert.deepEqual([since.tweets.map((t) => t.id), since.newestId], [[third], third]);
    const none = await port().recentTweets({ accountId: 'alice', username: author, sinceId: third });
    assert.deepEqual([none.tweets, none.newestId], [[], undefined]);
  });

  test('recentTweets: a burst longer than a page since the cursor comes whole; replies are left out', async () => {
    const author = `bursty${Date.now() % 100000}`;
    const [cursor] = await tweetsBy(author, 1);
    const burst = await tweetsBy(author, 130);
    await port().postReply({ accountId: author, inReplyToTweetId: await targetTweet(), text: 'a reply, not news' });
    const { tweets, newestId } = await port().recentTweets({ accountId: 'alice', username: author, sinceId: cursor });
    assert.deepEqual(
      tweets.map((tweet) => tweet.id),
      [...burst].reverse(),
    );
    assert.equal(newestId, burst.at(-1));
  });

  test('reads: an unknown username is not-found; a 429 waits for its reset; a 5xx is retried', async () => {
    const unknown = await failureOf(port().recentTweets({ accountId: 'alice', username: 'nobody_here_at_all' }));
    assert.deepEqual([unknown.type, unknown.nonRetryable], ['not-found', true]);

    simulator.setFaults({ rateLimitRate: 1, rateLimitResetSeconds: 12, burst: 1 });
    const limited = await failureOf(port().findReply({ accountId: 'bob', inReplyToTweetId: '1' }));
    assert.deepEqual([limited.type, limited.nonRetryable], ['rate-limit', false]);
    const delay = msToNumber(limited.nextRetryDelay ?? 0);
    assert.ok(Math.abs(delay - 12000) <= 1000, `nextRetryDelay ${delay} ms, expected about 12000`);

    simulator.setFaults({ errorRate: 1, errorStatus: 502, burst: 1 });
    const failed = await failureOf(port().recentTweets({ accountId: 'bob', username: 'alice' }));
    assert.deepEqual([failed.type, failed.nonRetryable], ['upstream', false]);
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
    const stranger = port({ accounts: oauth1(async () => ({ accessToken: 'revoked', accessSecret: 's' })) });
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

describe('X OAuth 2.0 (twitter-api-v2 against the simulator)', () => {
  const authorize = async (accountId: string) =>
    (
      await sandboxCall<{ access_token: string; refresh_token: string; expires_in: number }>(
        simulator,
        'POST',
        '/_sandbox/x/oauth2/authorize',
        { accountId },
      )
    ).body;
  /** An in-memory account store with one account's OAuth 2.0 tokens. */
  async function oauth2Account(accountId: string, lifetimeMs = 60_000) {
    const grant = await authorize(accountId);
    let stored: StoredXOAuth2 = {
      ...sandboxXClient,
      accessToken: grant.access_token,
      refreshToken: grant.refresh_token,
      issuedAt: Date.now(),
      expiresAt: Date.now() + lifetimeMs,
      version: 1,
    };
    const accounts = {
      xTokens: tokensFor,
      xOAuth2: async () => stored,
      saveXOAuth2: async (_: string, tokens: Omit<StoredXOAuth2, 'version'>, basedOn: number | null) => {
        if (basedOn !== null && basedOn !== stored.version) throw new StaleTokens('stale');
        stored = { ...tokens, version: stored.version + 1 };
        return stored.version;
      },
    };
    const asked: string[] = [];
    const x = createXPort({
      appKey: 'k',
      appSecret: 's',
      accounts,
      askRefresh: async (id) => void asked.push(id),
      baseUrl: `${simulator.url}/2/`,
      ca: simulator.ca,
    });
    const refresher = createXTokenRefresher({ accounts, baseUrl: `${simulator.url}/2/`, ca: simulator.ca });
    return { x, refresher, asked, stored: () => stored };
  }

  test('posts with the bearer token, as the account it was issued to', async () => {
    const { x } = await oauth2Account('dora');
    const target = await targetTweet();
    const posted = await x.postReply({ accountId: 'dora', inReplyToTweetId: target, text: `bearer ${Math.random()}` });
    const tweets = (await sandboxCall<{ tweets: XTweet[] }>(simulator, 'GET', '/_sandbox/state')).body.tweets;
    assert.equal(tweets.find((tweet) => tweet.id === posted.id)?.authorUsername, 'dora');
  });

  test('a refresh rotates both tokens: the old refresh token is refused after, and the new pair works', async () => {
    const { x, refresher, stored } = await oauth2Account('erin-o');
    const before = stored();
    const state = await refresher.refresh('erin-o', before.version);
    assert.equal(state.version, before.version + 1);
    assert.deepEqual(Object.keys(state).sort(), ['expiresAt', 'issuedAt', 'version'], 'no token in the state');
    assert.notEqual(stored().accessToken, before.accessToken);
    assert.notEqual(stored().refreshToken, before.refreshToken);
    // Based on the old version, nothing is asked of X.
    assert.equal((await refresher.refresh('erin-o', before.version)).version, state.version);
    const target = await targetTweet();
    await x.postReply({ accountId: 'erin-o', inReplyToTweetId: target, text: `rotated ${Math.random()}` });
    const unsigned = await sandboxCall(simulator, 'POST', '/2/oauth2/token', {});
    assert.equal(unsigned.status, 401, 'the token endpoint wants the app credentials');

    // A second refresher holding the old pair (what xTokenWorkflow exists to prevent) is refused, and counted.
    const reuses = async () =>
      (await sandboxCall<{ oauth2: { refreshReuses: number } }>(simulator, 'GET', '/_sandbox/state')).body.oauth2
        .refreshReuses;
    const reusesBefore = await reuses();
    const second = createXTokenRefresher({
      accounts: { xOAuth2: async () => ({ ...before, version: 1 }), saveXOAuth2: async () => 2 },
      baseUrl: `${simulator.url}/2/`,
      ca: simulator.ca,
    });
    assert.equal((await failureOf(second.refresh('erin-o', 1))).type, 'needs-authorisation');
    assert.equal(await reuses(), reusesBefore + 1);
  });

  test('an expired access token asks for a refresh and is retried after it, without a request; a 401 does too', async () => {
    const expired = await oauth2Account('fay', -1);
    const target = await targetTweet();
    const seen = simulator.requests().length;
    const failure = await failureOf(expired.x.postReply({ accountId: 'fay', inReplyToTweetId: target, text: 'x' }));
    assert.deepEqual([failure.type, failure.nonRetryable, failure.nextRetryDelay], ['auth-expired', false, 3_000]);
    assert.deepEqual(expired.asked, ['fay']);
    assert.equal(simulator.requests().length, seen, 'no request with a token known to have expired');
    assert.doesNotMatch(failure.message, new RegExp(expired.stored().accessToken));

    const refused = await oauth2Account('gus');
    await sandboxCall(simulator, 'POST', '/_sandbox/x/oauth2/revoke', { accountId: 'gus' });
    const answered401 = await failureOf(refused.x.postReply({ accountId: 'gus', inReplyToTweetId: target, text: 'x' }));
    assert.equal(answered401.type, 'auth-expired');
    assert.deepEqual(refused.asked, ['gus']);
  });

  test('a refused refresh (revoked) records why and is a needs-authorisation failure; posts then fail at once the same way', async () => {
    const { x, refresher, stored } = await oauth2Account('hal');
    await sandboxCall(simulator, 'POST', '/_sandbox/x/oauth2/revoke', { accountId: 'hal' });
    const failure = await failureOf(refresher.refresh('hal', stored().version));
    assert.deepEqual([failure.type, failure.nonRetryable], ['needs-authorisation', true]);
    assert.match(failure.message, /authorise it again with `steadfast account connect-x hal`/);
    assert.match(stored().refused ?? '', /^X answered 400/);
    const post = await failureOf(x.postReply({ accountId: 'hal', inReplyToTweetId: await targetTweet(), text: 'x' }));
    assert.equal(post.type, 'needs-authorisation');
  });
});
