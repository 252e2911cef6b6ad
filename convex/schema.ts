import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';

/**
 * What Steadfast keeps in Convex: accounts' settings (read before a session processes anything), every synced
 * Telegram message (one document per account, chat and message id), and every posted reply (one per account and
 * tweet). Secrets (sessions, tokens) live here only when the deployment chose the shared account store, and then as
 * ciphertext the workers sealed (src/adapters/account-store/convex-account-store.ts): Convex never holds the keys.
 */
/** The account store's fields: one accountSecrets document each, so that writes of different fields never conflict. */
export const accountSecretField = v.union(
  v.literal('telegramSession'),
  v.literal('xTokens'),
  v.literal('xOAuth2'),
  v.literal('twoFactorPassword'),
  v.literal('pendingLogin'),
  // The deployment's owner and a pairing code waiting to be used, on the control bot's documents.
  v.literal('owner'),
  v.literal('pairing'),
);

/** A synced Telegram message: the table's fields, and messages:upsert's arguments. */
export const messageFields = {
  accountId: v.string(),
  chatId: v.string(),
  messageId: v.number(),
  senderId: v.string(),
  text: v.string(),
  /** Unix seconds, as Telegram dates messages. */
  date: v.number(),
};

export default defineSchema({
  accounts: defineTable({
    accountId: v.string(),
    displayName: v.optional(v.string()),
    /** How replies to watched tweets are approved by default. */
    approval: v.union(v.literal('auto'), v.literal('owner')),
    /** Chats the account answers with AI (batched chat replies). */
    chatsAnsweredWithAi: v.array(v.string()),
    /** X usernames whose new tweets the account answers. */
    watchedUsernames: v.array(v.string()),
  }).index('by_account', ['accountId']),

  messages: defineTable(messageFields)
    .index('by_message', ['accountId', 'chatId', 'messageId'])
    .index('by_chat', ['accountId', 'chatId', 'date']),

  /** How far the watcher has read each watched X account: tweets after `sinceId` are new. */
  watches: defineTable({
    accountId: v.string(),
    username: v.string(),
    sinceId: v.string(),
  }).index('by_watch', ['accountId', 'username']),

  replies: defineTable({
    accountId: v.string(),
    tweetId: v.string(),
    replyTweetId: v.string(),
    text: v.string(),
    workflowId: v.string(),
    recordedAt: v.number(),
  }).index('by_tweet', ['accountId', 'tweetId']),

  /** One field of an account's secrets, sealed (base64) under the key `keyId`; every write bumps `version`. */
  accountSecrets: defineTable({
    accountId: v.string(),
    field: accountSecretField,
    version: v.number(),
    keyId: v.string(),
    sealed: v.string(),
  }).index('by_field', ['accountId', 'field']),
});
