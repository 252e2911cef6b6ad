import type { Client, WorkflowHandle } from '@temporalio/client';
import { replyWorkflow } from '../workflows';
import { workflowIds, type ReplyInput } from '../workflows/contracts';
import { accountIdKey } from '../workflows/search-attributes';
import { startOnce } from './start-once';

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
  return startOnce(client, replyWorkflow, {
    taskQueue,
    workflowId: workflowIds.reply(input.accountId, input.tweet.id),
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [{ key: accountIdKey, value: input.accountId }],
  });
}
