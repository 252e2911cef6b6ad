import { v } from 'convex/values';
import { mutation, query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';
import { messageFields } from './schema';

/**
 * Stores one Telegram message, idempotently by (account, chat, message id): a sync retried after an ambiguous
 * failure finds its document and leaves it as it is.
 */
export const upsert = mutation({
  args: { ...messageFields, ...backendSecret },
  handler: async (ctx, { secret, ...args }) => {
    requireBackend(secret);
    const existing = await ctx.db
      .query('messages')
      .withIndex('by_message', (q) =>
        q.eq('accountId', args.accountId).eq('chatId', args.chatId).eq('messageId', args.messageId),
      )
      .unique();
    if (existing) return { id: existing._id, created: false };
    return { id: await ctx.db.insert('messages', args), created: true };
  },
});

/** A chat's latest messages, oldest first. */
export const byChat = query({
  args: { accountId: v.string(), chatId: v.string(), limit: v.optional(v.number()), ...backendSecret },
  handler: async (ctx, { secret, accountId, chatId, limit }) => {
    requireBackend(secret);
    const latest = await ctx.db
      .query('messages')
      .withIndex('by_chat', (q) => q.eq('accountId', accountId).eq('chatId', chatId))
      .order('desc')
      .take(limit ?? 50);
    return latest.reverse();
  },
});
