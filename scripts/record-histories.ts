import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { resolveTemporalCli } from './lib/temporal-cli-build';
import type { ReplyActivities } from '../src/activities';
import type { Activities } from '../src/workflows/activity-types';
import {
  accountSessionWorkflow,
  chatWorkflow,
  controlBotWorkflow,
  loginWorkflow,
  ownerOutboxWorkflow,
  replyWorkflowV2,
  serviceHealthWorkflow,
  syncMessageWorkflow,
  watchTweetsWorkflow,
  xTokenWorkflow,
} from '../src/workflows';
import type { ReplyInput } from '../src/domain/contracts';
import {
  approveDraftUpdate,
  approveSignal,
  chatInterruptSignal,
  chatMessageSignal,
  chatStatusQuery,
  loginCodeSignal,
  loginStatusQuery,
  passwordReadySignal,
  rejectSignal,
  sessionPauseSignal,
  sessionReportSignal,
  sessionStatusQuery,
  sessionStopSignal,
  statusQuery,
  breakerChangeSignal,
  xAuthorisedSignal,
  xTokensAddedSignal,
  xTokenStatusQuery,
  ownerNoticeSignal,
  ownerOutboxStatusQuery,
  ownerPairedSignal,
  controlBotHostQuery,
  controlBotHostSignal,
} from '../src/workflows/messages';
import { searchAttributeKeys } from '../src/workflows/search-attributes';

/** Where the replay test reads the recorded histories. */
const historiesDir = join(__dirname, '..', 'test', 'histories');

/**
 * `npm run test:record-histories`: records the histories of the shipped workflows into test/histories/*.json.
 * test/integration/replay.test.ts replays them against the current code, so a change that would break running workflows fails
 * the tests (change a workflow's shape only behind `patched()`). Only scenarios without a file are recorded: the
 * files stand for what earlier versions wrote, so they stay (`--overwrite` re-records all, for a new workflow only).
 */
type Scenario = {
  name: string;
  input: ReplyInput;
  failPost?: boolean;
  cancel?: boolean;
  refuseNotice?: boolean;
  /** Posts X refuses as duplicate content before it takes one (reply-redraft-duplicate). */
  duplicates?: number;
  /** The owner's outbox runs, so the reply's own signal reaches it; else the hand-over falls back to the activity. */
  outbox?: boolean;
  /** X refuses the account's login once: the reply waits for new tokens (reply-waits-for-x-authorisation). */
  needsAuthorisation?: boolean;
};

const tweet = (id: string) => ({ id, text: 'Is Temporal durable?', authorUsername: 'bob' });
const scenarios: Scenario[] = [
  // replyWorkflowV2 (the first type was retired in 0.2.0, src/workflows/patches.ts): notices signalled to the
  // outbox, or handed over where none runs.
  {
    name: 'reply-v2-owner-edited',
    input: { accountId: 'alice', tweet: tweet('1102'), approval: 'owner', firstRun: true },
    outbox: true,
  },
  {
    name: 'reply-v2-owner-rejected',
    input: { accountId: 'bob', tweet: tweet('1103'), approval: 'owner', firstRun: true },
    outbox: true,
  },
  {
    name: 'reply-v2-expired',
    input: { accountId: 'bob', tweet: tweet('1104'), approval: 'owner', approvalTimeout: '1s', firstRun: true },
    outbox: true,
  },
  {
    name: 'reply-v2-cancelled',
    input: { accountId: 'bob', tweet: tweet('1107'), approval: 'owner', firstRun: true },
    outbox: true,
    cancel: true,
  },
  {
    name: 'reply-v2-posted-notice-refused',
    input: { accountId: 'alice', tweet: tweet('1108'), approval: 'auto', firstRun: true },
    refuseNotice: true,
  },
  {
    name: 'reply-v2-auto-redrafted',
    input: { accountId: 'alice', tweet: tweet('1110'), approval: 'auto', firstRun: true },
    outbox: true,
    duplicates: 2,
  },
  {
    name: 'reply-v2-owner-redrafted',
    input: { accountId: 'bob', tweet: tweet('1111'), approval: 'owner', firstRun: true },
    outbox: true,
    duplicates: 1,
  },
  {
    name: 'reply-v2-owner-approved-by-update',
    input: { accountId: 'alice', tweet: tweet('1112'), approval: 'owner', firstRun: true },
    outbox: true,
  },
  // Since reply-waits-for-x-authorisation was deprecated: its marker is a deprecated one, which its removal may skip.
  {
    name: 'reply-v2-awaited-authorisation-deprecated',
    input: { accountId: 'alice', tweet: tweet('1118'), approval: 'auto', firstRun: true },
    outbox: true,
    needsAuthorisation: true,
  },
  // replyWorkflowV2: every patch applied, no marker; notices signalled to the outbox, or handed over where none runs.
  {
    name: 'reply-v2-auto-posted',
    input: { accountId: 'alice', tweet: tweet('1015'), approval: 'auto', firstRun: true },
    outbox: true,
  },
  {
    name: 'reply-v2-owner-approved',
    input: { accountId: 'bob', tweet: tweet('1016'), approval: 'owner', firstRun: true },
  },
  {
    name: 'reply-v2-dead-letter',
    input: { accountId: 'alice', tweet: tweet('1017'), approval: 'auto', firstRun: true },
    outbox: true,
    failPost: true,
  },
  // The account's X login was revoked: the reply waits until new tokens are added, then posts.
  {
    name: 'reply-v2-awaited-authorisation',
    input: { accountId: 'alice', tweet: tweet('1018'), approval: 'auto', firstRun: true },
    outbox: true,
    needsAuthorisation: true,
  },
];

async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cli = resolveTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      searchAttributes: searchAttributeKeys,
    },
  });
  // A history already recorded is what an earlier version wrote: never replace it unless asked to.
  const overwrite = process.argv.includes('--overwrite');
  try {
    for (const scenario of scenarios) {
      if (!overwrite && existsSync(join(historiesDir, `${scenario.name}.json`))) continue;
      const taskQueue = `record-${scenario.name}`;
      let refusals = 0;
      let refusedLogin = false;
      const activities: ReplyActivities = {
        generateReply: async ({ tweet, avoid = [] }) => ({
          text: `draft ${avoid.length + 1} for ${tweet.id}`,
          attempt: 1,
        }),
        notifyOwner: async () => {
          if (scenario.refuseNotice) {
            throw ApplicationFailure.nonRetryable('Telegram answered 403 CHAT_WRITE_FORBIDDEN', 'permission');
          }
        },
        postReply: async ({ inReplyToTweetId }) => {
          if (scenario.failPost) throw ApplicationFailure.nonRetryable('X rejected the text (400)', 'invalid-input');
          if (scenario.needsAuthorisation && !refusedLogin) {
            refusedLogin = true;
            throw ApplicationFailure.nonRetryable(
              'X refused the login of alice (X answered 400)',
              'needs-authorisation',
            );
          }
          if (refusals < (scenario.duplicates ?? 0)) {
            refusals += 1;
            throw ApplicationFailure.nonRetryable('X API answered 403: duplicate content', 'duplicate-content');
          }
          return { replyTweetId: `9${inReplyToTweetId}`, attempt: 1 };
        },
        recordReply: async () => undefined,
      };
      const outbox: Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
        sendOwnerMessage: async () => undefined,
        locateControlBot: async () => ({}),
      };
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowsPath: require.resolve('../src/workflows'),
        activities: { ...activities, ...outbox },
      });
      const workflowId = `reply:${scenario.input.accountId}:${scenario.input.tweet.id}`;
      await worker.runUntil(async () => {
        if (scenario.outbox) {
          await env.client.workflow.start(ownerOutboxWorkflow, {
            taskQueue,
            workflowId: `owner-outbox:${taskQueue}`,
            args: [{}],
          });
        }
        const handle = await env.client.workflow.start(replyWorkflowV2, {
          taskQueue,
          workflowId,
          args: [scenario.input],
        });
        if (scenario.input.approval === 'owner' && scenario.name !== 'reply-v2-expired') {
          // Answer as an owner does: once the approval request is out.
          while ((await handle.query(statusQuery)).stage !== 'awaiting-approval') await sleep(50);
        }
        if (scenario.name === 'reply-v2-owner-edited') await handle.signal(approveSignal, { text: 'edited' });
        if (scenario.name === 'reply-v2-owner-approved-by-update') {
          await handle.executeUpdate(approveDraftUpdate, { args: [{ text: 'edited by update' }] });
        }
        if (scenario.name === 'reply-v2-owner-approved') await handle.executeUpdate(approveDraftUpdate, { args: [{}] });
        if (scenario.name === 'reply-v2-owner-redrafted') {
          await handle.signal(approveSignal, {});
          const redrafted = async () => {
            const status = await handle.query(statusQuery);
            return status.stage === 'awaiting-approval' && status.lastError !== undefined;
          };
          while (!(await redrafted())) await sleep(50);
          await handle.signal(approveSignal, {});
        }
        if (scenario.name === 'reply-v2-owner-rejected') await handle.signal(rejectSignal, { reason: 'off topic' });
        if (scenario.needsAuthorisation) {
          while ((await handle.query(statusQuery)).stage !== 'awaiting-authorisation') await sleep(50);
          await handle.signal(xAuthorisedSignal);
        }
        if (scenario.cancel) await handle.cancel();
        await handle.result().catch(() => undefined);
        writeHistory(cli, env.address, workflowId, scenario.name);
      });
    }
    // Since watch-starts-reply-v2 (its replies start as replyWorkflowV2), then since it was deprecated.
    for (const name of ['watch-new-tweets-v2', 'watch-new-tweets-deprecated'] as const) {
      if (overwrite || !existsSync(join(historiesDir, `${name}.json`))) await recordWatch(env, cli, name);
    }
    if (overwrite || !existsSync(join(historiesDir, 'sync-stored.json'))) await recordSync(env, cli);
    for (const name of ['chat-answered', 'chat-interrupted', 'chat-answered-over-session'] as const) {
      if (overwrite || !existsSync(join(historiesDir, `${name}.json`))) await recordChat(env, cli, name);
    }
    for (const name of ['login-two-factor', 'login-worker-lost', 'login-expired'] as const) {
      if (overwrite || !existsSync(join(historiesDir, `${name}.json`))) await recordLogin(env, cli, name);
    }
    if (overwrite || !existsSync(join(historiesDir, 'x-token-refreshed-refused-added.json')))
      await recordXToken(env, cli);
    if (overwrite || !existsSync(join(historiesDir, 'service-health-outage.json'))) await recordServiceHealth(env, cli);
    for (const name of ['owner-outbox-delivered', 'owner-outbox-waited-for-owner'] as const) {
      if (overwrite || !existsSync(join(historiesDir, `${name}.json`))) await recordOwnerOutbox(env, cli, name);
    }
    if (overwrite || !existsSync(join(historiesDir, 'owner-outbox-rolled-over-mid-send.json'))) {
      await recordOwnerOutboxRollover(env, cli);
    }
    if (overwrite || !existsSync(join(historiesDir, 'owner-outbox-sent-apart.json'))) {
      await recordOwnerOutboxApart(env, cli);
    }
    for (const name of ['owner-outbox-edited-request', 'owner-outbox-edited-at-once'] as const) {
      if (overwrite || !existsSync(join(historiesDir, `${name}.json`))) await recordOwnerOutboxEdit(env, cli, name);
    }
    if (overwrite || !existsSync(join(historiesDir, 'control-bot-reconnected.json'))) await recordControlBot(env, cli);
  } finally {
    await env.teardown();
  }
  for (const name of ['account-session-continued', 'account-session-rolled-over'] as const) {
    if (overwrite || !existsSync(join(historiesDir, `${name}.json`))) await recordSession(cli, name);
  }
  if (overwrite || !existsSync(join(historiesDir, 'account-session-paused-at-once.json'))) {
    await recordSessionPaused(cli);
  }
}

/** One watch poll: a cursor, two new tweets, two reply workflows started (which the recording leaves running). */
async function recordWatch(env: TestWorkflowEnvironment, cli: string, name: string): Promise<void> {
  const taskQueue = `record-${name}`;
  const activities: Pick<Activities, 'watchCursor' | 'recentTweets' | 'advanceWatchCursor'> & ReplyActivities = {
    watchCursor: async () => '100',
    recentTweets: async () => ({
      tweets: [
        { id: '102', text: 'second', authorUsername: 'nasa' },
        { id: '101', text: 'first', authorUsername: 'nasa' },
      ],
      newestId: '102',
    }),
    advanceWatchCursor: async () => undefined,
    generateReply: async ({ tweet }) => ({ text: `draft for ${tweet.id}`, attempt: 1 }),
    notifyOwner: async () => undefined,
    postReply: async ({ inReplyToTweetId }) => ({ replyTweetId: `9${inReplyToTweetId}`, attempt: 1 }),
    recordReply: async () => undefined,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  const workflowId = `watch:alice-recorded-${name}`;
  await worker.runUntil(
    env.client.workflow.execute(watchTweetsWorkflow, {
      taskQueue,
      workflowId,
      args: [{ accountId: 'alice', usernames: ['nasa'], approval: 'auto' }],
    }),
  );
  writeHistory(cli, env.address, workflowId, name);
}

/**
 * An account's X token refresher: a refresh on its timer, a refresh X refuses (the owner is alerted), new tokens
 * added, the waiting replies woken; then terminated, as it never ends of itself.
 */
async function recordXToken(env: TestWorkflowEnvironment, cli: string): Promise<void> {
  const taskQueue = 'record-x-token';
  let version = 1;
  let refused: string | undefined;
  const state = () => ({
    version,
    issuedAt: Date.now(),
    expiresAt: Date.now() + 1_000,
    ...(refused ? { refused } : {}),
  });
  const activities: Pick<
    Activities,
    'xTokenState' | 'refreshXToken' | 'resumeRepliesAwaitingAuthorisation' | 'notifyOwner'
  > = {
    xTokenState: async () => state(),
    refreshXToken: async () => {
      if (version === 2) {
        refused = 'X answered 400: invalid_request';
        throw ApplicationFailure.nonRetryable(`X refused the login of alice (${refused})`, 'needs-authorisation');
      }
      version += 1;
      return state();
    },
    resumeRepliesAwaitingAuthorisation: async () => 1,
    notifyOwner: async () => undefined,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  const workflowId = 'x-token:alice';
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(xTokenWorkflow, {
      taskQueue,
      workflowId,
      args: [{ accountId: 'alice' }],
    });
    while ((await handle.query(xTokenStatusQuery)).state !== 'needs-authorisation') await sleep(50);
    refused = undefined;
    version = 4;
    await handle.signal(xTokensAddedSignal);
    // The replies woken, and a refresh or two of the new tokens on their timer.
    await sleep(2_000);
    await handle.terminate('recorded');
  });
  writeHistory(cli, env.address, workflowId, 'x-token-refreshed-refused-added');
}

/** The deployment's breakers: X opens on two workers and closes on one; the owner is told twice, through the activity. */
async function recordServiceHealth(env: TestWorkflowEnvironment, cli: string): Promise<void> {
  const taskQueue = 'record-service-health';
  const told: string[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities: { notifyOwner: async ({ text }: { text: string }) => void told.push(text) },
  });
  const workflowId = `service-health:${taskQueue}`;
  await worker.runUntil(async () => {
    const since = 1_800_000_000_000;
    const handle = await env.client.workflow.start(serviceHealthWorkflow, { taskQueue, workflowId, args: [{}] });
    const lastError = 'X API answered 503: Simulated 503';
    await handle.signal(breakerChangeSignal, {
      service: 'x',
      state: 'open',
      at: since,
      since,
      lastError,
      worker: 'one',
      waitingReplies: 20,
    });
    await handle.signal(breakerChangeSignal, {
      service: 'x',
      state: 'open',
      at: since + 1_000,
      since: since + 1_000,
      lastError,
      worker: 'two',
    });
    await handle.signal(breakerChangeSignal, {
      service: 'x',
      state: 'closed',
      at: since + 190_000,
      since,
      worker: 'one',
    });
    while (told.length < 2) await sleep(50);
    await handle.terminate('recorded');
  });
  writeHistory(cli, env.address, workflowId, 'service-health-outage', { note: told.join(' | ') });
}

/**
 * Writes a workflow's history as test/histories/<name>.json: the CLI's JSON, the canonical history format that replay
 * (and the Web UI's download) uses. `runId`: that run (default the latest); `note`: printed beside the path.
 */
/** A worker running the owner's outbox on `taskQueue` with this send (no control bot holds a session), and its id. */
async function outboxWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  sendOwnerMessage: Activities['sendOwnerMessage'],
): Promise<{ worker: Worker; workflowId: string }> {
  const activities: Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
    sendOwnerMessage,
    locateControlBot: async () => ({}),
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  return { worker, workflowId: `owner-outbox:${taskQueue}` };
}

/** An outbox notice for the recordings. */
const outboxNotice = (n: number) => ({
  key: `k${n}`,
  accountId: 'alice',
  text: `notice ${n}`,
  kind: 'notice' as const,
});

/**
 * The owner's outbox: two notices delivered (the second merged into a digest with a third), over a connection of its
 * own as no worker holds the bot's session; or, since outbox-waits-for-owner, a notice that waits until someone pairs.
 */
async function recordOwnerOutbox(
  env: TestWorkflowEnvironment,
  cli: string,
  name: 'owner-outbox-delivered' | 'owner-outbox-waited-for-owner',
): Promise<void> {
  const taskQueue = `record-${name}`;
  let paired = name === 'owner-outbox-delivered';
  const { worker, workflowId } = await outboxWorker(env, taskQueue, async () => {
    if (!paired) throw ApplicationFailure.nonRetryable('Nobody is paired as the owner yet', 'no-owner');
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(ownerOutboxWorkflow, { taskQueue, workflowId, args: [{}] });
    const status = () => handle.query(ownerOutboxStatusQuery);
    await handle.signal(ownerNoticeSignal, outboxNotice(1));
    if (!paired) {
      while ((await status()).lastError === undefined) await sleep(50);
      paired = true;
      await handle.signal(ownerPairedSignal);
    }
    while ((await status()).sent < 1) await sleep(50);
    await handle.signal(ownerNoticeSignal, outboxNotice(2));
    await handle.signal(ownerNoticeSignal, outboxNotice(3));
    while ((await status()).pending > 0) await sleep(50);
    await handle.terminate('recorded'); // the outbox runs for good
    writeHistory(cli, env.address, workflowId, name);
  });
}

/**
 * The owner's outbox since outbox-bounded-carry: a send hangs while 2,100 notices arrive, so the run rolls over
 * mid-send with a bounded backlog (owner-outbox-rolled-over-mid-send); the next run sends the hung message again under
 * its key, then the backlog (owner-outbox-resent-after-rollover).
 */
async function recordOwnerOutboxRollover(env: TestWorkflowEnvironment, cli: string): Promise<void> {
  const taskQueue = 'record-owner-outbox-rollover';
  let calls = 0;
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { worker, workflowId } = await outboxWorker(env, taskQueue, async () => {
    calls += 1;
    if (calls === 1) await held;
  });
  await worker.runUntil(async () => {
    await env.client.workflow.start(ownerOutboxWorkflow, { taskQueue, workflowId, args: [{}] });
    const next = env.client.workflow.getHandle(workflowId); // the latest run, whichever it is
    await next.signal(ownerNoticeSignal, outboxNotice(0));
    while (calls < 1) await sleep(50);
    const firstRun = (await next.describe()).runId;
    for (let i = 1; i <= 2100; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => next.signal(ownerNoticeSignal, outboxNotice(i + j))));
    }
    while ((await next.describe()).runId === firstRun) await sleep(100);
    release();
    while ((await next.query(ownerOutboxStatusQuery)).pending > 0) await sleep(100);
    const secondRun = (await next.describe()).runId;
    await next.terminate('recorded');
    writeHistory(cli, env.address, workflowId, 'owner-outbox-rolled-over-mid-send', { runId: firstRun });
    writeHistory(cli, env.address, workflowId, 'owner-outbox-resent-after-rollover', { runId: secondRun });
  });
}

/**
 * The owner's outbox since edits: an approval request goes out alone with its buttons (message 41), then the reply's
 * outcome edits that message in place instead of sending a new one; since outbox-burst, at once, with no timer
 * (owner-outbox-edited-at-once).
 */
async function recordOwnerOutboxEdit(
  env: TestWorkflowEnvironment,
  cli: string,
  name: 'owner-outbox-edited-request' | 'owner-outbox-edited-at-once',
): Promise<void> {
  const taskQueue = `record-${name}`;
  const sends: Parameters<Activities['sendOwnerMessage']>[0][] = [];
  const { worker, workflowId } = await outboxWorker(env, taskQueue, async (request) => {
    sends.push(request);
    return { messageId: request.edit ?? 41 };
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(ownerOutboxWorkflow, { taskQueue, workflowId, args: [{}] });
    const ref = 'reply:alice:1';
    await handle.signal(ownerNoticeSignal, {
      key: 'approval',
      accountId: 'alice',
      text: `Reply to @bob? (${ref})\n\ndraft`,
      kind: 'approval',
      ref,
    });
    while ((await handle.query(ownerOutboxStatusQuery)).sent < 1) await sleep(50);
    await handle.signal(ownerNoticeSignal, {
      key: 'outcome',
      accountId: 'alice',
      text: 'Posted a reply to tweet 1: draft',
      kind: 'notice',
      ref,
      settles: `Reply to @bob (${ref})\n\ndraft\n\n✅ Posted: https://x.com/i/web/status/91`,
    });
    while ((await handle.query(ownerOutboxStatusQuery)).sent < 2) await sleep(50);
    if (sends[0]?.markup === undefined || sends[1]?.edit !== 41) {
      throw new Error(`expected a request with buttons, then an edit of it: ${JSON.stringify(sends)}`);
    }
    const timers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    if (name === 'owner-outbox-edited-at-once' && timers > 0) throw new Error(`expected no timer, found ${timers}`);
    await handle.terminate('recorded');
    writeHistory(cli, env.address, workflowId, name);
  });
}

/**
 * Three notices, each arriving after the gap since the last send, so no timer paces them. Recorded before
 * outbox-burst (its marker absent): a run of that build must replay without a pacing timer after each send.
 */
async function recordOwnerOutboxApart(env: TestWorkflowEnvironment, cli: string): Promise<void> {
  const taskQueue = 'record-owner-outbox-sent-apart';
  const { worker, workflowId } = await outboxWorker(env, taskQueue, async () => undefined);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(ownerOutboxWorkflow, { taskQueue, workflowId, args: [{}] });
    for (let n = 1; n <= 3; n += 1) {
      await handle.signal(ownerNoticeSignal, outboxNotice(n));
      while ((await handle.query(ownerOutboxStatusQuery)).sent < n) await sleep(50);
      await sleep(2000);
    }
    const timers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    if (timers > 0) throw new Error(`expected no timer, found ${timers}`);
    await handle.terminate('recorded');
    writeHistory(cli, env.address, workflowId, 'owner-outbox-sent-apart');
  });
}

/**
 * The control bot: its session drops once (retried by the policy, as a reconnect), then the session reports where it
 * runs (the `host` signal the owner's outbox asks after) and ends, as it does when the bot is turned off.
 */
async function recordControlBot(env: TestWorkflowEnvironment, cli: string): Promise<void> {
  const taskQueue = 'record-control-bot';
  const workflowId = `control-bot:${taskQueue}`;
  const activities: Pick<Activities, 'runControlBot'> = {
    runControlBot: async () => {
      if (Context.current().info.attempt === 1)
        throw ApplicationFailure.retryable('the connection to Telegram dropped');
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(controlBotHostSignal, { hostQueue: 'record-worker-1' });
      while ((await handle.query(controlBotHostQuery)).hostQueue === undefined) await sleep(50);
    },
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  await worker.runUntil(async () => {
    await env.client.workflow.execute(controlBotWorkflow, { taskQueue, workflowId });
    writeHistory(cli, env.address, workflowId, 'control-bot-reconnected');
  });
}

function writeHistory(
  cli: string,
  address: string,
  workflowId: string,
  name: string,
  options: { runId?: string; note?: string } = {},
): void {
  const path = join(historiesDir, `${name}.json`);
  const run = options.runId ? ['-r', options.runId] : [];
  writeFileSync(
    path,
    execFileSync(cli, ['workflow', 'show', '--address', address, '-w', workflowId, ...run, '-o', 'json'], {
      maxBuffer: 64 * 1024 * 1024, // a rollover's history is over a megabyte
    }),
  );
  console.log(`recorded ${path}${options.note ? `: ${options.note}` : ''}`);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});

/** One message synced: a Convex upsert that failed once (an outage) and then stored it. */
async function recordSync(env: TestWorkflowEnvironment, cli: string): Promise<void> {
  const taskQueue = 'record-sync';
  let calls = 0;
  const activities: Pick<Activities, 'saveMessage' | 'notifyOwner'> = {
    saveMessage: async () => {
      calls += 1;
      if (calls === 1) throw ApplicationFailure.retryable('Convex answered 503', 'upstream');
      return { created: true };
    },
    notifyOwner: async () => undefined,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  const workflowId = 'sync:alice:555:1';
  const message = { chatId: '555', messageId: 1, senderId: '555', text: 'hello', date: 1_800_000_000 };
  await worker.runUntil(
    env.client.workflow.execute(syncMessageWorkflow, {
      taskQueue,
      workflowId,
      args: [{ accountId: 'alice', message }],
    }),
  );
  writeHistory(cli, env.address, workflowId, 'sync-stored');
}

/**
 * An account session on a server that suggests continue-as-new after a few events: a dropped connection, then a retry
 * that connects and reports (signals) while the history passes the threshold. `continued`: the slice ends and the
 * workflow continues as new (what the first version did); `rolled-over`: the workflow cancels the slice as soon as it
 * is suggested (since the `session-rollover-mid-slice` patch), the activity reports where it stopped, then continues.
 */
async function recordSession(
  cli: string,
  name: 'account-session-continued' | 'account-session-rolled-over',
): Promise<void> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=20'],
    },
  });
  try {
    const taskQueue = 'record-session';
    const workflowId = 'account:alice-recorded';
    const connectedSince = '2026-01-01T00:00:00.000Z';
    const activities: Pick<Activities, 'loadAccountSettings' | 'runSession' | 'notifyOwner'> = {
      loadAccountSettings: async () => ({
        accountId: 'alice',
        approval: 'owner',
        chatsAnsweredWithAi: [],
        watchedUsernames: [],
      }),
      runSession: async (request) => {
        const context = Context.current();
        const { attempt } = context.info;
        if (attempt === 1) throw ApplicationFailure.retryable('the connection to Telegram dropped', 'network');
        const handle = env.client.workflow.getHandle(workflowId);
        const point = { pts: (request.from?.pts ?? 10) + 3, date: 1_800_000_000 };
        const reportEveryMs = name === 'account-session-rolled-over' ? 1000 : 100;
        for (let i = 0; name === 'account-session-rolled-over' || i < 6; i++) {
          await handle.signal(sessionReportSignal, {
            state: 'connected',
            connectedSince,
            latencyMs: 5,
            attempt,
            point,
          });
          context.heartbeat({ point, synced: 3 });
          const cancelled = await Promise.race([context.cancelled.catch(() => true), sleep(reportEveryMs)]);
          if (cancelled) {
            await handle.signal(sessionReportSignal, { state: 'disconnected', connectedSince, attempt, point });
            await context.cancelled;
          }
        }
        return { point, synced: 3 };
      },
      notifyOwner: async () => undefined,
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../src/workflows'),
      activities,
    });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(accountSessionWorkflow, {
        taskQueue,
        workflowId,
        args: [{ accountId: 'alice' }],
      });
      const firstRunId = handle.firstExecutionRunId;
      // Recorded once the first run has continued as new.
      while ((await env.client.workflow.getHandle(workflowId).describe()).runId === firstRunId) await sleep(100);
      writeHistory(cli, env.address, workflowId, name, { runId: firstRunId });
      await env.client.workflow.getHandle(workflowId).terminate('recorded');
    });
  } finally {
    await env.teardown();
  }
}

/**
 * A connected session paused (the workflow asks the holding worker, on its own queue, to heartbeat at once:
 * session-cancel-at-once), then stopped while paused.
 */
async function recordSessionPaused(cli: string): Promise<void> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli } },
  });
  try {
    const taskQueue = 'record-session-paused';
    const hostQueue = `${taskQueue}-host`;
    const workflowId = 'account:alice-recorded-paused';
    const point = { pts: 13, date: 1_800_000_000 };
    const activities: Pick<Activities, 'loadAccountSettings' | 'runSession'> = {
      loadAccountSettings: async () => ({
        accountId: 'alice',
        approval: 'owner',
        chatsAnsweredWithAi: [],
        watchedUsernames: [],
      }),
      runSession: async () => {
        const context = Context.current();
        const connectedSince = '2026-01-01T00:00:00.000Z';
        const { attempt } = context.info;
        const handle = env.client.workflow.getHandle(workflowId);
        await handle.signal(sessionReportSignal, { state: 'connected', connectedSince, attempt, point, hostQueue });
        for (;;) {
          context.heartbeat({ point, synced: 0 });
          if (await Promise.race([context.cancelled.catch(() => true), sleep(200)])) break;
        }
        await handle.signal(sessionReportSignal, { state: 'disconnected', connectedSince, attempt, point });
        return await context.cancelled.then(() => ({ point, synced: 0 }));
      },
    };
    const hurried: Pick<Activities, 'hurrySession'> = { hurrySession: async () => ({ held: true }) };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../src/workflows'),
      activities,
    });
    const host = await Worker.create({ connection: env.nativeConnection, taskQueue: hostQueue, activities: hurried });
    await Promise.all([
      host.runUntil(
        worker.runUntil(async () => {
          const handle = await env.client.workflow.start(accountSessionWorkflow, {
            taskQueue,
            workflowId,
            args: [{ accountId: 'alice' }],
          });
          while ((await handle.query(sessionStatusQuery)).state !== 'connected') await sleep(50);
          await handle.signal(sessionPauseSignal);
          while ((await handle.query(sessionStatusQuery)).state !== 'paused') await sleep(50);
          await handle.signal(sessionStopSignal);
          await handle.result();
          writeHistory(cli, env.address, workflowId, 'account-session-paused-at-once');
        }),
      ),
    ]);
  } finally {
    await env.teardown();
  }
}

/**
 * Logins, with the login steps on a worker queue of their own. `two-factor`: a wrong code, the right one, the 2FA
 * password, logged in, the account's session started. `worker-lost`: the worker that gets the code no longer holds the
 * login, so a second code is sent, and that one logs in. `expired`: no code is entered.
 */
async function recordLogin(
  env: TestWorkflowEnvironment,
  cli: string,
  name: 'login-two-factor' | 'login-worker-lost' | 'login-expired',
): Promise<void> {
  const taskQueue = `record-${name}`;
  const loginQueue = `${taskQueue}-login-recorder`;
  let signIns = 0;
  const steps: Pick<Activities, 'sendLoginCode' | 'signInWithCode' | 'checkLoginPassword' | 'endLogin'> = {
    sendLoginCode: async () => undefined,
    signInWithCode: async ({ code }) => {
      // worker-lost: the first sign-in reaches a worker that restarted elsewhere and no longer knows the login.
      if (name === 'login-worker-lost' && signIns++ === 0) {
        throw ApplicationFailure.nonRetryable('No login of account alice is in progress on this worker', 'not-found');
      }
      return code === '12345' ? 'password-needed' : code === '55555' ? 'logged-in' : 'code-invalid';
    },
    checkLoginPassword: async () => 'logged-in',
    endLogin: async () => undefined,
  };
  const activities: Pick<Activities, 'loginWorkerQueue' | 'notifyOwner' | 'loadAccountSettings' | 'runSession'> = {
    loginWorkerQueue: async () => loginQueue,
    notifyOwner: async () => undefined,
    loadAccountSettings: async () => null,
    runSession: async () => ({ point: { pts: 1, date: 1 }, synced: 0 }),
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  const loginWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: loginQueue,
    activities: steps,
  });
  const workflowId = `login:alice-${name}`;
  const codeTimeout = name === 'login-two-factor' ? '1m' : '3s';
  await worker.runUntil(
    loginWorker.runUntil(async () => {
      const handle = await env.client.workflow.start(loginWorkflow, {
        taskQueue,
        workflowId,
        args: [{ accountId: 'alice', phone: '+15550100001', codeTimeout }],
      });
      const reach = async (state: string) => {
        while ((await handle.query(loginStatusQuery)).state !== state) await sleep(50);
      };
      if (name === 'login-two-factor') {
        await reach('awaiting-code');
        await handle.signal(loginCodeSignal, '00000');
        await sleep(500);
        await reach('awaiting-code');
        await handle.signal(loginCodeSignal, '12345');
        await reach('awaiting-password');
        await handle.signal(passwordReadySignal);
      }
      if (name === 'login-worker-lost') {
        await reach('awaiting-code');
        await handle.signal(loginCodeSignal, '55555');
        while ((await handle.query(loginStatusQuery)).codesSent < 2) await sleep(100);
        await reach('awaiting-code');
        await handle.signal(loginCodeSignal, '55555');
      }
      await handle.result();
      writeHistory(cli, env.address, workflowId, name);
      // The account session a successful login started is not part of the recording.
      await env.client.workflow
        .getHandle('account:alice')
        .terminate('recorded')
        .catch(() => undefined);
    }),
  );
}

/** A chat: `answered`, three messages in one batch and one answer; `interrupted`, an answer cancelled, then one sent. */
async function recordChat(
  env: TestWorkflowEnvironment,
  cli: string,
  name: 'chat-answered' | 'chat-interrupted' | 'chat-answered-over-session',
): Promise<void> {
  const taskQueue = `record-${name}`;
  // Since chat-answer-over-session: the answer goes over the account's live session, on its worker's own queue.
  const hostQueue = `${taskQueue}-login-session-worker`;
  let calls = 0;
  const activities: Pick<Activities, 'generateChatAnswer' | 'sendChatMessage' | 'locateSession'> = {
    locateSession: async () => ({ hostQueue }),
    generateChatAnswer: async ({ messages }) => {
      const context = Context.current();
      if (name === 'chat-interrupted' && calls++ === 0) {
        for (;;) {
          context.heartbeat();
          await Promise.race([context.cancelled, sleep(200)]);
        }
      }
      return `an answer to ${messages.length} messages`;
    },
    sendChatMessage: async () => ({ messageId: 1 }),
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
  const hostWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: hostQueue,
    activities: { sendAsAccount: async () => undefined } satisfies Pick<Activities, 'sendAsAccount'>,
  });
  const workflowId = `chat:alice:${{ 'chat-answered': 555, 'chat-interrupted': 556, 'chat-answered-over-session': 557 }[name]}`;
  const batching = { firstWait: '200ms', quiet: '500ms', maxWait: '5s' };
  const message = (messageId: number) => ({
    chatId: '555',
    messageId,
    senderId: '555',
    text: `m${messageId}`,
    date: 1,
  });
  await hostWorker.runUntil(() =>
    worker.runUntil(async () => {
      const start = (messageId: number) =>
        env.client.workflow.signalWithStart(chatWorkflow, {
          taskQueue,
          workflowId,
          args: [{ accountId: 'alice', chatId: '555', batching }],
          signal: chatMessageSignal,
          signalArgs: [message(messageId)],
        });
      const handle = await start(1);
      const status = () => handle.query(chatStatusQuery);
      if (name !== 'chat-interrupted') {
        await start(2);
        await start(3);
      } else {
        while ((await status()).state !== 'generating') await sleep(50);
        await handle.signal(chatInterruptSignal);
        while ((await status()).interrupted === 0) await sleep(50);
        await start(4);
      }
      while ((await status()).answered === 0) await sleep(50);
      await handle.terminate('recorded'); // a chat waits an hour for more before it ends
      writeHistory(cli, env.address, workflowId, name);
    }),
  );
}
