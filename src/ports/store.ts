import type { AccountSettings, ReplyRecord, TelegramMessage } from '../domain/contracts';

/** What the workflows need of Convex. */
export interface StorePort {
  /** Idempotent by (accountId, tweetId): recording the same reply twice keeps one record. */
  recordReply(record: ReplyRecord): Promise<void>;
  /** Idempotent by (accountId, chatId, messageId); `created` is false when it was stored already. */
  saveMessage(message: TelegramMessage & { accountId: string }): Promise<{ created: boolean }>;
  /** Null for an account Convex does not know. */
  accountSettings(accountId: string): Promise<AccountSettings | null>;
  /** Every account Convex knows, with its settings. */
  listAccounts(): Promise<AccountSettings[]>;
  /** The version of the deployed functions (convex/version.ts): what `health --deep` compares with the code's. */
  functionsVersion(): Promise<number>;
  /** Creates or replaces an account's settings (the CLI's `account add`). */
  saveAccountSettings(settings: AccountSettings): Promise<void>;
  /** Where the watcher stopped reading a watched X account; null before its first poll. */
  watchCursor(request: { accountId: string; username: string }): Promise<string | null>;
  /** Moves the cursor forward (never back). */
  advanceWatchCursor(request: { accountId: string; username: string; sinceId: string }): Promise<void>;
}
