import { v } from 'convex/values';
import { mutation, query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';

/** Records a posted reply, idempotently by (account, tweet): recording it again keeps one document. */
export const record = mutation({
  args: {
    accountId: v.string(),
    tweetId: v.string(),
    replyTweetId: v.string(),
    text: v.string(),
    workflowId: v.string(),
    ...backendSecret,
  },
  handler: async (ctx, { secret, ...args }) => {
    requireBackend(secret);
    const existing = await ctx.db
      .query('replies')
      .withIndex('by_tweet', (q) => q.eq('accountId', args.accountId).eq('tweetId', args.tweetId))
      .unique();
    if (existing) return existing._id;
    return await ctx.db.insert('replies', { ...args, recordedAt: Date.now() });
  },
});

export const byTweet = query({
  args: { accountId: v.string(), tweetId: v.string(), ...backendSecret },
  handler: async (ctx, { secret, accountId, tweetId }) => {
    requireBackend(secret);
    return await ctx.db
      .query('replies')
      .withIndex('by_tweet', (q) => q.eq('accountId', accountId).eq('tweetId', tweetId))
      .unique();
  },
});
