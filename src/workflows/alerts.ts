import { log, proxyActivities, workflowInfo, type ApplicationFailure } from '@temporalio/workflow';
import type { Activities } from './activity-types';
import { isFailureCategory, ownerMessages } from '../domain/failure-vocabulary';
import { policies } from './policies';

const { notifyOwner } = proxyActivities<Activities>(policies.ownerNotice);

/**
 * The owner's alert for a dead letter: what failed, its category in plain words, when, the workflow id (to find it in
 * the Web UI) and the command that retries it. Built from the classified failure only, so it never carries a secret.
 */
export function deadLetterText(request: {
  what: string;
  failure: ApplicationFailure;
  workflowId: string;
  at: Date;
}): string {
  const { what, failure, workflowId, at } = request;
  const category = isFailureCategory(failure.type) ? failure.type : 'upstream';
  return [
    `Failed: ${what}`,
    `Why (${category}): ${ownerMessages[category]}`,
    `Detail: ${failure.message}`,
    `When: ${at.toISOString()}`,
    `Workflow: ${workflowId}`,
    `To retry: npm run cli -- failures retry ${workflowId}`,
  ].join('\n');
}

/** Sends the owner the alert for `what`; if even Telegram fails, the failure stays in the history and the log. */
export async function notifyOwnerOfDeadLetter(
  accountId: string,
  what: string,
  failure: ApplicationFailure,
): Promise<void> {
  const { workflowId } = workflowInfo();
  await notifyOwnerOrLog(accountId, deadLetterText({ what, failure, workflowId, at: new Date() }), workflowId, true);
}

/**
 * A message to the owner about the account, sent by the control bot. Best effort: if Telegram cannot take it after the
 * send policy's retries, what it says is still in the workflow's history, status and log.
 */
export async function notifyOwnerOrLog(
  accountId: string,
  text: string,
  ref?: string,
  deadLetter?: true,
): Promise<void> {
  try {
    // A dead letter's alert is completed by the activity with the date Temporal deletes it (the namespace's retention).
    await notifyOwner({ accountId, text, ...(ref ? { ref } : {}), ...(deadLetter ? { deadLetter } : {}) });
  } catch (err) {
    log.error('owner message failed', { accountId, error: err instanceof Error ? err.message : String(err) });
  }
}
