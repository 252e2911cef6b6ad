import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { deprecatePatch, ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from './activity-types';
import { workflowIds, type Tweet, type WatchInput, type WatchResult } from '../domain/contracts';
import { policies, replyTaskTimeout } from './policies';
import { replyWorkflowV2 } from './reply';
import { accountIdKey, stageKey } from './search-attributes';
import { workflowSummaries } from '../domain/summaries';

const { recentTweets } = proxyActivities<Activities>({
  ...policies.xApi,
  summary: "Read the watched users' new tweets on X",
});
const { watchCursor, advanceWatchCursor } = proxyActivities<Activities>(policies.convex);

/**
 * One poll of an account's watched X users, run by the account's Schedule: each new tweet becomes one reply
 * workflow. Reply ids are `reply:{account}:{tweet}`, so a poll that overlaps or repeats another starts nothing twice.
 * The first poll of a user only marks where the watch began: tweets from before it are not answered.
 */
export async function watchTweetsWorkflow({
  accountId,
  usernames,
  approval,
  approvalTimeout,
}: WatchInput): Promise<WatchResult> {
  let started = 0;
  for (const username of usernames) {
    const cursor = await watchCursor({ accountId, username });
    // '0': the user had no tweets when the watch began, so every tweet X lists is new.
    const sinceId = cursor && cursor !== '0' ? cursor : undefined;
    const { tweets, newestId } = await recentTweets({ accountId, username, sinceId });
    if (cursor !== null) {
      for (const tweet of [...tweets].reverse()) {
        if (await startReply(tweet)) started += 1;
      }
    }
    // Only after the replies are started: a crash in between re-lists the same tweets, whose replies exist.
    await advanceWatchCursor({ accountId, username, sinceId: newestId ?? cursor ?? '0' });
  }
  return { started };

  async function startReply(tweet: Tweet): Promise<boolean> {
    try {
      // Retired (patches.ts): polls are short, and none left open started the first reply type.
      deprecatePatch('watch-starts-reply-v2');
      await startChild(replyWorkflowV2, {
        workflowId: workflowIds.reply(accountId, tweet.id),
        // Never an earlier run (the id is never reused here): its first post attempt need not read X first.
        args: [{ accountId, tweet, approval, approvalTimeout, firstRun: true }],
        staticSummary: workflowSummaries.reply({ accountId, tweet, approval }),
        // The reply outlives this poll: polls are short, approvals can take a day.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A tweet listed again gets no second run, even after a dead letter: retrying one is the owner's call
        // (`failures retry`), which starts the new run as one that may follow a post.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowTaskTimeout: replyTaskTimeout,
        typedSearchAttributes: [
          { key: accountIdKey, value: accountId },
          { key: stageKey, value: 'drafting' },
        ],
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }
}
