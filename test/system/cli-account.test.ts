import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { postTargetTweet, sandboxEndpoints } from '../../src/sandbox/sandbox';
import { cliWithWorker } from '../helpers/cli';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { latestLoginCode, telegramControl } from '../helpers/session';
import { signalChat } from '../../src/temporal/start-chat';
import { reportXBreakerOpen } from '../helpers/breakers';
import { closeTestClient, eventually, testClient, testNamespace, uniqueTaskQueue } from '../helpers/temporal';

/**
 * The owner's everyday commands, `npm run cli -- account …`, `reply list|edit|cancel` and `health`, driven as
 * subprocesses against the test dev server, a real worker process and the sandbox.
 */
const { taskQueue, cli } = cliWithWorker('cli-account', { STEADFAST_WORKER_ID: 'cli-account-test' });
async function ok(...args: string[]): Promise<string> {
  const { code, output } = await cli(args);
  assert.equal(code, 0, `${args.join(' ')} exited ${code}: ${output}`);
  return output;
}
const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '--json')) as T;
type AccountReport = { accounts: { accountId: string; session?: { state: string } }[] };
const sessionState = async (id: string) =>
  (await json<AccountReport>('account', 'status', id)).accounts[0]?.session?.state;

after(closeTestClient);

describe('npm run cli -- account …', () => {
  test('add: settings in Convex; an account without a Telegram session is told to log in', async () => {
    const output = await ok(
      'account',
      'add',
      'carol',
      '--approval',
      'auto',
      '--name',
      'Carol',
      '--ai-chat',
      '555',
      '--ai-chat',
      '-100123',
    );
    assert.match(
      output,
      /^(Added|Updated) account carol \(approval auto\)\.\nNot logged in to Telegram yet: npm run cli -- account login carol --phone/,
    );
    const { body } = await sandboxCall<{ accounts: Record<string, object> }>(
      { url: `http://127.0.0.1:${testSandboxPort() + 2}` },
      'GET',
      '/_sandbox/state',
    );
    assert.deepEqual(body.accounts.carol, {
      accountId: 'carol',
      displayName: 'Carol',
      approval: 'auto',
      chatsAnsweredWithAi: ['555', '-100123'],
      watchedUsernames: [],
    });

    // An update changes what it is given and keeps the rest; X tokens are read from standard input, not arguments.
    const updated = await cli(['account', 'add', 'carol', '--name', 'Carol C', '--x-tokens'], {
      input: 'tok-1\nsec-1\n',
    });
    assert.equal(updated.code, 0, updated.output);
    assert.match(updated.output, /Updated account carol \(approval auto\)/);
    assert.doesNotMatch(updated.output, /tok-1|sec-1/);
    const stored = await sandboxCall<{
      accounts: Record<string, { displayName: string; chatsAnsweredWithAi: string[] }>;
    }>({ url: `http://127.0.0.1:${testSandboxPort() + 2}` }, 'GET', '/_sandbox/state');
    assert.deepEqual(
      [stored.body.accounts.carol?.displayName, stored.body.accounts.carol?.chatsAnsweredWithAi],
      ['Carol C', ['555', '-100123']],
    );
    const store = createFileAccountStore(sandboxEndpoints(testSandboxPort()).accountStorePath);
    assert.deepEqual(await store.xTokens('carol'), { accessToken: 'tok-1', accessSecret: 'sec-1' });
  });

  test("add starts a logged-in account's session; status, pause, resume, relogin, stop", async () => {
    const added = await ok('account', 'add', 'alice', '--approval', 'owner');
    assert.match(added, /Started its Telegram session account:alice\.\n.*\/workflows\/account%3Aalice$/);
    await eventually('alice connected', async () => (await sessionState('alice')) === 'connected');
    assert.match(await ok('account', 'status', 'alice'), /^alice: connected since .*\n {2}failures 0, reconnects 0/);
    assert.match(await ok('account', 'status'), /^alice: connected/m);

    assert.match(await ok('account', 'pause', 'alice'), /^pause: sent to account:alice\n/);
    await eventually('alice paused', async () => (await sessionState('alice')) === 'paused');
    await ok('account', 'resume', 'alice');
    await eventually('alice connected again', async () => (await sessionState('alice')) === 'connected');
    await ok('account', 'relogin', 'alice');
    await ok('account', 'stop', 'alice');
    await eventually(
      'alice stopped',
      async () => (await json<AccountReport>('account', 'status', 'alice')).accounts[0]?.session === undefined,
    );
  });

  test('login with 2FA: login, code, a wrong password refused, the right one logs in', async () => {
    const password = 'cli-2fa-secret';
    await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/password', { accountId: 'bob', password });
    try {
      const started = await ok('account', 'login', 'bob', '--phone', '+15550100002');
      assert.match(
        started,
        /^Telegram sent a login code to the apps of \+15550100002\. Enter it within 5m: npm run cli -- account code bob <code>\n.*login%3Abob$/,
      );
      const code = await latestLoginCode('+15550100002');
      assert.ok(code);
      const wrong = await cli(['account', 'code', 'bob', code === '11111' ? '22222' : '11111']);
      assert.equal(wrong.code, 1, wrong.output);
      assert.match(wrong.output, /^Telegram refused the code: enter it again: npm run cli -- account code bob <code>/);
      assert.match(
        await ok('account', 'code', 'bob', code),
        /^bob has two-step verification: npm run cli -- account password bob/,
      );

      const wrongPassword = await cli(['account', 'password', 'bob'], { input: 'not-it\n' });
      assert.equal(wrongPassword.code, 1, wrongPassword.output);
      assert.match(wrongPassword.output, /Telegram refused the 2FA password: enter it again: try again/);
      assert.doesNotMatch(wrongPassword.output, /not-it/, 'the password is never echoed');
      const right = await cli(['account', 'password', 'bob'], { input: `${password}\n` });
      assert.equal(right.code, 0, right.output);
      assert.match(right.output, /bob is logged in; its Telegram session is starting/);
      await eventually('bob connected', async () => (await sessionState('bob')) === 'connected');
      await ok('account', 'stop', 'bob');
    } finally {
      await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/password', { accountId: 'bob', password: null });
    }
  });

  // Arguments refused before anything connects are tested in-process (cli-main.test.ts); these need the server.
  test('unknown ids and no login in progress: one clear line and exit 1', async () => {
    const ns = testNamespace();
    const cases: [string[], RegExp][] = [
      [
        ['account', 'code', 'carol', '12345'],
        /^Error: No login of carol is in progress: npm run cli -- account login carol/,
      ],
      [['account', 'password', 'carol'], /^Error: No login of carol is in progress/],
      [
        ['account', 'status', 'nobody'],
        new RegExp(`^Error: No workflow account:nobody in namespace ${ns}: check the id`),
      ],
      [['account', 'pause', 'nobody'], /^Error: No workflow account:nobody/],
      [['reply', 'cancel', 'reply:alice:none'], /^Error: No workflow reply:alice:none/],
    ];
    for (const [args, expected] of cases) {
      const { code, output } = await cli(args);
      assert.equal(code, 1, `${args.join(' ')}: ${output}`);
      assert.match(output, expected, args.join(' '));
    }
    // The bin's own exit code for a bad configuration (main's is tested in-process).
    const misconfigured = await cli(['account', 'status'], { env: { TEMPORAL_ADDRESS: 'localhost' } });
    assert.equal(misconfigured.code, 2);
    assert.match(misconfigured.output, /^Configuration error: TEMPORAL_ADDRESS: expected host:port/);
  });
});

describe('npm run cli -- reply list|edit|cancel', () => {
  test('list by account and stage; edit posts the edited text; cancel ends a reply as cancelled', async () => {
    const first = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text: 'List me?' });
    const second = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text: 'Cancel me?' });
    for (const id of [first, second])
      await ok('reply', 'start', '--account', 'alice', '--tweet-id', id, '--text', 'Hi?');
    type Listed = { replies: { workflowId: string; stage?: string }[] };
    await eventually('both replies listed as awaiting approval', async () => {
      const { replies } = await json<Listed>('reply', 'list', '--account', 'alice', '--stage', 'awaiting-approval');
      const ids = replies.map((r) => r.workflowId);
      return ids.includes(`reply:alice:${first}`) && ids.includes(`reply:alice:${second}`);
    });
    const { replies: bobs } = await json<Listed>('reply', 'list', '--account', 'bob');
    assert.ok(!bobs.some((r) => r.workflowId.startsWith('reply:alice:')), 'filtered by account');

    await ok('reply', 'edit', `reply:alice:${first}`, '--text', 'Edited by the owner');
    await ok('reply', 'cancel', `reply:alice:${second}`);
    type Status = { result?: { status: string; text?: string } };
    await eventually(
      'both settled',
      async () => {
        const [a, b] = [
          await json<Status>('reply', 'status', `reply:alice:${first}`),
          await json<Status>('reply', 'status', `reply:alice:${second}`),
        ];
        return a.result?.status === 'posted' && b.result?.status === 'cancelled';
      },
      60_000,
    );
    assert.equal((await json<Status>('reply', 'status', `reply:alice:${first}`)).result?.text, 'Edited by the owner');
  });
});

describe('npm run cli -- reply pause|resume|reject, failures retry --all', () => {
  test('a paused reply holds; resumed, it can be rejected; a dead letter of one account is retried in bulk', async () => {
    const tweet = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text: 'Pause me?' });
    const id = `reply:alice:${tweet}`;
    await ok('reply', 'start', '--account', 'alice', '--tweet-id', tweet, '--text', 'Pause me?');
    type Status = { stage?: string; paused?: boolean; result?: { status: string } };
    assert.match(await ok('reply', 'pause', id), /^pause: sent to reply:alice:\d+\n/);
    await eventually('paused', async () => (await json<Status>('reply', 'status', id)).paused === true);
    await ok('reply', 'resume', id);
    await eventually(
      'awaiting approval',
      async () => (await json<Status>('reply', 'status', id)).stage === 'awaiting-approval',
    );
    await ok('reply', 'reject', id, '--reason', 'off topic');
    await eventually('rejected', async () => (await json<Status>('reply', 'status', id)).result?.status === 'rejected');

    // An account with no X tokens: its reply fails as auth, a dead letter that retry --all --account finds.
    const account = `zed${Date.now() % 100_000}`;
    const lost = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text: 'No tokens' });
    await ok('reply', 'start', '--account', account, '--tweet-id', lost, '--text', 'No tokens', '--approval', 'auto');
    await eventually(
      'the dead letter',
      async () => (await cli(['failures', 'show', `reply:${account}:${lost}`])).code === 0,
    );
    const { retried } = await json<{ retried: { workflowId: string }[] }>(
      'failures',
      'retry',
      '--all',
      '--account',
      account,
    );
    assert.deepEqual(
      retried.map((r) => r.workflowId),
      [`reply:${account}:${lost}`],
    );
  });
});

describe('npm run cli -- chat …', () => {
  test('status shows the batch being generated; interrupt cancels it', async () => {
    const openai = { url: `http://127.0.0.1:${testSandboxPort()}` };
    const chatId = `-${Date.now() % 1_000_000}`;
    await sandboxCall(openai, 'POST', '/_sandbox/faults', { latencyMs: 15_000 });
    try {
      await signalChat(await testClient(), taskQueue, {
        accountId: 'bob',
        batching: { firstWait: '100ms', quiet: '100ms', maxWait: '1s' },
        message: { chatId, messageId: 1, senderId: '1000', text: 'a slow one', date: 1_800_000_000 },
      });
      type ChatView = { state?: string; interrupted?: number };
      await eventually(
        'generating',
        async () => (await json<ChatView>('chat', 'status', 'bob', chatId)).state === 'generating',
      );
      assert.match(
        await ok('chat', 'interrupt', 'bob', chatId),
        /^interrupt: sent to chat:bob:-\d+: the answer being generated is cancelled\n/,
      );
      await eventually(
        'interrupted',
        async () => (await json<ChatView>('chat', 'status', 'bob', chatId)).interrupted === 1,
      );
    } finally {
      await sandboxCall(openai, 'POST', '/_sandbox/faults', {});
    }
    const unknown = await cli(['chat', 'interrupt', 'bob', '42']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, new RegExp(`^Error: No workflow chat:bob:42 in namespace ${testNamespace()}`));
    await (await testClient()).workflow.getHandle(`chat:bob:${chatId}`).terminate('test over');
  });
});

describe('npm run cli -- health', () => {
  test('healthy with Temporal, a worker, the sandbox; unhealthy (exit 1) with no worker on the task queue', async () => {
    const healthy = await ok('health');
    assert.match(healthy, /^ok {4}Temporal: /m);
    assert.match(healthy, /^ok {4}workers: 1 polling /m);
    assert.match(healthy, /^ok {4}Telegram \(sandbox\): /m);
    assert.match(healthy, /^Healthy\. /m);

    const idle = await cli(['health', '--json'], { env: { TEMPORAL_TASK_QUEUE: uniqueTaskQueue('nobody') } });
    assert.equal(idle.code, 1, idle.output);
    const report = JSON.parse(idle.output) as {
      healthy: boolean;
      checks: { name: string; ok: boolean; detail: string }[];
    };
    assert.equal(report.healthy, false);
    assert.match(
      report.checks.find((c) => c.name === 'workers')?.detail ?? '',
      /no worker polls .*: start one with `npm run worker`/,
    );
  });

  test("the deployment's circuit breakers: closed, then X open as a worker reported it, which is unhealthy", async () => {
    assert.match(await ok('health'), /^ok {4}circuit breaker X: closed$/m);
    const client = await testClient();
    const since = Date.UTC(2026, 11, 2, 14, 2);
    await reportXBreakerOpen(client, taskQueue, since);
    await eventually('health tells of the open breaker', async () => {
      const run = await cli(['health']);
      return (
        run.code === 1 &&
        /^FAIL {2}circuit breaker X: open since 2026-12-02T14:02:00.000Z on w1 \(last error: X API answered 503\)$/m.test(
          run.output,
        ) &&
        /^ok {4}circuit breaker AI: closed$/m.test(run.output)
      );
    });
  });
});
