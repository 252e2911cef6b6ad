import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config';
import {
  failedRequests,
  isSandboxUp,
  postTargetTweet,
  sandboxTweets,
  setSandboxFaults,
  startSandbox,
  type SandboxService,
} from '../src/sandbox/sandbox';
import { connectClient } from '../src/temporal/connection';
import { addWatch, removeWatch } from '../src/temporal/watch-schedules';
import type { replyWorkflow, watchTweetsWorkflow } from '../src/workflows';
import { workflowIds, type ReplyStatus } from '../src/workflows/contracts';
import { approveSignal, rejectSignal, statusQuery } from '../src/workflows/messages';
import { isServerUp, startDevServer } from './dev-server';

/**
 * `npm run demo`: the main job on the sandbox, no credentials needed. Starts what is not running (dev server,
 * simulators) and two workers; alice and bob each watch an X account through a Schedule; 30 tweets arrive there and
 * become reply workflows — bob's auto-approved, alice's approved, edited, rejected or left to expire by a simulated
 * owner — while the simulators inject 5xx, 429s with resets, timeouts and flood waits, and one worker is SIGKILLed.
 * Exit code 0 only when every tweet ends as its owner chose and X holds no duplicate reply.
 */
type OwnerChoice = 'auto' | 'approve' | 'edit' | 'reject' | 'expire';
const expected: Record<OwnerChoice, ReplyStatus> = {
  auto: 'posted',
  approve: 'posted',
  edit: 'posted',
  reject: 'rejected',
  expire: 'expired',
};
const aliceChoices: OwnerChoice[] = ['approve', 'edit', 'approve', 'reject', 'approve', 'expire'];
const tweetsPerAccount = 15;
const approvalTimeout = '10s';

/** Seeded, so two runs meet the same faults. Every one of them is retryable: none should become a dead letter. */
const faults: Record<SandboxService, object> = {
  openai: { errorRate: 0.2, errorStatus: 503, seed: 11 },
  x: { rateLimitRate: 0.1, rateLimitResetSeconds: 3, errorRate: 0.1, errorStatus: 503, seed: 12 },
  convex: { timeoutRate: 0.04, errorRate: 0.1, errorStatus: 503, seed: 13 },
  telegram: { rateLimitRate: 0.08, rateLimitResetSeconds: 2, seed: 14 },
};
const services = Object.keys(faults) as SandboxService[];

interface Outcome {
  workflowId: string;
  choice: OwnerChoice;
  status: ReplyStatus | 'failed';
  error?: string;
}

async function run(): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const say = values.json ? (_line: string) => undefined : (line: string) => console.log(line);
  const config = loadConfigOrExit({ ...process.env, STEADFAST_SANDBOX: 'on' });
  const port = config.sandboxPort;
  const taskQueue = `steadfast-demo-${Date.now()}`;

  if (!(await isServerUp(config.temporal))) {
    say(`Starting the Temporal dev server at ${config.temporal.address} (it keeps running; npm run server -- --stop)`);
    await startDevServer(config.temporal, { detached: true, say });
  }
  // The simulators of `npm run sandbox` when it runs, else this process's own for the demo's length.
  const sandbox = (await isSandboxUp(port)) ? undefined : await startSandbox(port);
  if (sandbox) say(`Started the sandbox's simulators on ports ${port}-${port + 4}`);
  const workerEnv = { ...process.env, STEADFAST_SANDBOX: 'on', TEMPORAL_TASK_QUEUE: taskQueue };
  const workers = [startWorker(workerEnv), startWorker(workerEnv)];
  const client = await connectClient(config.temporal);
  const runId = String(Date.now() % 1_000_000);
  const watched = { alice: `news${runId}`, bob: `sports${runId}` } as const;
  const planned: { accountId: 'alice' | 'bob'; tweetId: string; choice: OwnerChoice }[] = [];
  let killed = false;
  let outcomes: Outcome[];
  let retriesAbsorbed: number;
  let repliedTo: string[];
  // Whatever happens, leave nothing behind: no worker, no Schedule polling, no fault left on a shared sandbox.
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    say(
      `Two workers polling ${taskQueue}. alice watches @${watched.alice} (owner approves), bob @${watched.bob} (auto).`,
    );
    for (const accountId of ['alice', 'bob'] as const) {
      const username = watched[accountId];
      await postTargetTweet(port, { authorUsername: username, text: `Hello, I am @${username}.` });
      const approval = accountId === 'alice' ? 'owner' : 'auto';
      await addWatch(client, taskQueue, { accountId, username, approval, interval: '4s', approvalTimeout });
      // The first poll marks where the watch begins; the tweets to answer come after it.
      await pollNow(client, accountId);
    }

    const failuresBefore = await Promise.all(services.map((service) => failedRequests(port, service)));
    for (const service of services) await setSandboxFaults(port, service, faults[service]);
    say('Faults on: 5xx on OpenAI, X, Convex; 429s with resets on X; timeouts on Convex; FLOOD_WAIT on Telegram.');

    for (let i = 0; i < tweetsPerAccount; i++) {
      for (const accountId of ['alice', 'bob'] as const) {
        const choice = accountId === 'bob' ? 'auto' : (aliceChoices[i % aliceChoices.length] ?? 'approve');
        const text = `Tweet #${i + 1} from @${watched[accountId]}: what do you think?`;
        const tweetId = await postTargetTweet(port, { authorUsername: watched[accountId], text });
        planned.push({ accountId, tweetId, choice });
      }
    }
    say(`${planned.length} tweets posted on X; the watchers pick them up.`);

    let done = 0;
    outcomes = await Promise.all(
      planned.map(async ({ accountId, tweetId, choice }) => {
        const outcome = await settle(client, workflowIds.reply(accountId, tweetId), choice);
        done += 1;
        say(`  [${String(done).padStart(2)}/${planned.length}] ${outcome.workflowId}: ${outcome.status} (${choice})`);
        if (!killed && done >= planned.length / 3) {
          killed = true;
          say(`  SIGKILL worker pid ${workers[0]?.child.pid}: the other worker takes over its workflows`);
          workers[0]?.child.kill('SIGKILL');
        }
        return outcome;
      }),
    );
    const failuresAfter = await Promise.all(services.map((service) => failedRequests(port, service)));
    retriesAbsorbed = failuresAfter.reduce((sum, after, i) => sum + after - (failuresBefore[i] ?? 0), 0);

    // Duplicates as X sees them: more than one reply by an account to the same target tweet.
    const targetIds = new Set(planned.map(({ tweetId }) => tweetId));
    repliedTo = (await sandboxTweets(port))
      .filter((tweet) => tweet.in_reply_to && targetIds.has(tweet.in_reply_to))
      .map((tweet) => `${tweet.authorUsername}:${tweet.in_reply_to}`);
  } finally {
    for (const service of services) await setSandboxFaults(port, service, {}).catch(() => undefined);
    for (const accountId of ['alice', 'bob'] as const) {
      await removeWatch(client, accountId, watched[accountId]).catch(() => undefined);
    }
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await sandbox?.close();
  }

  const count = (status: Outcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  const mismatched = outcomes.filter((outcome) => outcome.status !== expected[outcome.choice]);
  const summary = {
    tweets: planned.length,
    posted: count('posted'),
    rejected: count('rejected'),
    expired: count('expired'),
    failed: count('failed'),
    failedIds: outcomes.filter((outcome) => outcome.status === 'failed').map((outcome) => outcome.workflowId),
    unexpected: mismatched.map(({ workflowId, choice, status, error }) => ({ workflowId, choice, status, error })),
    retriesAbsorbed,
    duplicates: repliedTo.length - new Set(repliedTo).size,
    workerKilled: killed,
    webUi: `${config.temporal.webUiUrl}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`TaskQueue="${taskQueue}"`)}`,
  };
  const accounted = summary.posted + summary.rejected + summary.expired + summary.failed === planned.length;
  const ok = accounted && mismatched.length === 0 && summary.duplicates === 0;

  if (values.json) {
    console.log(JSON.stringify(summary));
  } else {
    say('');
    say(`posted ${summary.posted}, rejected ${summary.rejected}, expired ${summary.expired}, failed ${summary.failed}`);
    if (summary.failedIds.length) say(`dead letters: ${summary.failedIds.join(', ')}`);
    if (mismatched.length) say(`not what the owner chose: ${JSON.stringify(summary.unexpected)}`);
    say(`retries absorbed: ${summary.retriesAbsorbed} failed or unanswered requests, retried by Temporal's policies`);
    say(`duplicates on X: ${summary.duplicates}`);
    say(`Web UI: ${summary.webUi}`);
    say(
      ok ? 'Every tweet is accounted for, as its owner chose.' : 'Some tweets are not as their owner chose: see above.',
    );
  }
  return ok ? 0 : 1;
}

/** Triggers the account's watch Schedule and waits for that poll to finish. */
async function pollNow(client: Client, accountId: string): Promise<void> {
  const schedule = client.schedule.getHandle(workflowIds.watch(accountId));
  const before = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  for (;;) {
    const action = (await schedule.describe()).info.recentActions[before]?.action.workflow;
    if (action) {
      await client.workflow
        .getHandle<typeof watchTweetsWorkflow>(action.workflowId, action.firstExecutionRunId)
        .result();
      return;
    }
    await new Promise((next) => setTimeout(next, 200));
  }
}

/** The simulated owner: waits for the watcher to start the reply, answers as planned, waits for the outcome. */
async function settle(client: Client, workflowId: string, choice: OwnerChoice): Promise<Outcome> {
  const handle = client.workflow.getHandle<typeof replyWorkflow>(workflowId);
  try {
    await until(`${workflowId} to be started by the watcher`, () =>
      handle.describe().then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      ),
    );
    if (choice === 'approve' || choice === 'edit' || choice === 'reject') {
      // Queries fail while a killed worker's workflows move to the other worker: ask again until one answers.
      await until(`${workflowId} to ask for approval`, () =>
        handle.query(statusQuery).then(
          (status) => status.stage === 'awaiting-approval',
          () => false,
        ),
      );
      if (choice === 'reject') await handle.signal(rejectSignal, { reason: 'not our topic' });
      else
        await handle.signal(
          approveSignal,
          choice === 'edit' ? { text: `An edited reply, by the owner (${workflowId}).` } : {},
        );
    }
    const result = await handle.result();
    return { workflowId, choice, status: result.status };
  } catch (err) {
    const error = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err);
    return { workflowId, choice, status: 'failed', error };
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((next) => setTimeout(next, 250));
  }
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

run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
