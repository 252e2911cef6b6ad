import type { XTokenState, XTweetView } from '../domain/contracts';

export type { XTokenState };
/** What the workflows need of the X API. */
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
  /** The X user the account's tokens sign as (one cheap call, `users/me`), and how it signs in. */
  whoAmI(accountId: string): Promise<{ username: string; oauth: 'OAuth 2.0' | 'OAuth 1.0a' }>;
}

/** An account's X OAuth 2.0 token refresh: what xTokenWorkflow needs (src/adapters/x/x-token-refresh.ts). */
export interface XTokenPort {
  /** Null: the account has no OAuth 2.0 tokens (it posts with OAuth 1.0a's). */
  state(accountId: string): Promise<XTokenState | null>;
  /** Refreshes unless the stored tokens are no longer version `basedOn`; the state after. */
  refresh(accountId: string, basedOn: number): Promise<XTokenState>;
}
