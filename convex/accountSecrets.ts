import { v } from 'convex/values';
import { mutation, query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';
import { accountSecretField } from './schema';

/**
 * The shared account store's documents (src/adapters/account-store/convex-account-store.ts): one per account and
 * field, sealed by the workers before they get here, so these functions only keep ciphertext and versions.
 */

/** One field's sealed document, or null when the account has none. */
export const get = query({
  args: { accountId: v.string(), field: accountSecretField, ...backendSecret },
  handler: async (ctx, { secret, accountId, field }) => {
    requireBackend(secret);
    const stored = await ctx.db
      .query('accountSecrets')
      .withIndex('by_field', (q) => q.eq('accountId', accountId).eq('field', field))
      .unique();
    if (!stored) return null;
    const { version, keyId, sealed } = stored;
    return { version, keyId, sealed };
  },
});

/**
 * Writes one field (`sealed` null deletes it, and the next write starts again at version 1). `basedOn` null writes
 * whatever is stored; a version writes only if the stored one is still it (0: no document yet), else answers
 * `ok: false` with the stored version. A mutation is one serializable transaction: of two writes based on the same
 * version, exactly one succeeds.
 */
export const put = mutation({
  args: {
    accountId: v.string(),
    field: accountSecretField,
    keyId: v.string(),
    sealed: v.union(v.string(), v.null()),
    basedOn: v.union(v.number(), v.null()),
    ...backendSecret,
  },
  handler: async (ctx, { secret, accountId, field, keyId, sealed, basedOn }) => {
    requireBackend(secret);
    const existing = await ctx.db
      .query('accountSecrets')
      .withIndex('by_field', (q) => q.eq('accountId', accountId).eq('field', field))
      .unique();
    const stored = existing?.version ?? 0;
    if (basedOn !== null && basedOn !== stored) return { ok: false, version: stored };
    const version = stored + 1;
    if (sealed === null) {
      if (existing) await ctx.db.delete(existing._id);
    } else if (existing) {
      await ctx.db.replace(existing._id, { accountId, field, version, keyId, sealed });
    } else {
      await ctx.db.insert('accountSecrets', { accountId, field, version, keyId, sealed });
    }
    return { ok: true, version };
  },
});
