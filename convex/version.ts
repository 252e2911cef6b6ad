import { query } from './_generated/server';
import { backendSecret, requireBackend } from './backend';

/**
 * Which version of these functions is deployed: `steadfast health --deep` reads it and says when the deployment is
 * older (or newer) than the code that calls it. Bump it with every change to the functions or the schema;
 * test/convex-functions.test.ts holds it to a hash of convex/, so a change without a bump fails.
 */
export const functionsVersion = 4;
export const functionsHash = '9943a673ba11b399';

export const get = query({
  args: backendSecret,
  handler: async (ctx, { secret }) => {
    requireBackend(secret);
    return { functions: functionsVersion };
  },
});
