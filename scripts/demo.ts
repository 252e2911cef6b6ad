import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { codecEndpoint } from '../src/encryption/remote-codec-server';
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
import { terminateTaskQueue } from './lib/terminate-task-queue';
import { addWatch, removeWatch } from '../src/temporal/watch-schedules';
import type { replyWorkflowV2, watchTweetsWorkflow } from '../src/workflows';
import { workflowIds, type ReplyStatus } from '../src/domain/contracts';
import { approveSignal, ownerOutboxStatusQuery, rejectSignal, statusQuery } from '../src/workflows/messages';
import {
  clearDemoLeftovers,
  clearDemoTaskQueue,
  demoAccounts,
  demoTaskQueuePrefix,
  isRunning,
  readDemoRecord,
  removeDemoRecord,
  terminatedLine,
  watchTaskQueue,
  writeDemoRecord,
  type DemoRecord,
} from './lib/demo-record';
import { isServerUp, startDevServer, stateDir } from './lib/dev-server';
import { startCodecServerStep } from './lib/owner-codec';
import { CommandError, runCommand, type Teardown } from './lib/run-command';
import { startWorkerProcess, stopWorkersStep } from './lib/worker-process';

/**
 * `npm run demo`: the main job on the sandbox, no credentials needed. Starts what is not running (dev server,
 * simulators) and two workers; alice and bob each watch an X account through a Schedule; 30 tweets arrive there and
 * become reply workflows — bob's auto-approved, alice's approved, edited, rejected or left to expire by a simulated
 * owner — while the simulators inject 5xx, 429s with resets, timeouts and flood waits, and one worker is SIGKILLed.
 * Exit code 0 only when every tweet ends as its owner chose and X holds no duplicate reply.
 *
 * Every way out — the end, Ctrl-C, SIGTERM, a crash — stops what it started: faults cleared, Schedules deleted,
 * whatever still runs on its task queue terminated (no worker will poll it again), workers and simulators stopped.
 * What a killed demo left, the next one clears (demo-record.ts).
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

async function run(teardown: Teardown): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const { signal } = teardown;
  // Once interrupted, the clean-up does the talking: the abandoned flow prints nothing more.
  const say = (line: string) => void (values.json || signal.aborted || console.log(line));
  loadEnvFile();
  const config = loadConfigOrExit({ ...process.env, STEADFAST_SANDBOX: 'on' });
  const port = config.sandboxPort;
  const taskQueue = `${demoTaskQueuePrefix}${Date.now()}`;

  const previous = readDemoRecord(config.temporal);
  if (previous && isRunning(previous.pid, 'scripts/demo')) {
    throw new CommandError(
      `Another npm run demo (pid ${previous.pid}) is running against ${config.temporal.address}: wait for it to end, or stop it with kill -INT ${previous.pid}.`,
    );
  }
  if (!(await isServerUp(config.temporal))) {
    say(`Starting the Temporal dev server at ${config.temporal.address} (it keeps running; npm run server -- --stop)`);
    await startDevServer(config.temporal, { detached: true, codecEndpoint: codecEndpoint(config), say });
  }
  signal.throwIfAborted();
  const client = await connectClient(config.temporal);
  teardown.defer({ what: 'the connection to Temporal', stop: () => client.connection.close(), quiet: true });
  if (previous) {
    const cleared = await clearDemoLeftovers(client, previous);
    removeDemoRecord(config.temporal);
    // On standard error even with --json: what was found and done is worth knowing.
    console.error(`The demo of ${previous.startedAt} (pid ${previous.pid}) did not finish; cleared what it left:`);
    for (const line of cleared.length ? cleared : ['nothing was left']) console.error(`  ${line}`);
  }
  await claimWatchSchedules(client);
  signal.throwIfAborted();

  const record: DemoRecord = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    taskQueue,
    sandboxPort: port,
    sharedSandboxFaults: false,
    workerPids: [],
  };
  writeDemoRecord(config.temporal, record);
  // Removed last, and only when everything stopped: otherwise the next demo finds it and clears what is left.
  teardown.defer({
    what: `the demo's record in ${stateDir}`,
    stop: async () => void (teardown.clean && removeDemoRecord(config.temporal)),
    quiet: true,
  });
  // The simulators of `npm run sandbox` when it runs, else this process's own for the demo's length.
  const sandbox = (await isSandboxUp(port)) ? undefined : await startSandbox(port);
  if (sandbox) {
    teardown.defer({
      what: `the sandbox's simulators (ports ${port}-${port + 4})`,
      stop: () => sandbox.close(),
      now: () => true, // they run in this process
    });
    say(`Started the sandbox's simulators on ports ${port}-${port + 4}`);
  }
  await startCodecServerStep(config, teardown, say);
  signal.throwIfAborted(); // no worker is started after the clean-up began
  // A short grace: the workflows they run are terminated before they stop, so nothing is worth waiting for.
  const workerEnv = {
    ...process.env,
    STEADFAST_SANDBOX: 'on',
    TEMPORAL_TASK_QUEUE: taskQueue,
    STEADFAST_SHUTDOWN_GRACE: '2s',
  };
  // Two workers on one host: a metrics port each (with the default, each takes the next free one after 9464; a set
  // port, that one and the next), or none, or any free ones.
  const metricsPorts =
    config.metricsPort === undefined
      ? ['off', 'off']
      : config.metricsPortIsDefault || config.metricsPort === 0
        ? [undefined, undefined]
        : [config.metricsPort, config.metricsPort + 1].map(String);
  const workers = metricsPorts.map((metricsPort) =>
    startWorkerProcess(metricsPort === undefined ? workerEnv : { ...workerEnv, STEADFAST_METRICS_PORT: metricsPort }),
  );
  record.workerPids = workers.flatMap(({ child }) => (child.pid ? [child.pid] : []));
  writeDemoRecord(config.temporal, record);
  teardown.defer(stopWorkersStep(workers));
  const planned: { accountId: 'alice' | 'bob'; tweetId: string; choice: OwnerChoice }[] = [];
  teardown.defer({
    what: `the workflows running on task queue ${taskQueue}`,
    async stop() {
      const known = planned.map(({ accountId, tweetId }) => workflowIds.reply(accountId, tweetId));
      const reason = signal.aborted ? 'npm run demo was interrupted' : `npm run demo ended: nothing polls ${taskQueue}`;
      const terminated = await terminateTaskQueue(client, taskQueue, reason, known);
      if (terminated.length) return terminatedLine(taskQueue, terminated);
    },
  });
  const runId = String(Date.now() % 1_000_000);
  const watched = { alice: `news${runId}`, bob: `sports${runId}` } as const;
  let killed = false;

  await Promise.all(workers.map((worker) => worker.ready));
  say(
    `Two workers (pids ${record.workerPids.join(', ')}) polling ${taskQueue}. alice watches @${watched.alice} (owner approves), bob @${watched.bob} (auto).`,
  );
  // A Schedule being created when a signal comes is waited for, so that the clean-up deletes it too.
  let creatingWatch: Promise<unknown> = Promise.resolve();
  teardown.defer({
    what: `the Schedules ${demoAccounts.map(workflowIds.watch).join(', ')}`,
    stop: async () => {
      await creatingWatch.catch(() => undefined);
      const removed: string[] = [];
      for (const accountId of demoAccounts) {
        if (await removeWatch(client, accountId, watched[accountId])) removed.push(workflowIds.watch(accountId));
      }
      if (removed.length) return `deleted the Schedules ${removed.join(', ')}`;
    },
  });
  for (const accountId of demoAccounts) {
    const username = watched[accountId];
    await postTargetTweet(port, { authorUsername: username, text: `Hello, I am @${username}.` });
    const approval = accountId === 'alice' ? 'owner' : 'auto';
    signal.throwIfAborted();
    creatingWatch = addWatch(client, taskQueue, { accountId, username, approval, interval: '4s', approvalTimeout });
    await creatingWatch;
    // The first poll marks where the watch begins; the tweets to answer come after it.
    await pollNow(client, accountId, signal);
  }

  const failuresBefore = await Promise.all(services.map((service) => failedRequests(port, service)));
  if (!sandbox) {
    record.sharedSandboxFaults = true;
    writeDemoRecord(config.temporal, record);
  }
  const settingFaults = (async () => {
    for (const service of services) {
      signal.throwIfAborted();
      await setSandboxFaults(port, service, faults[service]);
    }
  })();
  teardown.defer({
    what: `the faults set on the sandbox (port ${port})`,
    stop: async () => {
      await settingFaults.catch(() => undefined); // then none is set after the clean-up cleared them
      for (const service of services) await setSandboxFaults(port, service, {});
      return `cleared the faults set on the sandbox (port ${port})`;
    },
    now: () => sandbox !== undefined, // its own sandbox stops with this process, and its faults with it
  });
  await settingFaults;
  say('Faults on: 5xx on OpenAI, X, Convex; 429s with resets on X; timeouts on Convex; FLOOD_WAIT on Telegram.');

  for (let i = 0; i < tweetsPerAccount; i++) {
    for (const accountId of demoAccounts) {
      const choice = accountId === 'bob' ? 'auto' : (aliceChoices[i % aliceChoices.length] ?? 'approve');
      const text = `Tweet #${i + 1} from @${watched[accountId]}: what do you think?`;
      signal.throwIfAborted();
      const tweetId = await postTargetTweet(port, { authorUsername: watched[accountId], text });
      planned.push({ accountId, tweetId, choice });
    }
  }
  say(`${planned.length} tweets posted on X; the watchers pick them up.`);

  let done = 0;
  const outcomes = await Promise.all(
    planned.map(async ({ accountId, tweetId, choice }) => {
      const outcome = await settle(client, workflowIds.reply(accountId, tweetId), choice, signal);
      done += 1;
      say(`  [${String(done).padStart(2)}/${planned.length}] ${outcome.workflowId}: ${outcome.status} (${choice})`);
      if (!killed && !signal.aborted && done >= planned.length / 3) {
        killed = true;
        say(`  SIGKILL worker pid ${workers[0]?.child.pid}: the other worker takes over its workflows`);
        workers[0]?.child.kill('SIGKILL');
      }
      return outcome;
    }),
  );
  const failuresAfter = await Promise.all(services.map((service) => failedRequests(port, service)));
  const retriesAbsorbed = failuresAfter.reduce((sum, after, i) => sum + after - (failuresBefore[i] ?? 0), 0);

  // Duplicates as X sees them: more than one reply by an account to the same target tweet.
  const targetIds = new Set(planned.map(({ tweetId }) => tweetId));
  const repliedTo = (await sandboxTweets(port))
    .filter((tweet) => tweet.in_reply_to && targetIds.has(tweet.in_reply_to))
    .map((tweet) => `${tweet.authorUsername}:${tweet.in_reply_to}`);

  // The owner hears of every outcome: the outbox sends at Telegram's pace, so its last digest may trail the posts.
  const ownerMessages = await ownerOutboxDrained(client, taskQueue, signal);

  if (signal.aborted) return 130;
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
    ownerMessages,
    taskQueue,
    workerPids: record.workerPids,
    webUi: `${config.temporal.webUiUrl}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`TaskQueue="${taskQueue}"`)}`,
  };
  const accounted = summary.posted + summary.rejected + summary.expired + summary.failed === planned.length;
  const ownerTold = ownerMessages.pending === 0 && ownerMessages.undelivered === 0;
  const ok = accounted && mismatched.length === 0 && summary.duplicates === 0 && ownerTold;

  if (values.json) {
    console.log(JSON.stringify(summary));
  } else {
    say('');
    say(`posted ${summary.posted}, rejected ${summary.rejected}, expired ${summary.expired}, failed ${summary.failed}`);
    if (summary.failedIds.length) say(`dead letters: ${summary.failedIds.join(', ')}`);
    if (mismatched.length) say(`not what the owner chose: ${JSON.stringify(summary.unexpected)}`);
    say(`retries absorbed: ${summary.retriesAbsorbed} failed or unanswered requests, retried by Temporal's policies`);
    say(`duplicates on X: ${summary.duplicates}`);
    say(
      `owner's Telegram: ${ownerMessages.sent} messages (${ownerMessages.merged} notices merged into digests), ` +
        `${ownerMessages.undelivered} undelivered, ${ownerMessages.pending} still waiting`,
    );
    say(`Web UI: ${summary.webUi}`);
    say(
      ok ? 'Every tweet is accounted for, as its owner chose.' : 'Some tweets are not as their owner chose: see above.',
    );
  }
  return ok ? 0 : 1;
}

/** Triggers the account's watch Schedule and waits for that poll to finish. */
async function pollNow(client: Client, accountId: string, signal: AbortSignal): Promise<void> {
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
    await sleep(200, undefined, { signal });
  }
}

/** The simulated owner: waits for the watcher to start the reply, answers as planned, waits for the outcome. */
async function settle(client: Client, workflowId: string, choice: OwnerChoice, signal: AbortSignal): Promise<Outcome> {
  const handle = client.workflow.getHandle<typeof replyWorkflowV2>(workflowId);
  try {
    await until(signal, `${workflowId} to be started by the watcher`, () =>
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
      await until(signal, `${workflowId} to ask for approval`, () =>
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

/** The owner's outbox once it has nothing left to send (or after a minute): what it sent, merged, could not send. */
async function ownerOutboxDrained(client: Client, taskQueue: string, signal: AbortSignal) {
  const outbox = client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue));
  const status = () =>
    outbox.query(ownerOutboxStatusQuery).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return { pending: 0, sent: 0, merged: 0, undelivered: 0 };
      throw err;
    });
  await until(signal, "the owner's outbox to drain", async () => (await status()).pending === 0, 60_000).catch(
    () => undefined, // what still waits is reported
  );
  const { pending, sent, merged, undelivered } = await status();
  return { pending, sent, merged, undelivered };
}

async function until(
  signal: AbortSignal,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250, undefined, { signal });
  }
}

/**
 * Refuses to touch an account's own watch (a Schedule `watch:{account}` on another task queue: the demo would change
 * it); one an earlier demo left on its task queue is cleared first.
 */
async function claimWatchSchedules(client: Client): Promise<void> {
  for (const accountId of demoAccounts) {
    const taskQueue = await watchTaskQueue(client, accountId);
    if (!taskQueue) continue;
    if (!taskQueue.startsWith(demoTaskQueuePrefix)) {
      throw new CommandError(
        `The Schedule ${workflowIds.watch(accountId)} is ${accountId}'s own watch (task queue ${taskQueue}), which the demo would change: remove it first (npm run cli -- watch list, then watch remove), or run the demo against another Temporal server (TEMPORAL_ADDRESS).`,
      );
    }
    const cleared = await clearDemoTaskQueue(client, taskQueue);
    console.error(`An earlier demo left ${workflowIds.watch(accountId)} behind: ${cleared.join('; ')}`);
  }
}

runCommand(run, {
  farewell: 'Nothing the demo started is running now, but the dev server.',
  whenLeft: 'The next npm run demo clears it.',
});
