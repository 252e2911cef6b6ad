/** What the workflows need of the X API. */
export interface XPort {
  postReply(request: { accountId: string; inReplyToTweetId: string; text: string }): Promise<{ id: string }>;
}
