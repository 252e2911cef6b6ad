import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { convexFunctionsVersion } from '../../src/adapters/convex/functions-version';
import { formatKey, keyRing } from '../../src/encryption/keys';
import { dataConverter } from '../../src/encryption/data-converter';
import { startConvexSimulator } from '../../src/sandbox/convex-simulator';
import type { RunningSimulator } from '../../src/sandbox/http-simulator';
import { sandboxOpenAiKey, startOpenAiSimulator } from '../../src/sandbox/openai-simulator';
import {
  sandboxControlBot,
  sandboxTelegramApp,
  startTelegramSimulator,
  type RunningTelegramSimulator,
  type SimulatedMessage,
} from '../../src/sandbox/telegram/telegram-simulator';
import { sandboxUserTokenSecret, sandboxXApp } from '../../src/sandbox/x-oauth1';
import { sandboxXClient } from '../../src/sandbox/x-oauth2';
import { startXSimulator, type XTweet } from '../../src/sandbox/x-simulator';
import { sandboxCall } from '../helpers/sandbox';
import { eventually, testAddress } from '../helpers/temporal';

/**
 * docs/going-live.md, followed command by command in a checkout of its own (a folder of links to this one, with its
 * own `.env` and account store), the services being the simulators, configured as real services are: the real-service
 * variables in `.env` point at their addresses; no sandbox account, no seeded owner. Only the simulator's own X
 * certificate is trusted through the environment (NODE_EXTRA_CA_CERTS), as X's needs no trust. The second test shows
 * each `health --deep` FAIL line.
 */
const root = resolve(__dirname, '..', '..');
const guide = readFileSync(join(root, 'docs', 'going-live.md'), 'utf8');

/** The guide's commands: every line of its ```sh blocks, in order. */
const commands = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block]) =>
  (block ?? '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#')),
);

/** What the test cannot run here, as the guide's last table says (and where each is tested). */
const notRunHere = [
  /^sudo apt-get install /,
  /^git clone /,
  /^npm ci$/,
  /^npm run server:production$/,
  /npx convex deploy$/,
  /npx convex env set /,
  /^docker compose /,
];

let openai: RunningSimulator;
let x: RunningSimulator & { ca: string };
let convex: RunningSimulator;
let telegram: RunningTelegramSimulator;
let dir: string;
const background: ChildProcess[] = [];
before(async () => {
  openai = await startOpenAiSimulator();
  x = await startXSimulator();
  // A new deployment: no account in it.
  convex = await startConvexSimulator({ seedAccounts: false });
  telegram = await startTelegramSimulator();
  dir = mkdtempSync(join(tmpdir(), 'steadfast-go-live-'));
  writeFileSync(join(dir, 'x-ca.pem'), x.ca);
  writeFileSync(join(dir, 'telegram-server-key.pem'), telegram.serverKey.publicPem);
});
after(async () => {
  for (const child of background) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  await Promise.all([openai.close(), x.close(), convex.close(), telegram.close()]);
});

/** A checkout of its own: this one's files, linked, and the guide's `.env` and `.steadfast/` its own. */
function checkout(): string {
  const at = mkdtempSync(join(dir, 'steadfast-'));
  for (const entry of ['bin', 'src', 'scripts', 'convex', 'deploy', 'node_modules', 'package.json', 'tsconfig.json']) {
    symlinkSync(join(root, entry), join(at, entry));
  }
  copyFileSync(join(root, '.env.example'), join(at, '.env.example'));
  return at;
}

/** The environment of a shell on the server: nothing of Steadfast's; `.env` says it all. */
function shellEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: join(dir, 'x-ca.pem'),
    npm_config_update_notifier: 'false',
  };
}

/** What the owner writes into `.env` from each service's page (the guide's ```dotenv blocks), at the simulators. */
function settings(namespace: string, telegramPort: number): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_NAMESPACE: namespace,
    TELEGRAM_API_ID: String(sandboxTelegramApp.apiId),
    TELEGRAM_API_HASH: sandboxTelegramApp.apiHash,
    TELEGRAM_BOT_TOKEN: sandboxControlBot.token,
    TELEGRAM_SERVER: `127.0.0.1:${telegramPort}`,
    TELEGRAM_SERVER_PUBLIC_KEY: join(dir, 'telegram-server-key.pem'),
    OPENAI_API_KEY: sandboxOpenAiKey,
    OPENAI_BASE_URL: `${openai.url}/v1`,
    OPENAI_MODEL: 'gpt-4o-mini',
    X_CLIENT_ID: sandboxXClient.clientId,
    X_CLIENT_SECRET: sandboxXClient.clientSecret,
    X_API_BASE_URL: `${x.url}/2/`,
    CONVEX_URL: convex.url,
    // This machine runs other tests' workers and codec servers: ports of their own. And watches poll often.
    STEADFAST_METRICS_PORT: '0',
    STEADFAST_CODEC_PORT: '0',
    STEADFAST_WATCH_INTERVAL: '3s',
  };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
}

/** One command line, as a shell on the server runs it, in the checkout (its own process group). */
function sh(cwd: string, line: string): Run {
  const child = spawn('sh', ['-c', line], { cwd, env: shellEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 120_000) => {
    let found: RegExpExecArray | null = null;
    await eventually(
      `"${line}" to print ${pattern}`,
      async () => {
        found = pattern.exec(output);
        if (!found && child.exitCode !== null) throw new Error(`"${line}" exited with ${child.exitCode}:\n${output}`);
        return found !== null;
      },
      timeoutMs,
    );
    return found!;
  };
  return { child, output: () => output, exited, waitFor };
}

/** Runs a command to its end; it must succeed. */
async function succeeds(cwd: string, line: string): Promise<string> {
  const run = sh(cwd, line);
  run.child.stdin?.end();
  const code = await run.exited;
  assert.equal(code, 0, `"${line}" exited with ${code}:\n${run.output()}`);
  return run.output();
}

/** An HTTPS page of the X simulator, as a browser gets it: the body, or where it redirects. */
function browse(
  url: string,
  form?: Record<string, string>,
): Promise<{ status: number; body: string; location?: string }> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: form ? 'POST' : 'GET',
        ca: x.ca,
        headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text, location: res.headers.location }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const telegramControl = () => ({ url: telegram.url });
const telegramState = async () =>
  (
    await sandboxCall<{ messages: SimulatedMessage[]; loginCodes: { phone: string; code: string }[] }>(
      telegramControl(),
      'GET',
      '/_sandbox/state',
    )
  ).body;
/** The owner writes to the bot from their own Telegram account. */
const toTheBot = (ownerId: string, text: string, replyTo?: number) =>
  sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/incoming', {
    accountId: sandboxControlBot.accountId,
    chatId: ownerId,
    senderId: ownerId,
    text,
    ...(replyTo ? { replyTo } : {}),
  });
const xTweets = async () => (await sandboxCall<{ tweets: XTweet[] }>(x, 'GET', '/_sandbox/state')).body.tweets;

describe('docs/going-live.md', () => {
  test('followed command by command: paired, connected, logged in, all healthy, a watched tweet answered', async () => {
    const at = checkout();
    const namespace = `go-live-${randomUUID().slice(0, 8)}`;
    const ownerId = '777001';
    const phone = '+15551234567';
    // The owner's Telegram account exists, on another data centre than the one new sessions start on.
    await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/users', { name: 'acme', phone, dc: 4 });
    const ran: string[] = [];
    let newTweet = '';
    for (const command of commands) {
      if (/npx convex env set STEADFAST_CONVEX_SECRET/.test(command)) {
        // What `convex env set` does to the deployment: its functions require the value the owner made into .env.
        const value = /^STEADFAST_CONVEX_SECRET=(.+)$/m.exec(readFileSync(join(at, '.env'), 'utf8'))?.[1];
        assert.ok(value, 'the secret is in .env');
        await sandboxCall(convex, 'POST', '/_sandbox/convex/env', { name: 'STEADFAST_CONVEX_SECRET', value });
        ran.push(command);
        continue;
      }
      if (notRunHere.some((pattern) => pattern.test(command))) continue;
      ran.push(command);
      if (command === 'npm run worker') {
        const worker = sh(at, command);
        background.push(worker.child);
        await worker.waitFor(/"msg":"worker polling"/, 180_000);
        assert.match(worker.output(), /"sandbox":false/, 'the real services, as .env says');
      } else if (command === 'npm run codec-server') {
        const codec = sh(at, command);
        background.push(codec.child);
        await codec.waitFor(/Codec server on http:\/\/127\.0\.0\.1:\d+/);
      } else if (command === 'npm run cli -- owner pair') {
        const pairing = sh(at, command);
        const [, code] = await pairing.waitFor(/\/pair ([A-Z2-9]{4}-[A-Z2-9]{4})/);
        await toTheBot(ownerId, `/pair ${code}`);
        assert.equal(await pairing.exited, 0, pairing.output());
        assert.match(pairing.output(), new RegExp(`Paired: Telegram user ${ownerId} is the owner\\.`));
      } else if (command === 'npm run cli -- account connect-x acme') {
        const connecting = sh(at, command);
        const [consent] = await connecting.waitFor(/https:\/\/127\.0\.0\.1:\d+\/i\/oauth2\/authorize\?\S+/);
        // The owner's browser: X's consent page, signed in as the account's X user, "Authorize app".
        const page = await browse(consent);
        assert.equal(page.status, 200, page.body);
        assert.match(page.body, /tweet\.read tweet\.write users\.read offline\.access/);
        const fields = Object.fromEntries(
          [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, name, value]) => [
            name!,
            value!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
          ]),
        );
        const answer = await browse(consent.split('?')[0]!, { ...fields, username: 'acme_x', allow: '1' });
        assert.equal(answer.status, 302);
        assert.match(answer.location ?? '', /^http:\/\/127\.0\.0\.1:8976\/callback\?code=/);
        // X sends the browser back to the callback, which the command takes.
        await fetch(answer.location!);
        assert.equal(await connecting.exited, 0, connecting.output());
        assert.match(connecting.output(), /Connected acme to X as @acme_x \(OAuth 2\.0: tweet\.read/);
      } else if (command === 'npm run cli -- account code acme <code>') {
        const code = (await telegramState()).loginCodes.filter((sent) => sent.phone === phone).at(-1)?.code;
        assert.ok(code, 'Telegram sent a code to the account');
        assert.match(await succeeds(at, command.replace('<code>', code)), /acme is logged in/);
      } else if (command === 'npm run cli -- health --deep') {
        // The account's session starts after its login: give it its first connection.
        let output = '';
        await eventually(
          'every line of health --deep ok',
          async () => {
            const run = sh(at, command);
            run.child.stdin?.end();
            const code = await run.exited;
            output = run.output();
            return code === 0;
          },
          60_000,
        ).catch((err: Error) => assert.fail(`${err.message}\n${output}`));
        for (const name of [
          'Temporal',
          'workers',
          'namespace',
          'encryption',
          'OpenAI',
          'Convex',
          'owner',
          'control bot',
          'X acme',
          'Telegram acme',
        ]) {
          assert.match(output, new RegExp(`^ok {4}${name}: `, 'm'), `${name}\n${output}`);
        }
        assert.doesNotMatch(output, /^FAIL/m);
        assert.match(output, /^ok {4}X acme: signs in as @acme_x \(OAuth 2\.0\)$/m);
        assert.match(output, new RegExp(`^ok {4}owner: Telegram user ${ownerId}, paired$`, 'm'));
      } else if (command === 'npm run cli -- watch add --account acme --username nasa') {
        // An older tweet marks where the watch begins; the next one is answered.
        await sandboxCall(x, 'POST', '/_sandbox/x/tweets', { authorUsername: 'nasa', text: 'An older tweet' });
        await succeeds(at, command);
        await eventually(
          'the first check marks where the watch begins',
          async () =>
            Boolean(
              (await sandboxCall<{ watches: Record<string, string> }>(convex, 'GET', '/_sandbox/state')).body.watches[
                'acme:nasa'
              ],
            ),
          60_000,
        );
        newTweet = (
          await sandboxCall<{ id: string }>(x, 'POST', '/_sandbox/x/tweets', {
            authorUsername: 'nasa',
            text: 'Is Temporal durable?',
          })
        ).body.id;
      } else {
        await succeeds(at, command);
        // The owner fills in `.env` from each service's page once it is made.
        if (command === 'chmod 600 .env') {
          const lines = Object.entries(settings(namespace, telegram.mtprotoPort)).map(
            ([name, value]) => `${name}=${value}`,
          );
          appendFileSync(join(at, '.env'), `\n${lines.join('\n')}\n`);
        }
      }
    }
    // Every variable the guide tells the owner to set is one the test set.
    const told = [...guide.matchAll(/```dotenv\n([\s\S]*?)```/g)].flatMap(([, block]) =>
      [...(block ?? '').matchAll(/^([A-Z0-9_]+)=/gm)].map(([, name]) => name!),
    );
    assert.ok(told.length >= 8);
    for (const name of told) assert.ok(name in settings(namespace, 0), `${name} is set as the guide says`);
    assert.ok(ran.includes('npm run cli -- health --deep') && newTweet, 'the guide was followed to its first watch');

    // A tweet arrives: the approval request reaches the paired owner, who answers ok; the reply is posted.
    const workflowId = `reply:acme:${newTweet}`;
    let request: SimulatedMessage | undefined;
    await eventually(
      'the approval request in the owner chat',
      async () => {
        request = (await telegramState()).messages.find(
          (m) =>
            m.accountId === sandboxControlBot.accountId && m.chatId === ownerId && m.text.includes(`(${workflowId})`),
        );
        return request !== undefined;
      },
      90_000,
    );
    assert.match(request!.text, /^\[acme\] Reply to @nasa\?/);
    // The owner taps Post.
    const post = request!.markup && 'inline' in request!.markup ? request!.markup.inline[0]?.[0] : undefined;
    assert.equal(post?.text, '✅ Post');
    const tapped = await sandboxCall<{ answered: boolean; message?: string }>(
      telegramControl(),
      'POST',
      '/_sandbox/telegram/callback',
      { accountId: sandboxControlBot.accountId, chatId: ownerId, messageId: request!.id, data: post?.data },
    );
    assert.deepEqual([tapped.body.answered, tapped.body.message], [true, 'Approved: it will be posted.']);
    let reply: XTweet | undefined;
    await eventually(
      'the reply on X',
      async () => {
        reply = (await xTweets()).find((tweet) => tweet.in_reply_to === newTweet);
        return reply !== undefined;
      },
      60_000,
    );
    assert.equal(reply!.authorUsername, 'acme_x', 'posted as the connected X user');
    // Recorded in Convex after the post: a moment after the reply shows on X.
    const recorded = async () =>
      (await sandboxCall<{ replies: Record<string, { replyTweetId: string }> }>(convex, 'GET', '/_sandbox/state')).body
        .replies[`acme:${newTweet}`];
    await eventually('the reply recorded in Convex', async () => (await recorded()) !== undefined, 30_000);
    assert.equal((await recorded())?.replyTweetId, reply!.id, 'recorded in Convex');
    await eventually('the request reads as posted, with the link', async () =>
      (await telegramState()).messages.some(
        (m) => m.id === request!.id && m.text.endsWith(`✅ Posted: https://x.com/i/web/status/${reply!.id}`),
      ),
    );

    for (const child of background.splice(0)) if (child.pid) process.kill(-child.pid, 'SIGTERM');
  });

  test('health --deep: a FAIL line, saying what to do, for each wrong key, token, deployment and setup', async () => {
    const at = checkout();
    const namespace = `go-live-fail-${randomUUID().slice(0, 8)}`;
    const written = { id: 'b', secret: randomBytes(32) };
    const connection = await Connection.connect({ address: testAddress() });
    try {
      // A namespace nobody registered the search attributes in, and its newest history written with another key.
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1d'),
      });
      const client = new Client({ connection, namespace, dataConverter: dataConverter(keyRing(written)) });
      await eventually('the new namespace usable', async () =>
        client.workflow
          .start('someoneElsesWorkflow', {
            taskQueue: 'nobody',
            workflowId: 'written-with-key-b',
            args: [{ text: 'secret' }],
          })
          .then(
            () => true,
            () => false,
          ),
      );
    } finally {
      await connection.close();
    }
    // An account whose X token the app's secret does not sign, and whose Telegram never logged in.
    const lines = Object.entries({
      ...settings(namespace, telegram.mtprotoPort),
      OPENAI_API_KEY: 'sk-not-the-key',
      TELEGRAM_BOT_TOKEN: '7000:not-the-token',
      X_API_KEY: sandboxXApp.apiKey,
      X_API_SECRET: sandboxXApp.apiSecret,
      // The deployment's, as `convex env set` gave it.
      STEADFAST_CONVEX_SECRET: process.env.STEADFAST_CONVEX_SECRET ?? '',
      STEADFAST_ENCRYPTION_KEY: formatKey({ id: 'a', secret: randomBytes(32) }),
    }).map(([name, value]) => `${name}=${value}`);
    writeFileSync(join(at, '.env'), `${lines.join('\n')}\n`);
    await succeeds(at, 'npm run cli -- account add lapsed --approval auto');
    await createFileAccountStore(join(at, '.steadfast', 'accounts.json')).saveXTokens('lapsed', {
      accessToken: 'sandbox-token-lapsed',
      accessSecret: `${sandboxUserTokenSecret}-but-wrong`,
    });
    const health = async (deployed: number | null) => {
      await sandboxCall(convex, 'POST', '/_sandbox/convex/deployed', { version: deployed });
      const run = sh(at, 'npm run --silent cli -- health --deep');
      run.child.stdin?.end();
      assert.equal(await run.exited, 1, run.output());
      return run.output();
    };
    const older = await health(1);
    const fails: [string, RegExp][] = [
      ['workers', /no worker polls steadfast: start one with `npm run worker`/],
      [
        'namespace',
        new RegExp(
          `${namespace} lacks the search attributes AccountId, Stage: register them with \`.*setup-namespace\\.sh\``,
        ),
      ],
      ['encryption', /the newest history \(written-with-key-b\) does not open: .*key "b".*STEADFAST_DECRYPTION_KEYS/],
      [
        'OpenAI',
        /Incorrect API key provided: sk-\*\*\*key.*: set OPENAI_API_KEY to a key from https:\/\/platform\.openai\.com\/api-keys/,
      ],
      ['Convex', /has Steadfast's functions at version 1, this code expects \d+: deploy them \(npx convex deploy/],
      ['owner', /nobody is the owner yet: run `steadfast owner pair` and send the code to the bot/],
      [
        'control bot',
        /Telegram refused TELEGRAM_BOT_TOKEN \(.*ACCESS_TOKEN_INVALID.*\): copy the token @BotFather gave the bot/,
      ],
      ['X lapsed', /X API answered 401: Unauthorized: connect it again with `steadfast account connect-x lapsed`/],
      [
        'Telegram lapsed',
        /No Telegram session for account lapsed.*: log it in with `steadfast account login lapsed --phone <\+number>`/,
      ],
    ];
    for (const [name, pattern] of fails) {
      const line = new RegExp(`^FAIL {2}${name}: (.*)$`, 'm').exec(older)?.[1];
      assert.ok(line, `a FAIL line for ${name}:\n${older}`);
      assert.match(line, pattern, name);
    }
    assert.match(
      await health(null),
      /^FAIL {2}Convex: \S+ has no Steadfast functions: deploy them \(npx convex deploy/m,
    );
    // A backend without the deployment's secret is refused by every function.
    appendFileSync(join(at, '.env'), 'STEADFAST_CONVEX_SECRET=not-the-secret\n');
    assert.match(
      await health(convexFunctionsVersion),
      /^FAIL {2}Convex: auth: Convex refused the call: the caller did not give STEADFAST_CONVEX_SECRET .*: set STEADFAST_CONVEX_SECRET to the value the deployment was given/m,
    );
  });
});
