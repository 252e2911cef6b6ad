import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  TimeoutFailure,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from './activity-types';
import { accountSessionWorkflow } from './account-session';
import { notifyOwnerOrLog } from './alerts';
import { workflowIds, type LoginInput, type LoginResult } from '../domain/contracts';
import { inputDurationMs } from './durations';
import { isFailureCategory, ownerMessages } from '../domain/failure-vocabulary';
import { deadLetter } from './dead-letter';
import {
  enterCodeUpdate,
  loginCodeSignal,
  loginStatusQuery,
  notAwaitingThisStep,
  passwordReadySignal,
  passwordReadyUpdate,
  reloginSignal,
  type LoginStatusView,
} from './messages';
import { policies } from './policies';
import { workflowSummaries } from '../domain/summaries';

const { loginWorkerQueue } = proxyActivities<Activities>(policies.loginRouting);

/** The steps of a login, on the worker that holds it, waiting for that worker at most `withinMs` (default: policy). */
const onWorker = (taskQueue: string, withinMs?: number) =>
  proxyActivities<Activities>({
    ...policies.telegramLogin,
    taskQueue,
    ...(withinMs === undefined ? {} : { scheduleToCloseTimeout: Math.max(withinMs, 5_000) }),
  });

/** A login whose worker is lost this often gives up rather than sending codes forever. */
const maxCodes = 3;

/**
 * A Telegram login: send the code, wait for the owner to enter it (and the 2FA password, if the account has one),
 * store the session in the account store, start (or wake) the account's session workflow. Telegram ties the code to
 * the connection that asked for it, so the worker that sent it does every step; if that worker is gone for longer
 * than the code lives, the login starts over with a new code and tells the owner.
 */
export async function loginWorkflow({ accountId, phone, codeTimeout = '5m' }: LoginInput): Promise<LoginResult> {
  const lifetimeMs = inputDurationMs(codeTimeout, 'codeTimeout');
  const status: LoginStatusView = { state: 'sending-code', codesSent: 0, codesTried: 0, passwordsTried: 0 };
  let code: string | undefined;
  let passwordReady = false;
  setHandler(loginStatusQuery, () => status);
  setHandler(loginCodeSignal, (value) => void (code = String(value).trim()));
  setHandler(passwordReadySignal, () => void (passwordReady = true));
  // Handlers add no command: histories recorded before the Updates replay as they were.
  setHandler(
    enterCodeUpdate,
    async (value) => {
      const before = { ...status };
      code = String(value).trim();
      await condition(() => answered(before, 'codesTried'));
      return { ...status };
    },
    { validator: (_code: string) => awaiting('awaiting-code', 'a code') },
  );
  setHandler(
    passwordReadyUpdate,
    async () => {
      const before = { ...status };
      passwordReady = true;
      await condition(() => answered(before, 'passwordsTried'));
      return { ...status };
    },
    { validator: () => awaiting('awaiting-password', 'the 2FA password') },
  );

  for (let round = 1; round <= maxCodes; round++) {
    status.state = 'sending-code';
    code = undefined; // a code from before this one is useless
    const worker = await loginWorkerQueue();
    let outcome: 'logged-in' | 'password-needed' | 'expired';
    try {
      await onWorker(worker).sendLoginCode({ accountId, phone });
      status.codesSent += 1;
      outcome = await enterCode(worker);
      if (outcome === 'password-needed') outcome = await enterPassword(worker);
    } catch (err) {
      if (!workerLost(err)) return end(worker, 'failed', failureText(err));
      status.lastError = 'the worker holding the login was lost; a new code is on its way';
      await notifyOwnerOrLog(accountId, `Login of ${accountId}: ${status.lastError}. Enter the new code.`);
      continue;
    }
    if (outcome === 'expired') return end(worker, 'expired', `the code was not entered in time (${codeTimeout})`);
    status.state = 'logged-in';
    status.lastError = undefined;
    await startSession();
    await notifyOwnerOrLog(accountId, `Telegram account ${accountId} is logged in.`);
    return { status: 'logged-in' };
  }
  return end(undefined, 'failed', `the worker holding the login was lost ${maxCodes} times`);

  /** Codes until one works, or the code's lifetime is over. */
  async function enterCode(worker: string): Promise<'logged-in' | 'password-needed' | 'expired'> {
    const deadline = startWaiting();
    for (;;) {
      status.state = 'awaiting-code';
      if (!(await waitUntil(() => code !== undefined, deadline))) return 'expired';
      const entered = code ?? '';
      code = undefined;
      status.state = 'signing-in';
      const outcome = await onWorker(worker, deadline - Date.now()).signInWithCode({ accountId, phone, code: entered });
      status.codesTried += 1;
      if (outcome === 'code-expired') return 'expired';
      if (outcome !== 'code-invalid') return outcome;
      status.lastError = 'Telegram refused the code: enter it again';
    }
  }

  /** The 2FA password, from the account store, each time the owner says it is there; as long again to enter it. */
  async function enterPassword(worker: string): Promise<'logged-in' | 'expired'> {
    const deadline = startWaiting();
    for (;;) {
      status.state = 'awaiting-password';
      if (!(await waitUntil(() => passwordReady, deadline))) return 'expired';
      passwordReady = false;
      status.state = 'checking-password';
      const outcome = await onWorker(worker, deadline - Date.now()).checkLoginPassword({ accountId, phone });
      status.passwordsTried += 1;
      if (outcome === 'logged-in') return outcome;
      status.lastError =
        outcome === 'password-missing'
          ? 'no 2FA password in the account store: enter it, then passwordReady'
          : 'Telegram refused the 2FA password: enter it again';
    }
  }

  function startWaiting(): number {
    const deadline = Date.now() + lifetimeMs;
    status.expiresAt = new Date(deadline).toISOString();
    return deadline;
  }

  /** The login is over without a session: the worker lets go of it, and the owner learns why. */
  async function end(worker: string | undefined, result: 'expired' | 'failed', why: string): Promise<LoginResult> {
    status.state = result;
    status.lastError = why;
    if (worker)
      await onWorker(worker, 10_000)
        .endLogin({ accountId })
        .catch(() => undefined); // gone already
    await notifyOwnerOrLog(accountId, `Login of ${accountId}: ${why}. Start it again to log in.`);
    return result === 'failed' ? { status: result, error: why } : { status: result };
  }

  function awaiting(state: LoginStatusView['state'], what: string): void {
    if (status.state !== state) {
      throw ApplicationFailure.create({
        type: notAwaitingThisStep,
        message: `The login is not waiting for ${what} (it is ${status.state})`,
        nonRetryable: true,
      });
    }
  }

  /** Telegram has answered what was entered (or a new code is on its way, or the login is over). */
  function answered(before: LoginStatusView, tried: 'codesTried' | 'passwordsTried'): boolean {
    if (['logged-in', 'expired', 'failed'].includes(status.state) || status.codesSent > before.codesSent) return true;
    return status[tried] > before[tried] && !['signing-in', 'checking-password'].includes(status.state);
  }

  /** The account's session workflow: started, or told to reconnect with the new session if it is waiting for it. */
  async function startSession(): Promise<void> {
    const workflowId = workflowIds.account(accountId);
    try {
      await startChild(accountSessionWorkflow, {
        workflowId,
        args: [{ accountId }],
        staticSummary: workflowSummaries.session(accountId),
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await getExternalWorkflowHandle(workflowId).signal(reloginSignal);
    }
  }
}

/** Waits for `until` up to `deadline`; false once the deadline has passed. */
async function waitUntil(until: () => boolean, deadline: number): Promise<boolean> {
  const left = deadline - Date.now();
  return left > 0 ? condition(until, left) : until();
}

/**
 * The worker holding the login did not come back in time (the step timed out without Telegram having failed it), or
 * no longer knows the login: start over with a new code.
 */
function workerLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const { cause } = err;
  if (cause instanceof TimeoutFailure) return !(cause.cause instanceof ApplicationFailure);
  return cause instanceof ApplicationFailure && cause.type === 'not-found';
}

/** What the owner reads when a login fails: the category in plain words, then the detail. */
function failureText(err: unknown): string {
  const failure = deadLetter(err);
  return `${ownerMessages[isFailureCategory(failure.type) ? failure.type : 'upstream']} ${failure.message}`;
}
