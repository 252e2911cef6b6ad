import { query } from './_generated/server';

/**
 * Which version of these functions is deployed: `steadfast health --deep` reads it and says when the deployment is
 * older (or newer) than the code that calls it. Bump it with every change to the functions or the schema;
 * test/convex-functions.test.ts holds it to a hash of convex/, so a change without a bump fails.
 */
export const functionsVersion = 2;
export const functionsHash = 'b596af44b1675a80';

export const get = query({
  args: {},
  handler: async () => ({ functions: functionsVersion }),
});
