/**
 * The version of the Convex functions (convex/version.ts) this code calls: `health --deep` compares it with what the
 * deployment answers (`version:get`), so a deployment that was not deployed again after an upgrade is named.
 */
export const convexFunctionsVersion = 4;
