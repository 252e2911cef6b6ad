import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { serviceHealthWorkflow } from '../workflows';
import { workflowIds, type BreakerChange } from '../domain/contracts';
import { breakerChangeSignal } from '../workflows/messages';
import { replyTypeTerm } from '../workflows/workflow-types';
import { workflowSummaries } from '../domain/summaries';

/**
 * Tells the deployment's serviceHealthWorkflow (one per task queue, started by the first report) that this worker's
 * breaker opened or closed: one signal-with-start per change, never one per refused call. An opening counts the
 * replies in flight first, for the owner's message. A report that cannot reach Temporal is logged, not retried: the
 * breaker goes on deciding for this worker either way, and its next change reports again.
 */
export function breakerReports(client: Client, taskQueue: string, worker: string, logger: Logger) {
  return (change: BreakerChange): void => {
    void (async () => {
      const waitingReplies = change.state === 'open' ? await repliesInFlight(client, taskQueue) : undefined;
      await client.workflow.signalWithStart(serviceHealthWorkflow, {
        workflowId: workflowIds.serviceHealth(taskQueue),
        taskQueue,
        args: [{}],
        staticSummary: workflowSummaries.serviceHealth(),
        signal: breakerChangeSignal,
        signalArgs: [{ ...change, worker, ...(waitingReplies === undefined ? {} : { waitingReplies }) }],
      });
    })().catch((err: unknown) =>
      logger.warn({ service: change.service, state: change.state, err: String(err) }, 'breaker change not reported'),
    );
    logger.warn({ service: change.service, state: change.state, lastError: change.lastError }, 'circuit breaker');
  };
}

/** Replies running on the task queue that are not waiting for the owner: those an outage holds up. */
async function repliesInFlight(client: Client, taskQueue: string): Promise<number | undefined> {
  const query = `${replyTypeTerm} AND ExecutionStatus = "Running" AND TaskQueue = "${taskQueue}" AND Stage != "awaiting-approval"`;
  return (await client.workflow.count(query).catch(() => undefined))?.count;
}
