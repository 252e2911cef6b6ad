import { v } from 'convex/values';
import { mutation, query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';

const settingsFields = {
  displayName: v.optional(v.string()),
  approval: v.union(v.literal('auto'), v.literal('owner')),
  chatsAnsweredWithAi: v.array(v.string()),
  watchedUsernames: v.array(v.string()),
};

/** An account's settings, or null for an account Convex does not know (its session must not process anything). */
export const settings = query({
  args: { accountId: v.string(), ...backendSecret },
  handler: async (ctx, { secret, accountId }) => {
    requireBackend(secret);
    const account = await ctx.db
      .query('accounts')
      .withIndex('by_account', (q) => q.eq('accountId', accountId))
      .unique();
    if (!account) return null;
    const { displayName, approval, chatsAnsweredWithAi, watchedUsernames } = account;
    return { accountId, displayName, approval, chatsAnsweredWithAi, watchedUsernames };
  },
});

/** Every account's settings, in the order they were added. */
export const list = query({
  args: backendSecret,
  handler: async (ctx, { secret }) => {
    requireBackend(secret);
    const accounts = await ctx.db.query('accounts').collect();
    return accounts.map(({ accountId, displayName, approval, chatsAnsweredWithAi, watchedUsernames }) => ({
      accountId,
      displayName,
      approval,
      chatsAnsweredWithAi,
      watchedUsernames,
    }));
  },
});

export const upsertSettings = mutation({
  args: { accountId: v.string(), ...settingsFields, ...backendSecret },
  handler: async (ctx, { secret, ...args }) => {
    requireBackend(secret);
    const existing = await ctx.db
      .query('accounts')
      .withIndex('by_account', (q) => q.eq('accountId', args.accountId))
      .unique();
    if (existing) await ctx.db.replace(existing._id, args);
    else await ctx.db.insert('accounts', args);
    return null;
  },
});
