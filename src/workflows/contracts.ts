/**
 * The public contracts of the workflows (DESIGN.md, "Workflow contracts"): ids, inputs and results. Other programs
 * start and signal these workflows by name, so change them only on purpose. No secret ever travels in them.
 */

export const taskQueueDefault = 'steadfast';

export interface Tweet {
  id: string;
  text: string;
  authorUsername?: string;
}

export type ApprovalMode = 'auto' | 'owner';

export interface ReplyInput {
  accountId: string;
  tweet: Tweet;
  approval: ApprovalMode;
  /** How long the owner has to decide, as a duration such as '24h'; defaults to 24 hours. */
  approvalTimeout?: string;
}

export type ReplyStatus = 'posted' | 'rejected' | 'expired' | 'cancelled';

export interface ReplyResult {
  status: ReplyStatus;
  replyTweetId?: string;
  text?: string;
}

export const workflowIds = {
  reply: (accountId: string, tweetId: string) => `reply:${accountId}:${tweetId}`,
};
