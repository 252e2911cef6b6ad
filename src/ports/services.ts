import type { Tweet } from '../workflows/contracts';

/**
 * The ports: what the workflows need of the four services, and nothing of how a library does it. The real adapters
 * (openai, twitter-api-v2, convex, telegram) and the sandbox implement these interfaces.
 */

export interface AiPort {
  /** Drafts a reply to a tweet in the account's voice. */
  draftReply(request: { accountId: string; tweet: Tweet }): Promise<string>;
}

export interface XPort {
  postReply(request: { accountId: string; inReplyToTweetId: string; text: string }): Promise<{ id: string }>;
}

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

export interface TelegramPort {
  sendMessage(request: { accountId: string; chatId: string; text: string }): Promise<{ messageId: number }>;
}

export interface Services {
  ai: AiPort;
  x: XPort;
  store: StorePort;
  telegram: TelegramPort;
}
