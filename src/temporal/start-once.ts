import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/**
 * Starts a workflow unless its id is taken (a run is open, or a closed one the reuse policy keeps): idempotent ids
 * make a repeated start harmless, and `started` says which happened.
 */
export async function startOnce<T extends Workflow>(
  client: Client,
  workflow: T,
  options: WorkflowStartOptions<T>,
): Promise<{ handle: WorkflowHandle<T>; started: boolean }> {
  try {
    return { handle: await client.workflow.start(workflow, options), started: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { handle: client.workflow.getHandle<T>(options.workflowId), started: false };
  }
}
