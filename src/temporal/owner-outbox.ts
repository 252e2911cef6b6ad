import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { OwnerOutboxDeps } from '../activities/telegram';
import { ownerOutboxWorkflow } from '../workflows';
import { workflowIds } from '../workflows/contracts';
import { controlBotHostQuery, ownerNoticeSignal } from '../workflows/messages';

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
    /** The control bot's workflow knows where its session runs; none when the bot does not run. */
    locateControlBot: async () => {
      const bot = client.workflow.getHandle(workflowIds.controlBot());
      try {
        const { status } = await bot.describe();
        if (status.name !== 'RUNNING') return undefined;
        return (await bot.query(controlBotHostQuery)).hostQueue;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}
