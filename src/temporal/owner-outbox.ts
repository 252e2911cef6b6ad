import type { Client } from '@temporalio/client';
import type { OwnerOutboxDeps } from '../activities/telegram';
import { ownerOutboxWorkflow } from '../workflows';
import { workflowIds } from '../workflows/contracts';
import { ownerNoticeSignal } from '../workflows/messages';

/**
 * Hands notices to the deployment's owner outbox (one per task queue), starting it when none runs: a signal-with-start
 * is one call whether or not the outbox is running, and never starts two.
 */
export function ownerOutboxDeps(client: Client, taskQueue: string): OwnerOutboxDeps {
  return {
    queue: async (notice) => {
      await client.workflow.signalWithStart(ownerOutboxWorkflow, {
        workflowId: workflowIds.ownerOutbox(taskQueue),
        taskQueue,
        args: [{}],
        signal: ownerNoticeSignal,
        signalArgs: [notice],
      });
    },
  };
}
