import type { Client } from '@temporalio/client';
import { serviceHealthWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { breakerChangeSignal } from '../../src/workflows/messages';

/** What worker w1's X breaker reports when it opens at `since` (as src/workers/breaker-reports.ts sends it). */
export async function reportXBreakerOpen(client: Client, taskQueue: string, since: number): Promise<void> {
  await client.workflow.signalWithStart(serviceHealthWorkflow, {
    workflowId: workflowIds.serviceHealth(taskQueue),
    taskQueue,
    args: [{}],
    signal: breakerChangeSignal,
    signalArgs: [{ service: 'x', state: 'open', at: since, since, lastError: 'X API answered 503', worker: 'w1' }],
  });
}
