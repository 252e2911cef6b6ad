import { ApplicationFailure, getExternalWorkflowHandle, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from './activity-types';
import { workflowIds, type OwnerNotice } from '../domain/contracts';
import { ownerNoticeSignal } from './messages';
import { policies } from './policies';

const { notifyOwner } = proxyActivities<Activities>(policies.ownerNotice);

/**
 * Hands a message for the owner to the deployment's outbox (ownerOutboxWorkflow, on this workflow's task queue). The
 * workflow's own signal is one billed action; where the outbox does not run (the deployment's first message, or after
 * it was terminated) the signal fails, and the notifyOwner activity's signal-with-start starts it. Both carry `key`,
 * so the outbox drops a repeat.
 */
export async function notifyOwnerThroughOutbox(notice: OwnerNotice): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowIds.ownerOutbox(workflowInfo().taskQueue)).signal(
      ownerNoticeSignal,
      notice,
    );
  } catch (err) {
    // A signal Temporal could not deliver (no such workflow) comes back as an ApplicationFailure; a cancellation not.
    if (!(err instanceof ApplicationFailure)) throw err;
    await notifyOwner(notice);
  }
}
