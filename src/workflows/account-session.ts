import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ApplicationFailure } from '@temporalio/common';
import type { Activities } from './activity-types';
import { notifyOwnerOfDeadLetter } from './alerts';
import type { AccountSessionInput, SyncPoint } from '../domain/contracts';
import { deadLetter } from './dead-letter';
import { countNeedsLogin } from './metrics';
import {
  reloginSignal,
  sessionPauseSignal,
  sessionReportSignal,
  sessionResumeSignal,
  sessionStatusQuery,
  sessionStopSignal,
  type SessionStatusView,
} from './messages';
import { policies } from './policies';

const { loadAccountSettings } = proxyActivities<Activities>({
  ...policies.convex,
  summary: "Read the account's settings from Convex",
});
const { runSession } = proxyActivities<Activities>({
  ...policies.telegramSession,
  summary: 'Hold the Telegram connection and hand its messages over',
});

/** How long one session activity runs before handing its point back: the workflow keeps it between slices. */
const sliceMs = 10 * 60_000;

/**
 * One Telegram account, connected from exactly one place, for months: settings first, then the heartbeating session
 * activity, slice after slice, keeping the point up to which messages were handed over. Disconnects are the retry
 * policy's (1 s doubling to 120 s); auth errors wait for `relogin`; `pause` disconnects and holds.
 */
export async function accountSessionWorkflow({ accountId, carried }: AccountSessionInput): Promise<void> {
  const status: SessionStatusView = {
    state: 'connecting',
    failures: carried?.failures ?? 0,
    reconnects: carried?.reconnects ?? 0,
    lastSuccessAt: carried?.lastSuccessAt,
  };
  let point: SyncPoint | undefined = carried?.point;
  let paused = false;
  let stopped = false;
  let relogin = false;
  let rollingOver = false;
  let session: CancellationScope | undefined;
  setHandler(sessionStatusQuery, () => status);
  setHandler(sessionPauseSignal, () => {
    paused = true;
    cancelSession();
  });
  setHandler(sessionResumeSignal, () => void (paused = false));
  setHandler(sessionStopSignal, () => {
    stopped = true;
    cancelSession();
  });
  setHandler(reloginSignal, () => void (relogin = true));
  setHandler(sessionReportSignal, (report) => {
    if (report.point && report.point.pts > (point?.pts ?? -1)) point = report.point;
    if (report.state !== 'connected') status.hostQueue = undefined;
    if (report.state === 'disconnected') return;
    if (report.state === 'reconnecting') {
      status.state = 'reconnecting';
      status.failures += 1;
      status.lastError = report.error;
      return;
    }
    if (report.attempt > 1 && status.connectedSince !== report.connectedSince) status.reconnects += 1;
    status.state = 'connected';
    status.connectedSince = report.connectedSince;
    status.latencyMs = report.latencyMs;
    status.hostQueue = report.hostQueue;
    status.lastSuccessAt = new Date().toISOString();
    // Reports are what grows the history during a slice: once the server suggests a fresh one, hand the connection
    // over now instead of at the slice's end (the activity disconnects first, then the next run reconnects).
    if (session && workflowInfo().continueAsNewSuggested && patched('session-rollover-mid-slice')) {
      rollingOver = true;
      session.cancel();
    }
  });

  // No message is processed with unknown settings.
  while (!(await loadAccountSettings({ accountId }))) {
    status.state = 'paused';
    status.lastError = `Convex has no settings for account ${accountId}: add them, then send resume`;
    paused = true;
    await condition(() => !paused || stopped);
    if (stopped) return finish();
  }
  status.lastError = undefined;

  while (!stopped) {
    if (paused) {
      status.state = 'paused';
      await condition(() => !paused || stopped);
      continue;
    }
    status.state = status.connectedSince ? 'reconnecting' : 'connecting';
    session = new CancellationScope();
    try {
      const slice = await session.run(() => runSession({ accountId, from: point, sliceMs }));
      point = slice.point;
      status.lastSuccessAt = new Date().toISOString();
    } catch (err) {
      // Pause, stop or a rollover: the activity has disconnected.
      if (isCancellation(err) && !rollingOver) continue;
      if (isCancellation(err)) status.state = 'reconnecting';
      else {
        const failure = deadLetter(err);
        status.failures += 1;
        status.lastError = failure.message;
        if (failure.type !== 'auth') throw failure;
        await needsLogin(failure);
      }
    } finally {
      session = undefined;
    }
    // A stop while waiting for relogin ends the workflow rather than carrying on in a fresh run.
    if (workflowInfo().continueAsNewSuggested && !(stopped && patched('session-stop-before-rollover'))) {
      // Handlers first, then a fresh history that carries the state.
      await condition(allHandlersFinished);
      await continueAsNew<typeof accountSessionWorkflow>({
        accountId,
        carried: {
          point,
          failures: status.failures,
          reconnects: status.reconnects,
          lastSuccessAt: status.lastSuccessAt,
        },
      });
    }
  }
  return finish();

  /** The session is gone for good (revoked, logged out elsewhere): the owner logs in again, then `relogin`. */
  async function needsLogin(failure: ApplicationFailure): Promise<void> {
    status.state = 'needs-login';
    status.connectedSince = undefined;
    countNeedsLogin(accountId);
    // A relogin may arrive while the owner is being alerted (the owner is quick, or the alert slow): it must count.
    // Runs before this patch cleared it after the alert, and such a relogin was lost.
    const keepRelogin = patched('session-relogin-during-alert');
    if (keepRelogin) relogin = false;
    await notifyOwnerOfDeadLetter(
      accountId,
      `the Telegram session of account ${accountId} (log in again, then relogin)`,
      failure,
    );
    if (!keepRelogin) relogin = false;
    await condition(() => relogin || stopped);
  }

  /**
   * Cancels the session activity; the cancellation reaches it in the answer to its next heartbeat, so the worker
   * holding it is asked to heartbeat now (runs before this patch waited for the paced one).
   */
  function cancelSession(): void {
    if (!session) return;
    session.cancel();
    const hostQueue = status.hostQueue;
    if (!hostQueue || !patched('session-cancel-at-once')) return;
    const { hurrySession } = proxyActivities<Activities>({ ...policies.sessionHurry, taskQueue: hostQueue });
    // Best effort: if that worker is gone, the paced heartbeat or its timeout brings the cancellation.
    hurrySession({ accountId }).catch(() => undefined);
  }

  function finish(): void {
    status.state = 'stopped';
    log.info('account session stopped', { accountId });
  }
}
