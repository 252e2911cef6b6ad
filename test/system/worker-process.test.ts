import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { replyWorkflowV2 } from '../../src/workflows';
import { closeTestClient, testAddress, testClient, uniqueId, uniqueTaskQueue } from '../helpers/temporal';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { testSandboxPort } from '../helpers/sandbox';

/** The real worker entry point (`npm run worker`), run as a process against the test dev server. */
const running: RunningProcess[] = [];
afterEach(() => {
  running.splice(0).forEach((worker) => worker.child.kill('SIGKILL'));
});
after(closeTestClient);

function startMainWorker(env: NodeJS.ProcessEnv): RunningProcess {
  const worker = startTsProcess('src/workers/main.ts', { STEADFAST_SANDBOX: 'on', ...env });
  running.push(worker);
  return worker;
}

describe('npm run worker', () => {
  test('runs the reply workflow on the sandbox, logs structured lines, and exits 0 on SIGTERM', async () => {
    const taskQueue = uniqueTaskQueue('main-worker');
    const worker = startMainWorker({
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      STEADFAST_WORKFLOW_BUNDLE: undefined, // as a user's shell has it, whatever the developer's has
    });
    await worker.waitForOutput(/"msg":"worker polling"/);
    // As an owner runs it, with no bundle made beforehand: a process of its own bundled the workflows, so webpack's
    // memory is not the worker's (the SDK says "Workflow bundle created" when it bundles in the worker).
    assert.match(worker.output(), /"workflowBundle":"made apart at start"/);
    assert.doesNotMatch(worker.output(), /Workflow bundle created/);

    const client = await testClient();
    const workflowId = uniqueId('reply');
    const tweet = { text: `hello ${workflowId}`, authorUsername: 'carol' };
    const tweetId = await postTargetTweet(testSandboxPort(), tweet);
    const result = await client.workflow.execute(replyWorkflowV2, {
      taskQueue,
      workflowId,
      args: [{ accountId: 'alice', tweet: { id: tweetId, ...tweet }, approval: 'auto' }],
    });
    // Drafted by the OpenAI simulator, posted on the X simulator through the real clients.
    assert.equal(result.status, 'posted');
    assert.match(result.text ?? '', new RegExp(`Thanks for this! hello ${workflowId}`));
    assert.match(result.replyTweetId ?? '', /^\d+$/);

    // Workflow logs reach pino as JSON lines carrying the workflow id.
    await worker.waitForOutput(new RegExp(`"workflowId":"${workflowId}".*"msg":"reply finished"`));

    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;
    assert.equal(code, 0, worker.output());
    assert.match(worker.output(), /"msg":"worker stopped"/);
    assert.doesNotMatch(worker.output(), /unhandled|UnhandledPromiseRejection/i);
  });

  test('an invalid setting stops start-up with one line naming the variable', async () => {
    const worker = startMainWorker({ TEMPORAL_ADDRESS: 'no-port-here' });
    const { code } = await worker.exited;
    assert.equal(code, 2);
    assert.equal(
      worker.output().trim(),
      'Configuration error: TEMPORAL_ADDRESS: expected host:port, for example localhost:7233 (got "no-port-here"). See .env.example.',
    );
  });

  test('on the sandbox with no sandbox running, it stops with one line saying how to start it', async () => {
    const port = testSandboxPort() + 10;
    const worker = startMainWorker({ TEMPORAL_ADDRESS: testAddress(), STEADFAST_SANDBOX_PORT: String(port) });
    const { code } = await worker.exited;
    assert.equal(code, 2);
    assert.match(
      worker.output().trim(),
      new RegExp(
        `^The sandbox is not running on ports ${port}-${port + 4} \\(STEADFAST_SANDBOX_PORT\\): start it with \`npm run sandbox\``,
      ),
    );
  });
});
