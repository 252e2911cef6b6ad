/** What the workflows need of Convex. */
export interface ReplyRecord {
  accountId: string;
  tweetId: string;
  replyTweetId: string;
  text: string;
  workflowId: string;
}

export interface StorePort {
  /** Idempotent by (accountId, tweetId): recording the same reply twice keeps one record. */
  recordReply(record: ReplyRecord): Promise<void>;
}
