import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { controlEndpoint, postTargetTweet, sandboxTweets } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { workflowIds } from '../../src/domain/contracts';
import { statusQuery, xTokenStatusQuery } from '../../src/workflows/messages';
import { cliWithWorker } from '../helpers/cli';
import { sandboxActivities, sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { messagesToOwner } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueId } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * X OAuth 2.0 with a durable refresh, on the sandbox's X: access tokens that last 20 s, two workers (`npm run worker`
 * and a sandbox worker process), the tokens added with `account add --x-oauth2`.
 */
const { taskQueue, cli } = cliWithWorker('x-oauth2');
const launch = sandboxWorkers();
after(closeTestClient);

const x = () => controlEndpoint(testSandboxPort(), 'x');
interface Grant {
  access_token: string;
  refresh_token: string;
  clientId: string;
  clientSecret: string;
}
const authorize = async (accountId: string) =>
  (await sandboxCall<Grant>(x(), 'POST', '/_sandbox/x/oauth2/authorize', { accountId })).body;
const oauth2State = async () =>
  (await sandboxCall<{ oauth2: { refreshes: number; refreshReuses: number } }>(x(), 'GET', '/_sandbox/state')).body
    .oauth2;

/** `account add <id> --x-oauth2`, the four secrets typed on standard input. */
async function addTokens(accountId: string, grant: Grant) {
  const input = [grant.clientId, grant.clientSecret, grant.access_token, grant.refresh_token, ''].join('\n');
  const run = await cli(['account', 'add', accountId, '--x-oauth2', '--x-expires-in', '20s'], { input });
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, new RegExp(`Its X OAuth 2.0 tokens are stored; x-token:${accountId} refreshes them`));
  for (const secret of [grant.clientSecret, grant.access_token, grant.refresh_token]) {
    assert.ok(!run.output.includes(secret), 'no secret is echoed');
  }
}

async function reply(accountId: string) {
  const client = await testClient();
  const tweet = { text: `OAuth 2.0 ${uniqueId('tweet')}`, authorUsername: 'erin' };
  const id = await postTargetTweet(testSandboxPort(), tweet);
  return (await startReply(client, taskQueue, { accountId, tweet: { id, ...tweet }, approval: 'auto' })).handle;
}

/** The promise's value, or a failure naming what did not happen in time (rather than waiting out the test's). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('X OAuth 2.0 tokens with a durable refresh', () => {
  test('replies post across three rotations with two workers, no refresh token is used twice; a revoked one alerts the owner, and the replies wait for new tokens, then post', async () => {
    const accountId = uniqueId('oauth').replace(/[^a-z0-9-]/gi, '-');
    await sandboxCall(x(), 'POST', '/_sandbox/x/oauth2/lifetime', { lifetimeSeconds: 20 });
    await launch(taskQueue, { WORKER_ID: 'second' });
    const before = await oauth2State();
    const first = await authorize(accountId);
    await addTokens(accountId, first);

    // One reply every 5 s for 65 s: the tokens rotate every 15 s (at three quarters of their life).
    const handles = [];
    for (let i = 0; i < 13; i++) {
      handles.push(await reply(accountId));
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    const results = await within(60_000, '13 replies post', Promise.all(handles.map((h) => h.result())));
    assert.deepEqual(
      results.map((result) => result.status),
      results.map(() => 'posted'),
    );
    const afterPosting = await oauth2State();
    const rotations = afterPosting.refreshes - before.refreshes;
    console.log(`${rotations} rotations while 13 replies posted`);
    assert.ok(rotations >= 3, `${rotations} rotations`);
    assert.equal(afterPosting.refreshReuses, before.refreshReuses, 'no refresh token used twice');
    const posted = (await sandboxTweets(testSandboxPort())).filter((tweet) => tweet.authorUsername === accountId);
    assert.equal(posted.length, 13, 'posted as the account its bearer token is for');

    // The owner revokes the app on X: the next refresh is refused.
    await sandboxCall(x(), 'POST', '/_sandbox/x/oauth2/revoke', { accountId });
    const waiting = [await reply(accountId), await reply(accountId)];
    for (const handle of waiting) {
      await eventually(
        'the reply waits for the login',
        async () => (await handle.query(statusQuery)).stage === 'awaiting-authorisation',
        60_000,
      );
    }
    await eventually('the owner is alerted', async () =>
      (await messagesToOwner(accountId)).some((text) => /re-authorise X for/.test(text)),
    );
    const client = await testClient();
    const refresher = client.workflow.getHandle(workflowIds.xToken(accountId));
    assert.equal((await refresher.query(xTokenStatusQuery)).state, 'needs-authorisation');

    await addTokens(accountId, await authorize(accountId));
    const resumed = await within(60_000, 'the waiting replies post', Promise.all(waiting.map((h) => h.result())));
    assert.deepEqual(
      resumed.map((result) => result.status),
      ['posted', 'posted'],
    );
    assert.equal((await oauth2State()).refreshReuses, before.refreshReuses, 'still no refresh token used twice');

    // No token in any history: the refresher's, the replies'.
    const { accounts } = await sandboxActivities(taskQueue);
    const stored = await accounts.xOAuth2(accountId);
    const secrets = [
      first.access_token,
      first.refresh_token,
      first.clientSecret,
      stored!.accessToken,
      stored!.refreshToken,
    ];
    for (const handle of [refresher, ...handles, ...waiting]) {
      const history = JSON.stringify(await handle.fetchHistory());
      for (const secret of secrets) assert.ok(!history.includes(secret), `a token in ${handle.workflowId}'s history`);
    }
  });
});
