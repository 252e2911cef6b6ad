import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { OwnerOutboxDeps } from '../activities/telegram';
import { ownerOutboxWorkflow } from '../workflows';
import { workflowIds } from '../domain/contracts';
import { ownerNoticeSignal, ownerPairedSignal } from '../workflows/messages';
import { startOnce } from '../temporal/start-once';
import { workflowSummaries } from '../domain/summaries';

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
        staticSummary: workflowSummaries.ownerOutbox(),
        signal: ownerNoticeSignal,
        signalArgs: [notice],
      });
    },
    ownerPaired: async () => {
      // An outbox that does not run holds nothing that waits for an owner.
      await client.workflow
        .getHandle(workflowIds.ownerOutbox(taskQueue))
        .signal(ownerPairedSignal)
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    },
  };
}

/**
 * Starts the deployment's owner outbox unless it runs (every worker asks at start; one start at most). A running outbox
 * is what a reply's own signal finds (src/workflows/owner-notice.ts): without it, a burst's first notices would each
 * fall back to an activity's signal-with-start.
 */
export async function ensureOwnerOutbox(client: Client, taskQueue: string): Promise<boolean> {
  const { started } = await startOnce(client, ownerOutboxWorkflow, {
    workflowId: workflowIds.ownerOutbox(taskQueue),
    taskQueue,
    args: [{}],
    staticSummary: workflowSummaries.ownerOutbox(),
  });
  return started;
}
