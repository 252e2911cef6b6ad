import { ConvexError, v } from 'convex/values';

/**
 * Only Steadfast's backend (its workers and CLI) may call these functions: each takes the deployment's shared secret,
 * set once with `npx convex env set STEADFAST_CONVEX_SECRET <secret>` and given to the backend in the same variable,
 * and refuses any call without it before reading or writing anything. A deployment's URL is not a secret; this is.
 * (The deploy key would also do, for internal functions, but it can deploy code and read every table: a worker needs
 * less.)
 */
export const backendSecret = { secret: v.string() };

/** The deployment's environment variables, as Convex's runtime gives them (and its generated `env` reads them). */
const environment = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;

export function requireBackend(secret: string): void {
  const expected = environment.STEADFAST_CONVEX_SECRET;
  if (!expected) {
    throw new ConvexError({
      code: 'unauthorized',
      message:
        'STEADFAST_CONVEX_SECRET is not set on this deployment: npx convex env set STEADFAST_CONVEX_SECRET <secret>',
    });
  }
  // Compared in constant time: how much of a guess was right must not show in how long the refusal took.
  let difference = secret.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ (secret.charCodeAt(i) || 0);
  if (difference !== 0) {
    throw new ConvexError({ code: 'unauthorized', message: 'the caller did not give STEADFAST_CONVEX_SECRET' });
  }
}
