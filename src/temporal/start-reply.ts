import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { replyWorkflowV2 } from '../workflows';
import { workflowIds, type ReplyInput } from '../domain/contracts';
import { replyTaskTimeout } from '../workflows/policies';
import { accountIdKey, stageKey } from '../workflows/search-attributes';
import { startOnce } from './start-once';
import { workflowSummaries } from '../domain/summaries';

/**
 * Starts the reply workflow for one tweet, exactly once: the id is `reply:{accountId}:{tweetId}`, and a tweet whose
 * reply is running or has completed is never started again. Only a failed, cancelled or terminated run (a dead letter)
 * may be followed by a new one.
 */
export async function startReply(
  client: Client,
  taskQueue: string,
  input: ReplyInput,
): Promise<{ handle: WorkflowHandle<typeof replyWorkflowV2>; started: boolean }> {
  const workflowId = workflowIds.reply(input.accountId, input.tweet.id);
  // No run of this id yet (describe costs no action): its first post attempt need not read X for an earlier post.
  const firstRun = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => false,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return true;
        throw err;
      },
    );
  return startOnce(client, replyWorkflowV2, {
    taskQueue,
    workflowId,
    args: [{ ...input, ...(firstRun ? { firstRun: true as const } : {}) }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    workflowTaskTimeout: replyTaskTimeout,
    staticSummary: workflowSummaries.reply(input),
    // Its first stage comes with the start, at no extra action (the workflow upserts only what listings need).
    typedSearchAttributes: [
      { key: accountIdKey, value: input.accountId },
      { key: stageKey, value: 'drafting' },
    ],
  });
}
