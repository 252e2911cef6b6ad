import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { permanentCategories, sessionMoved } from '../domain/failure-vocabulary';

/** OpenAI-compatible calls: 2 s doubling to 30 s, 5 attempts; 4xx other than 429 are never retried. */
const aiRetry = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: permanentCategories,
};

/**
 * Every activity's timeouts and retry policy, in one table (docs/reliability.md). Activities classify
 * errors; these policies decide how often and how fast to try again. Nothing else in the code retries.
 */
export const policies = {
  /** OpenAI-compatible chat completion: slow but cheap to repeat. */
  aiGenerate: { startToCloseTimeout: '60s', heartbeatTimeout: '10s', retry: aiRetry },
  /** A chat answer: as a draft, but heartbeating, so the owner's interrupt cancels it within seconds. */
  aiChat: { startToCloseTimeout: '60s', heartbeatTimeout: '5s', retry: aiRetry },
  /**
   * X API v2 post and read: rate limits wait for X's own reset (nextRetryDelay); other failures back off from 2 s to 10
   * minutes over 8 attempts. The heartbeat timeout (here and below: keep-alive.ts) is how soon a call on a worker that
   * died is tried again; a call slower than half of it costs a heartbeat action each half.
   */
  xApi: {
    startToCloseTimeout: '15s',
    heartbeatTimeout: '5s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      maximumAttempts: 8,
      nonRetryableErrorTypes: permanentCategories,
    },
  },
  /**
   * An X OAuth 2.0 refresh, and the reads around it. A refusal (revoked) is never retried: only the owner can cure it.
   * A lost answer cannot be retried either way: X rotated the refresh token, and the owner is asked to authorise.
   */
  xToken: {
    startToCloseTimeout: '15s',
    heartbeatTimeout: '5s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      nonRetryableErrorTypes: permanentCategories,
    },
  },
  /** Convex query or mutation: idempotent, so an outage is waited out for up to a day. */
  convex: {
    startToCloseTimeout: '10s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '24h',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: permanentCategories,
    },
  },
  /** A chat answer sent as the account (GramJS). */
  telegramSend: {
    startToCloseTimeout: '15s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: permanentCategories,
    },
  },
  /**
   * One message into the owner's chat, sent by the owner's outbox: it waits out a Telegram outage for up to a day (what
   * arrives meanwhile joins the next message); a FLOOD_WAIT waits the seconds Telegram names.
   */
  ownerMessage: {
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '24h',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: permanentCategories,
    },
  },
  /**
   * One message over a live session (the control bot's, or an account's), on the task queue of the worker that holds
   * it. A worker that does not take it within 10 s is gone: the sender asks where the session is now and sends there.
   */
  liveSessionSend: {
    scheduleToStartTimeout: '10s',
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '1m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      nonRetryableErrorTypes: [...permanentCategories, sessionMoved],
    },
  },
  /** Where a live session is: a query to its workflow. */
  liveSessionLocate: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  },
  /**
   * Hands a notice to the owner's outbox (a signal-with-start to Temporal itself): quick, and repeated safely, since the
   * outbox drops a notice it already has.
   */
  ownerNotice: {
    startToCloseTimeout: '10s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '24h',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  /** The long-running Telegram session: reconnects forever with backoff; a missed heartbeat means a dead worker. */
  telegramSession: {
    startToCloseTimeout: '3650d',
    // A paced heartbeat (sessionHeartbeatEvery) and 10 s more before a worker counts as gone: a SIGKILLed worker's
    // sessions connect elsewhere within about 45 s.
    heartbeatTimeout: '40s',
    // A pause or stop waits until the activity has disconnected: never two live connections for one account.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '120s',
      nonRetryableErrorTypes: permanentCategories,
    },
  },
  /**
   * Asks the worker holding a session to heartbeat now, so a pause or stop takes effect at once: once, briefly; if
   * that worker is gone, the paced heartbeat (or its timeout) brings the cancellation anyway.
   */
  sessionHurry: {
    startToCloseTimeout: '5s',
    scheduleToCloseTimeout: '10s',
    retry: { maximumAttempts: 1 },
  },
  /** Picks the worker that will hold a login: any worker answers with its own login task queue. */
  loginRouting: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  },
  /**
   * A login's steps, on the task queue of the worker that holds its connection. scheduleToClose is how long to wait
   * for that worker: a minute to send the code; what is left of the code's lifetime to sign in (the login workflow
   * sets it). A worker that does not come back in time means starting over with a new code.
   */
  telegramLogin: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '1m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      nonRetryableErrorTypes: permanentCategories,
    },
  },
} as const satisfies Record<string, ActivityOptions>;

/**
 * The most a worker waits before it sends an activity's heartbeat to the server (the worker's
 * maxHeartbeatThrottleInterval). A pause, stop or interrupt reaches a heartbeating activity in the answer to its next
 * heartbeat sent; by default a worker sends at most one per 80% of the heartbeat timeout, so a pause took 8 s.
 */
export const heartbeatThrottle = '1s';

/**
 * How often a connected session (an account's, the control bot's) heartbeats: what its liveness costs. Each heartbeat
 * that reaches the server is an action: 3600 / interval an hour per session (30 s: 120; 15 s: 240). A pause or stop
 * does not wait for it: the workflow asks the holding worker to heartbeat at once (sessionHurry). A SIGKILLed worker's
 * sessions connect elsewhere after the heartbeat timeout (40 s, above); a graceful stop hands them over at once.
 */
export const sessionHeartbeatEvery = '30s';

/**
 * A reply's workflow task timeout (the server's default is 10 s). Its tasks take milliseconds, and one that a worker
 * took and then died holding waits this long before another worker gets it: all of it added to that reply.
 */
export const replyTaskTimeout = '5s';

/**
 * How long one workflow activation may hold the worker's workflow thread before the SDK stops it (its
 * isolateExecutionTimeout, 5 s by default). Node aborts the whole worker process when a VM script is stopped inside a
 * promise continuation while async hooks are on (nodejs/node#38503; the SDK's cancellation scopes turn them on), so
 * the SDK's 5 s turned a host starved for CPU or memory into a crash. A task slower than its task timeout (5 s for a
 * reply, 10 s for others) is given back by the server anyway; this bound only stops a workflow that never returns,
 * which meanwhile holds the worker's one workflow thread (every workflow of that worker), and whose stop can still
 * abort the process.
 */
export const workflowActivationLimit = '2m';
