import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { replyWorkflow } from '../workflows';
import { workflowIds, type ReplyInput } from '../workflows/contracts';
import { accountIdKey } from '../workflows/search-attributes';

/**
 * Starts the reply workflow for one tweet, exactly once: the id is `reply:{accountId}:{tweetId}`, and a tweet whose
 * reply is running or has completed is never started again. Only a failed, cancelled or terminated run (a dead letter)
 * may be followed by a new one.
 */
export async function startReply(
  client: Client,
  taskQueue: string,
  input: ReplyInput,
): Promise<{ handle: WorkflowHandle<typeof replyWorkflow>; started: boolean }> {
  const workflowId = workflowIds.reply(input.accountId, input.tweet.id);
  try {
    const handle = await client.workflow.start(replyWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [{ key: accountIdKey, value: input.accountId }],
    });
    return { handle, started: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { handle: client.workflow.getHandle<typeof replyWorkflow>(workflowId), started: false };
  }
}
