/** What the workflows need of the X API. */
export interface XTweetView {
  id: string;
  text: string;
  authorUsername: string;
}

export interface XPort {
  postReply(request: { accountId: string; inReplyToTweetId: string; text: string }): Promise<{ id: string }>;
  /** The account's own reply to a tweet, if it has one: how a retry learns that an ambiguous post happened. */
  findReply(request: { accountId: string; inReplyToTweetId: string }): Promise<{ id: string; text: string } | null>;
  /**
   * A watched account's original tweets (no replies, no retweets) newer than `sinceId`, all of them, newest first;
   * without `sinceId`, only its latest ones (a first poll only needs `newestId`).
   */
  recentTweets(request: {
    accountId: string;
    username: string;
    sinceId?: string;
  }): Promise<{ tweets: XTweetView[]; newestId?: string }>;
}
