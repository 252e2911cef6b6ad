import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { cliWithWorker } from '../helpers/cli';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { release } from '../../src/release';
import { inDays } from '../../src/temporal/retention';
import { patches, retiredTypes } from '../../src/workflows/patches';
import { closeTestClient, eventually, testClient, testNamespace } from '../helpers/temporal';

/** `npm run cli` driven as a subprocess against the test dev server and a real worker on the sandbox. */
const harness = cliWithWorker('cli');
const cli = (...args: string[]) => harness.cli(args);
after(closeTestClient);

/** How long the test namespace keeps a closed workflow. */
async function namespaceRetentionMs(): Promise<number> {
  const client = await testClient();
  const described = await client.workflowService.describeNamespace({ namespace: testNamespace() });
  return Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0) * 1000;
}

describe('npm run cli -- reply …', () => {
  let tweetId = '';
  let workflowId = '';
  let startArgs: string[] = [];
  before(async () => {
    // The tweet to answer exists on the sandbox's X, as a real one would.
    tweetId = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text: 'Hi?' });
    workflowId = `reply:alice:${tweetId}`;
    startArgs = ['reply', 'start', '--account', 'alice', '--tweet-id', tweetId, '--text', 'Hi?'];
  });

  test('start, status, approve with an edit, and the result', async () => {
    const started = await cli(...startArgs, '--author', 'bob');
    assert.equal(started.code, 0, started.output);
    assert.match(
      started.output,
      new RegExp(`^Started ${workflowId}\\n.*/namespaces/${testNamespace()}/workflows/reply%3Aalice%3A${tweetId}$`),
    );

    await eventually('the reply to await approval', async () => {
      const status = await cli('reply', 'status', workflowId, '--json');
      return (JSON.parse(status.output) as { stage?: string }).stage === 'awaiting-approval';
    });

    const approved = await cli('reply', 'approve', workflowId, '--text', 'Hello Bob');
    assert.equal(approved.code, 0, approved.output);
    assert.match(approved.output, new RegExp(`^${workflowId} approved: your text will be posted\\n`));

    const waited = await cli(...startArgs, '--wait', '--json');
    const summary = JSON.parse(waited.output) as { started: boolean; result: { status: string; text: string } };
    assert.equal(summary.started, false, 'the same tweet never gets a second workflow');
    assert.deepEqual([summary.result.status, summary.result.text], ['posted', 'Hello Bob']);
  });

  // Arguments refused before anything connects are tested in-process (cli-main.test.ts); these need the server.
  test('unknown and ended replies: one clear line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['reply', 'approve', 'reply:alice:does-not-exist'],
        new RegExp(`^Error: No workflow reply:alice:does-not-exist in namespace ${testNamespace()}`),
      ],
      [['reply', 'approve', workflowId], /^Error: reply:alice:\d+ is COMPLETED, not running: nothing to do$/],
      [['reply', 'frob'], /^error: unknown command 'frob'/],
    ];
    for (const [args, expected] of cases) {
      const { code, output } = await cli(...args);
      assert.equal(code, 1, `${args.join(' ')}: ${output}`);
      assert.match(output, expected);
    }
  });
});

describe('npm run cli -- failures …', () => {
  // A reply to a tweet X does not have: X answers 400, never retried, so the workflow becomes a dead letter.
  const missingTweetId = String(Date.now() % 1_000_000);
  const workflowId = `reply:bob:${missingTweetId}`;

  before(async () => {
    const started = await cli(
      ...['reply', 'start', '--account', 'bob', '--tweet-id', missingTweetId, '--text', 'gone', '--approval', 'auto'],
    );
    assert.equal(started.code, 0, started.output);
    await eventually('the reply to fail', async () => (await cli('failures', 'show', workflowId)).code === 0);
  });

  test('list and show a dead letter with its category; the owner got an alert saying how to retry', async () => {
    const listed = await cli('failures', 'list', '--account', 'bob', '--json');
    assert.equal(listed.code, 0, listed.output);
    const { failures, webUi } = JSON.parse(listed.output) as {
      failures: { workflowId: string; category: string; message: string; failedAt: string; deletedAt: string }[];
      webUi: string;
    };
    const dead = failures.find((failure) => failure.workflowId === workflowId);
    assert.equal(dead?.category, 'invalid-input');
    assert.match(dead?.message ?? '', /postReply failed \(invalid-input\): X API answered 400/);
    assert.match(webUi, /workflows\?query=ExecutionStatus%3D%22Failed%22%20AND%20AccountId%3D%22bob%22$/);
    // Deleted the namespace's retention after it failed: until then it can be retried.
    const retentionMs = await namespaceRetentionMs();
    assert.equal(Date.parse(dead?.deletedAt ?? '') - Date.parse(dead?.failedAt ?? ''), retentionMs);
    const listedText = await cli('failures', 'list', '--account', 'bob');
    assert.match(
      listedText.output,
      new RegExp(
        `${workflowId}  invalid-input [^\n]*\n[^\n]*\n  kept until ${dead?.deletedAt} \\(\\d+ (days|hours) left to retry it\\)`,
      ),
    );

    const shown = await cli('failures', 'show', workflowId);
    assert.match(shown.output, new RegExp(`^${workflowId}  invalid-input  \\d{4}-`));

    // The owner's outbox sends it at Telegram's pace: it may come a moment after the workflow failed.
    const alertSent = async () => {
      const { body } = await sandboxCall<{
        messages: { accountId: string; chatId: string; text: string; out: boolean }[];
      }>({ url: `http://127.0.0.1:${testSandboxPort() + 3}` }, 'GET', '/_sandbox/state');
      return body.messages.find((m) => m.out && m.chatId === '1000' && m.text.includes(`Workflow: ${workflowId}`));
    };
    await eventually('the alert on Telegram', async () => (await alertSent()) !== undefined);
    const alert = await alertSent();
    assert.ok(alert, 'the owner was alerted on Telegram');
    assert.match(alert.text, new RegExp(`To retry: npm run cli -- failures retry ${workflowId}`));
    // And until when it can: the date Temporal deletes it, from the namespace's retention.
    const kept = /Kept until: (\d{4}-\d\d-\d\d) \(Temporal deletes a failed workflow (.+) after it fails/.exec(
      alert.text,
    );
    assert.ok(kept, alert.text);
    const failedAt = Date.parse(dead?.failedAt ?? '');
    assert.ok(Math.abs(Date.parse(kept[1] ?? '') - (failedAt + retentionMs)) <= 86_400_000, kept[1]);
    assert.equal(kept[2], inDays(retentionMs));
  });

  test('reply start --wait of a reply that ends as a dead letter: one line with its category, never a stack', async () => {
    const missing = String((Date.now() % 1_000_000) + 1_000_000);
    const waited = await cli(
      ...[
        'reply',
        'start',
        '--account',
        'bob',
        '--tweet-id',
        missing,
        '--text',
        'gone',
        '--approval',
        'auto',
        '--wait',
      ],
    );
    assert.equal(waited.code, 1, waited.output);
    assert.equal(waited.output.trim().split('\n').length, 1, waited.output);
    assert.match(
      waited.output.trim(),
      new RegExp(
        `^Error: reply:bob:${missing} failed \\(invalid-input: postReply failed \\(invalid-input\\): X API answered 400.*\\): npm run cli -- failures show reply:bob:${missing}$`,
      ),
    );
  });

  test('retry starts a new run with the same input', async () => {
    const before = JSON.parse((await cli('failures', 'show', workflowId, '--json')).output) as { runId: string };
    const retried = await cli('failures', 'retry', workflowId, '--json');
    assert.equal(retried.code, 0, retried.output);
    const { retried: runs } = JSON.parse(retried.output) as { retried: { workflowId: string; runId: string }[] };
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.workflowId, workflowId);
    assert.notEqual(runs[0]?.runId, before.runId);
  });

  test('bad input: a workflow that is not failed, no id, unknown flags', async () => {
    const completed = await postTargetTweet(testSandboxPort(), { authorUsername: 'dan', text: 'fine' });
    const done = await cli(
      'reply',
      'start',
      '--account',
      'alice',
      '--tweet-id',
      completed,
      '--text',
      'fine',
      '--approval',
      'auto',
      '--wait',
    );
    assert.equal(done.code, 0, done.output);
    const cases: [string[], RegExp][] = [
      [
        ['failures', 'retry', `reply:alice:${completed}`],
        /^Error: reply:alice:\d+ is COMPLETED, not failed: it is not a dead letter$/,
      ],
      [
        ['failures', 'show', 'reply:nobody:1'],
        new RegExp(`^Error: No workflow reply:nobody:1 in namespace ${testNamespace()}`),
      ],
    ];
    for (const [args, expected] of cases) {
      const { code, output } = await cli(...args);
      assert.equal(code, 1, `${args.join(' ')}: ${output}`);
      assert.match(output, expected);
    }
  });
});

describe('npm run cli -- watch …', () => {
  test('add, list and remove a watched X account; bad input gets one clear line', async () => {
    const username = `cliwatch${Date.now() % 100000}`;
    const added = await cli('watch', 'add', '--account', 'alice', '--username', username, '--every', '1h', '--json');
    assert.equal(added.code, 0, added.output);
    const watch = JSON.parse(added.output) as { usernames: string[]; interval: string; webUi: string };
    assert.deepEqual(watch.usernames, [username]);
    assert.match(watch.webUi, /\/schedules\/watch%3Aalice$/);

    const listed = await cli('watch', 'list');
    assert.match(listed.output, new RegExp(`^alice: @${username} every 1h, approval owner`, 'm'));

    const removed = await cli('watch', 'remove', '--account', 'alice', '--username', username);
    assert.equal(removed.code, 0, removed.output);
    const cases: [string[], RegExp][] = [
      [['watch', 'remove', '--account', 'alice', '--username', username], /^Error: alice does not watch @/],
    ];
    for (const [args, expected] of cases) {
      const { code, output } = await cli(...args);
      assert.equal(code, 1, `${args.join(' ')}: ${output}`);
      assert.match(output, expected);
    }
  });
});

describe('npm run cli -- patches', () => {
  test('lists every patch and retired type of the register with its state and the open runs that need it', async () => {
    const listed = await cli('patches', '--json');
    assert.equal(listed.code, 0, listed.output);
    const { release: named, patches: report } = JSON.parse(listed.output) as {
      release: string;
      patches: { id: string; state: string; openRuns: number; neededBy: string[]; next: string }[];
    };
    assert.equal(named, release);
    assert.deepEqual(
      report.map(({ id, state }) => `${id}: ${state}`).sort(),
      [
        ...patches.map(({ id, state }) => `${id}: ${state}`),
        ...retiredTypes.map(({ workflowType }) => `${workflowType}: removed`),
      ].sort(),
    );
    const text = await cli('patches');
    assert.match(
      text.output,
      /^Release \d+\.\d+\.\d+:\nreply-waits-for-x-authorisation {2}deprecated {2}replyWorkflowV2/,
    );
    assert.match(text.output, /the next release may (deprecate|remove) it/);
  });

  test('--check refuses while a run of a retired type is open, names it, and passes once it is gone', async () => {
    const client = await testClient();
    // A run of the first reply type, as an older release would have left it (no worker here runs it any more).
    const workflowId = `reply:alice:retired-${Date.now()}`;
    const handle = await client.workflow.start('replyWorkflow', {
      taskQueue: `nobody-${workflowId}`,
      workflowId,
      args: [],
    });
    try {
      await eventually('the open run listed', async () => {
        const { code, output } = await cli('patches', '--check');
        return code === 1 && output.includes(workflowId);
      });
      const { output } = await cli('patches', '--check');
      assert.match(
        output,
        new RegExp(`^Error: open runs need code release ${release} no longer has: replyWorkflow \\(`, 'm'),
      );
    } finally {
      await handle.terminate('test over');
    }
    await eventually('the check to pass', async () => (await cli('patches', '--check')).code === 0);
  });
});
