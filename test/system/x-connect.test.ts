import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { freeLoopbackPort } from '../../src/free-port';
import { postTargetTweet, sandboxEndpoints, sandboxTweets } from '../../src/sandbox/sandbox';
import { sandboxXPublicClient } from '../../src/sandbox/x-oauth2';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { cliWithWorker } from '../helpers/cli';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, eventually, testAddress, testClient, uniqueId } from '../helpers/temporal';

/**
 * `account connect-x` through X's own flows on the X simulator: OAuth 2.0 with PKCE for a public client (no secret),
 * its answer taken on a loopback callback or pasted; OAuth 1.0a by PIN. Each account then posts as the X user who
 * consented.
 */
const { taskQueue } = cliWithWorker('x-connect');
after(closeTestClient);

const x = () => {
  const { xUrl, caPath } = sandboxEndpoints(testSandboxPort());
  return { url: xUrl, ca: readFileSync(caPath, 'utf8') };
};

/** The X simulator's pages, as the owner's browser gets them. */
function browse(
  url: string,
  form?: Record<string, string>,
): Promise<{ status: number; body: string; location?: string }> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((done, fail) => {
    const headers = form ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
    const req = request(url, { method: form ? 'POST' : 'GET', ca: x().ca, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text, location: res.headers.location }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** The consent page's form, submitted as `username` with the button pressed. */
async function consent(url: string, username: string, button: 'allow' | 'deny' = 'allow') {
  const page = await browse(url);
  assert.equal(page.status, 200, page.body);
  const fields = Object.fromEntries(
    [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, name, value]) => [
      name!,
      value!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
    ]),
  );
  return browse(url.split('?')[0]!, { ...fields, username, [button]: '1' });
}

/** The bin with an open standard input, to type or paste into. */
function connect(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve('bin/steadfast.js'), 'account', 'connect-x', ...args],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: testAddress(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        STEADFAST_SANDBOX: 'on',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const printed = async (pattern: RegExp) => {
    let found: RegExpExecArray | null = null;
    await eventually(`connect-x to print ${pattern}`, async () => {
      found = pattern.exec(output);
      if (!found && child.exitCode !== null) throw new Error(`connect-x exited with ${child.exitCode}:\n${output}`);
      return found !== null;
    });
    return found!;
  };
  return { child, output: () => output, exited, printed };
}

const store = () => createFileAccountStore(sandboxEndpoints(testSandboxPort()).accountStorePath);

/** A reply of the account's, auto-approved: posted on X by whom? */
async function postsAs(accountId: string): Promise<string | undefined> {
  const client = await testClient();
  const text = `Who posts this? ${uniqueId('t')}`;
  const tweetId = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text });
  const result = await client.workflow.execute(replyWorkflowV2, {
    taskQueue,
    workflowId: workflowIds.reply(accountId, tweetId),
    args: [{ accountId, tweet: { id: tweetId, text, authorUsername: 'bob' }, approval: 'auto', firstRun: true }],
  });
  assert.equal(result.status, 'posted');
  return (await sandboxTweets(testSandboxPort())).find((tweet) => tweet.id === result.replyTweetId)?.authorUsername;
}

describe('account connect-x', () => {
  test('OAuth 2.0 with PKCE for a public client: consent, the callback taken on loopback, tokens refreshed', async () => {
    const callback = `http://127.0.0.1:${await freeLoopbackPort()}/callback`;
    await sandboxCall(x(), 'POST', '/_sandbox/x/oauth2/callbacks', {
      clientId: sandboxXPublicClient.clientId,
      url: callback,
    });
    const accountId = uniqueId('pub').replace(/-/g, '_');
    // Tokens that expire in 8 s: the account's refresher refreshes them at three quarters of that, as a public client.
    await sandboxCall(x(), 'POST', '/_sandbox/x/oauth2/lifetime', { lifetimeSeconds: 8 });
    const run = connect([accountId, '--redirect-uri', callback], { X_CLIENT_ID: sandboxXPublicClient.clientId });
    const [url] = await run.printed(/https:\/\/127\.0\.0\.1:\d+\/i\/oauth2\/authorize\?\S+/);
    const query = new URL(url).searchParams;
    assert.deepEqual(
      [query.get('client_id'), query.get('code_challenge_method'), query.get('scope'), query.get('redirect_uri')],
      [sandboxXPublicClient.clientId, 's256', 'tweet.read tweet.write users.read offline.access', callback],
    );
    const answer = await consent(url, 'public_x');
    assert.equal(answer.status, 302);
    await fetch(answer.location!);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), new RegExp(`Connected ${accountId} to X as @public_x \\(OAuth 2\\.0`));
    const tokens = await store().xOAuth2(accountId);
    assert.deepEqual([tokens?.clientId, tokens?.clientSecret], [sandboxXPublicClient.clientId, undefined]);
    await eventually(
      'a refresh by the public client',
      async () => ((await store().xOAuth2(accountId))?.version ?? 0) > 1,
    );
    await sandboxCall(x(), 'POST', '/_sandbox/x/oauth2/lifetime', { lifetimeSeconds: 7200 });
    assert.equal(await postsAs(accountId), 'public_x');
  });

  test('the answer pasted when the callback is not this machine; a refusal on X is said in one line', async () => {
    const callback = 'https://steadfast.example.com/x/callback';
    await sandboxCall(x(), 'POST', '/_sandbox/x/oauth2/callbacks', { clientId: 'sandbox-client', url: callback });
    const accountId = uniqueId('paste').replace(/-/g, '_');
    const run = connect([accountId, '--redirect-uri', callback]);
    const [url] = await run.printed(/https:\/\/127\.0\.0\.1:\d+\/i\/oauth2\/authorize\?\S+/);
    await run.printed(/copy the whole address from its address bar and paste it here/);
    const answer = await consent(url, 'pasted_x');
    assert.match(answer.location ?? '', /^https:\/\/steadfast\.example\.com\/x\/callback\?code=/);
    run.child.stdin.write(`${answer.location}\n`);
    assert.equal(await run.exited, 0, run.output());
    assert.equal(await postsAs(accountId), 'pasted_x');

    const refused = connect([uniqueId('no'), '--redirect-uri', callback]);
    const [again] = await refused.printed(/https:\/\/127\.0\.0\.1:\d+\/i\/oauth2\/authorize\?\S+/);
    const denied = await consent(again, 'pasted_x', 'deny');
    refused.child.stdin.write(`${denied.location}\n`);
    assert.equal(await refused.exited, 1, refused.output());
    assert.match(
      refused.output(),
      /^Error: X says the app was not authorised \(access_denied\): run the command again$/m,
    );
  });

  test('OAuth 1.0a by PIN: the page shows a PIN, typed into the command; the token does not expire', async () => {
    const accountId = uniqueId('pin').replace(/-/g, '_');
    const run = connect([accountId, '--oauth1']);
    const [url] = await run.printed(/https:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?oauth_token=\S+/);
    const page = await consent(url, 'pin_x');
    const pin = /<kbd id="oauth_pin">(\d+)<\/kbd>/.exec(page.body)?.[1];
    assert.ok(pin, page.body);
    run.child.stdin.end(`${pin}\n`);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), new RegExp(`Connected ${accountId} to X as @pin_x \\(OAuth 1\\.0a`));
    assert.equal(await store().xOAuth2(accountId), undefined);
    assert.equal(await postsAs(accountId), 'pin_x');

    const wrong = connect([uniqueId('pin'), '--oauth1']);
    await wrong.printed(/oauth\/authorize\?oauth_token=/);
    wrong.child.stdin.end('1234567\n');
    assert.equal(await wrong.exited, 1, wrong.output());
    assert.match(wrong.output(), /^Error: X answered 401: Could not authenticate you$/m);
  });
});
