import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postTargetTweet } from '../src/sandbox/sandbox';
import { startTsProcess, type RunningProcess } from './helpers/processes';
import { testSandboxPort } from './helpers/sandbox';
import { eventually, testAddress, uniqueTaskQueue } from './helpers/temporal';

/** `npm run cli` driven as a subprocess against the test dev server and a real worker on the sandbox. */
const taskQueue = uniqueTaskQueue('cli');
const env = () => ({ TEMPORAL_ADDRESS: testAddress(), TEMPORAL_TASK_QUEUE: taskQueue, STEADFAST_SANDBOX: 'on' });
let worker: RunningProcess;

async function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const run = startTsProcess('scripts/cli.ts', env(), args);
  const { code } = await run.exited;
  return { code, output: run.output().trim() };
}

before(async () => {
  worker = startTsProcess('src/workers/main.ts', env());
  await worker.waitForOutput(/"msg":"worker polling"/);
});
after(async () => {
  worker.child.kill('SIGTERM');
  await worker.exited;
});

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
      new RegExp(`^Started ${workflowId}\\n.*/namespaces/default/workflows/reply%3Aalice%3A${tweetId}$`),
    );

    await eventually('the reply to await approval', async () => {
      const status = await cli('reply', 'status', workflowId, '--json');
      return (JSON.parse(status.output) as { stage?: string }).stage === 'awaiting-approval';
    });

    const approved = await cli('reply', 'approve', workflowId, '--text', 'Hello Bob');
    assert.equal(approved.code, 0, approved.output);

    const waited = await cli(...startArgs, '--wait', '--json');
    const summary = JSON.parse(waited.output) as { started: boolean; result: { status: string; text: string } };
    assert.equal(summary.started, false, 'the same tweet never gets a second workflow');
    assert.deepEqual([summary.result.status, summary.result.text], ['posted', 'Hello Bob']);
  });

  test('bad input: one clear line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['reply', 'start', '--account', 'alice', '--text', 'x'], /^Error: --tweet-id: required/],
      [
        ['reply', 'start', '--account', 'alice', '--tweet-id', 'abc', '--text', 'x'],
        /^Error: --tweet-id: expected digits/,
      ],
      [['reply', 'start', '--bogus'], /^Error: Unknown option '--bogus'/],
      [
        ['reply', 'approve', 'reply:alice:does-not-exist'],
        /^Error: No workflow reply:alice:does-not-exist in namespace default/,
      ],
      [['reply', 'approve', workflowId], /^Error: reply:alice:\d+ is COMPLETED, not running: nothing to do$/],
      [['reply', 'frob'], /^Error: Unknown command: reply frob/],
    ];
    for (const [args, expected] of cases) {
      const { code, output } = await cli(...args);
      assert.equal(code, 1, `${args.join(' ')}: ${output}`);
      assert.match(output, expected);
    }
  });
});
