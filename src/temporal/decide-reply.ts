import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { approveDraftUpdate, notAwaitingApproval, rejectDraftUpdate, type DraftDecision } from '../workflows/messages';

/** The reply refused the decision: it is not waiting for one (posted, expired, decided already…). */
export class DecisionRefused extends Error {
  override name = 'DecisionRefused';
}

/**
 * The owner's decision on a draft, as an Update: it returns once the reply has taken it, or throws DecisionRefused
 * with the reply's reason, so a caller never says "approved" of a reply that will not post.
 */
export async function decideReply(
  handle: WorkflowHandle,
  decision: { kind: 'approve'; text?: string } | { kind: 'reject'; reason?: string },
): Promise<DraftDecision> {
  try {
    return decision.kind === 'approve'
      ? await handle.executeUpdate(approveDraftUpdate, { args: [{ text: decision.text }] })
      : await handle.executeUpdate(rejectDraftUpdate, { args: [{ reason: decision.reason }] });
  } catch (err) {
    if (
      err instanceof WorkflowUpdateFailedError &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === notAwaitingApproval
    ) {
      throw new DecisionRefused(`${handle.workflowId}: ${err.cause.message}`);
    }
    throw err;
  }
}
