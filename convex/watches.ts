import { v } from 'convex/values';
import { mutation, query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';

/** Where the watcher stopped reading a watched X account, or null before its first poll. */
export const cursor = query({
  args: { accountId: v.string(), username: v.string(), ...backendSecret },
  handler: async (ctx, { secret, accountId, username }) => {
    requireBackend(secret);
    const watch = await ctx.db
      .query('watches')
      .withIndex('by_watch', (q) => q.eq('accountId', accountId).eq('username', username))
      .unique();
    return watch?.sinceId ?? null;
  },
});

/** Moves the cursor forward only: a late or repeated poll never makes the watcher read old tweets again. */
export const advance = mutation({
  args: { accountId: v.string(), username: v.string(), sinceId: v.string(), ...backendSecret },
  handler: async (ctx, { secret, ...args }) => {
    requireBackend(secret);
    const watch = await ctx.db
      .query('watches')
      .withIndex('by_watch', (q) => q.eq('accountId', args.accountId).eq('username', args.username))
      .unique();
    if (!watch) return await ctx.db.insert('watches', args);
    // Tweet ids are decimal snowflakes: compare them as numbers, not strings.
    if (BigInt(args.sinceId) > BigInt(watch.sinceId)) await ctx.db.patch(watch._id, { sinceId: args.sinceId });
    return watch._id;
  },
});
