import { v } from 'convex/values';
import type { DatabaseReader } from './_generated/server';
import { mutation, query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';

/**
 * Every document of Steadfast's tables, for `steadfast backup` (a page at a time: a query reads a bounded number), and
 * the way back for `steadfast restore`: a document whose key is already there is kept as it is, so a restore never
 * puts older state (an X token since rotated, a watch cursor since advanced) over newer.
 */
const table = v.union(
  v.literal('accounts'),
  v.literal('messages'),
  v.literal('watches'),
  v.literal('replies'),
  v.literal('accountSecrets'),
);
type Table = 'accounts' | 'messages' | 'watches' | 'replies' | 'accountSecrets';

export const exportPage = query({
  args: { table, cursor: v.union(v.string(), v.null()), ...backendSecret },
  handler: async (ctx, { secret, table, cursor }) => {
    requireBackend(secret);
    const page = await ctx.db.query(table).paginate({ cursor, numItems: 500 });
    return {
      // The ids and creation times are the deployment's own: a restore makes new ones, which nothing refers to.
      documents: page.page.map((document) => {
        const copy: Record<string, unknown> = { ...document };
        delete copy._id;
        delete copy._creationTime;
        return copy;
      }),
      cursor: page.continueCursor,
      done: page.isDone,
    };
  },
});

/** Whether a document with this one's key (the table's unique index) is there. */
async function present(db: DatabaseReader, name: Table, doc: Record<string, unknown>): Promise<boolean> {
  const text = (key: string) => String(doc[key]);
  switch (name) {
    case 'accounts':
      return (
        (await db
          .query('accounts')
          .withIndex('by_account', (q) => q.eq('accountId', text('accountId')))
          .first()) !== null
      );
    case 'messages':
      return (
        (await db
          .query('messages')
          .withIndex('by_message', (q) =>
            q.eq('accountId', text('accountId')).eq('chatId', text('chatId')).eq('messageId', Number(doc.messageId)),
          )
          .first()) !== null
      );
    case 'watches':
      return (
        (await db
          .query('watches')
          .withIndex('by_watch', (q) => q.eq('accountId', text('accountId')).eq('username', text('username')))
          .first()) !== null
      );
    case 'replies':
      return (
        (await db
          .query('replies')
          .withIndex('by_tweet', (q) => q.eq('accountId', text('accountId')).eq('tweetId', text('tweetId')))
          .first()) !== null
      );
    case 'accountSecrets':
      return (
        (await db
          .query('accountSecrets')
          .withIndex('by_field', (q) => q.eq('accountId', text('accountId')).eq('field', doc.field as never))
          .first()) !== null
      );
  }
}

export const importDocuments = mutation({
  // Each document is checked against the table's schema when it is inserted.
  args: { table, documents: v.array(v.any()), ...backendSecret },
  handler: async (ctx, { secret, table, documents }) => {
    requireBackend(secret);
    let inserted = 0;
    for (const document of documents as Record<string, unknown>[]) {
      if (await present(ctx.db, table, document)) continue;
      await ctx.db.insert(table, document as never);
      inserted += 1;
    }
    return { inserted, kept: documents.length - inserted };
  },
});
