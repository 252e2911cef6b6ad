import type { Client } from '@temporalio/client';
import { controlBotWorkflow } from '../workflows';
import { workflowIds } from '../domain/contracts';
import { startOnce } from './start-once';
import { workflowSummaries } from '../domain/summaries';

/** Starts the control bot's workflow unless it runs already (one for the deployment); true when this started it. */
export async function startControlBot(client: Client, taskQueue: string): Promise<boolean> {
  const { started } = await startOnce(client, controlBotWorkflow, {
    taskQueue,
    workflowId: workflowIds.controlBot(),
    args: [],
    staticSummary: workflowSummaries.controlBot(),
  });
  return started;
}
