import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { controlBotWorkflow } from '../workflows';
import { workflowIds } from '../workflows/contracts';

/** Starts the control bot's workflow unless it runs already (one for the deployment); true when this started it. */
export async function startControlBot(client: Client, taskQueue: string): Promise<boolean> {
  try {
    await client.workflow.start(controlBotWorkflow, { taskQueue, workflowId: workflowIds.controlBot(), args: [] });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
