import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config';
import { connectClient } from '../src/temporal/connection';
import { startReply } from '../src/temporal/start-reply';
import type { replyWorkflow } from '../src/workflows';
import type { ApprovalMode, ReplyStatus } from '../src/workflows/contracts';
import { approveSignal, rejectSignal, statusQuery } from '../src/workflows/messages';
import { isSandboxUp, postTargetTweet, sandboxTweets, startSandbox } from '../src/sandbox/sandbox';
import { isServerUp, startDevServer } from './dev-server';

/**
 * `npm run demo`: the main job on the sandbox, no credentials needed. Starts the dev server if none answers, runs two
 * worker processes, answers a batch of tweets for two accounts (some auto-approved, some approved, edited, rejected
 * or left to expire by a simulated owner), SIGKILLs one worker mid-run, and ends with a summary. Exit code 0 only when
 * every tweet is accounted for with the outcome its owner chose, and no tweet was answered twice.
 */
type OwnerChoice = 'auto' | 'approve' | 'edit' | 'reject' | 'expire';
const choices: OwnerChoice[] = ['auto', 'approve', 'auto', 'edit', 'auto', 'reject', 'auto', 'approve', 'expire'];
const expected: Record<OwnerChoice, ReplyStatus> = {
  auto: 'posted',
  approve: 'posted',
  edit: 'posted',
  reject: 'rejected',
  expire: 'expired',
};
const tweetCount = 18;
const approvalTimeout = '8s';

interface Outcome {
  workflowId: string;
  choice: OwnerChoice;
  status: ReplyStatus | 'failed';
  replyTweetId?: string;
  error?: string;
}

async function run(): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const say = values.json ? (_line: string) => undefined : (line: string) => console.log(line);
  const config = loadConfigOrExit({ ...process.env, STEADFAST_SANDBOX: 'on' });
  const taskQueue = `steadfast-demo-${Date.now()}`;

  if (!(await isServerUp(config.temporal))) {
    say(`Starting the Temporal dev server at ${config.temporal.address} (it keeps running; npm run server -- --stop)`);
    await startDevServer(config.temporal, { detached: true, say });
  }
  // The sandbox's simulators: those of `npm run sandbox` when it runs, else this process's own for the demo's length.
  const sandbox = (await isSandboxUp(config.sandboxPort)) ? undefined : await startSandbox(config.sandboxPort);
  if (sandbox) say(`Started the sandbox's simulators on ports ${config.sandboxPort}-${config.sandboxPort + 4}`);
  const workerEnv = { ...process.env, STEADFAST_SANDBOX: 'on', TEMPORAL_TASK_QUEUE: taskQueue };
  const workers = [startWorker(workerEnv), startWorker(workerEnv)];
  await Promise.all(workers.map((worker) => worker.ready));
  say(`Two workers polling ${taskQueue}; answering ${tweetCount} tweets for alice and bob…`);

  const client = await connectClient(config.temporal);
  const runId = Date.now();
  const replies = await Promise.all(
    Array.from({ length: tweetCount }, async (_, i) => {
      const choice = choices[i % choices.length] ?? 'auto';
      const approval: ApprovalMode = choice === 'auto' ? 'auto' : 'owner';
      const accountId = i % 2 === 0 ? 'alice' : 'bob';
      const target = { text: `Target tweet #${i} of run ${runId}`, authorUsername: `user${i}` };
      const tweet = { id: await postTargetTweet(config.sandboxPort, target), ...target };
      const { handle } = await startReply(client, taskQueue, { accountId, tweet, approval, approvalTimeout });
      return { handle, choice, tweetId: tweet.id };
    }),
  );

  let done = 0;
  let killed = false;
  const outcomes = await Promise.all(
    replies.map(async ({ handle, choice }) => {
      const outcome = await settle(handle, choice);
      done += 1;
      say(`  [${String(done).padStart(2)}/${tweetCount}] ${outcome.workflowId}: ${outcome.status} (${choice})`);
      if (!killed && done >= tweetCount / 3) {
        killed = true;
        say(`  SIGKILL worker pid ${workers[0]?.child.pid}: the other worker takes over its workflows`);
        workers[0]?.child.kill('SIGKILL');
      }
      return outcome;
    }),
  );

  workers[1]?.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));

  const count = (status: Outcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  // Duplicates as X sees them: more than one reply by an account to the same target tweet.
  const targetIds = new Set(replies.map(({ tweetId }) => tweetId));
  const ourReplies = (await sandboxTweets(config.sandboxPort)).filter(
    (tweet) => tweet.in_reply_to && targetIds.has(tweet.in_reply_to),
  );
  const repliedTo = ourReplies.map((tweet) => `${tweet.authorUsername}:${tweet.in_reply_to}`);
  await sandbox?.close();
  const mismatched = outcomes.filter((outcome) => outcome.status !== expected[outcome.choice]);
  const summary = {
    tweets: tweetCount,
    posted: count('posted'),
    rejected: count('rejected'),
    expired: count('expired'),
    failed: count('failed'),
    failedIds: outcomes.filter((outcome) => outcome.status === 'failed').map((outcome) => outcome.workflowId),
    unexpected: mismatched.map(({ workflowId, choice, status }) => ({ workflowId, choice, status })),
    duplicates: repliedTo.length - new Set(repliedTo).size,
    workerKilled: killed,
    webUi: `${config.temporal.webUiUrl}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`TaskQueue="${taskQueue}"`)}`,
  };
  const ok = summary.posted + summary.rejected + summary.expired === tweetCount && summary.duplicates === 0;

  if (values.json) {
    console.log(JSON.stringify(summary));
  } else {
    say('');
    say(`posted ${summary.posted}, rejected ${summary.rejected}, expired ${summary.expired}, failed ${summary.failed}`);
    if (summary.failedIds.length) say(`dead letters: ${summary.failedIds.join(', ')}`);
    if (mismatched.length) say(`not what the owner chose: ${JSON.stringify(summary.unexpected)}`);
    say(`duplicates: ${summary.duplicates}`);
    say(`Web UI: ${summary.webUi}`);
    say(ok ? 'Every tweet is accounted for.' : 'Some tweets are not accounted for: see above.');
  }
  return ok && mismatched.length === 0 ? 0 : 1;
}

/** The simulated owner: answers the approval request as planned, then waits for the workflow's outcome. */
async function settle(handle: WorkflowHandle<typeof replyWorkflow>, choice: OwnerChoice): Promise<Outcome> {
  const { workflowId } = handle;
  try {
    if (choice === 'approve' || choice === 'edit' || choice === 'reject') {
      await waitForApprovalRequest(handle);
      if (choice === 'reject') await handle.signal(rejectSignal, { reason: 'not our topic' });
      else await handle.signal(approveSignal, choice === 'edit' ? { text: 'An edited reply, by the owner.' } : {});
    }
    const result = await handle.result();
    return { workflowId, choice, status: result.status, replyTweetId: result.replyTweetId };
  } catch (err) {
    const error = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err);
    return { workflowId, choice, status: 'failed', error };
  }
}

async function waitForApprovalRequest(handle: WorkflowHandle<typeof replyWorkflow>): Promise<void> {
  // Queries fail while a killed worker's workflows move to the other worker; ask again until it answers.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const stage = await handle.query(statusQuery).then(
      (status) => status.stage,
      () => undefined,
    );
    if (stage === 'awaiting-approval') return;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${handle.workflowId} never asked for approval`);
}

function startWorker(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../src/workers/main.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((done, fail) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"msg":"worker polling"')) done();
    });
    child.once('exit', (code) => fail(new Error(`a worker exited with ${code} before polling`)));
  });
  child.stdout?.resume();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { child, ready, exited };
}

async function main(): Promise<void> {
  const code = await run();
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
