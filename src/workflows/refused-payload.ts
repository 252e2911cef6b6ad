/**
 * What a payload that is not encrypted decodes to while encryption is on (src/encryption/payload-codec.ts): a marker a
 * holder of the key never writes. Deterministic, so the workflows' interceptor (refused-payload-interceptors.ts) and
 * the codec share it.
 */
export const refusedPayloadKey = '__steadfastRefusedPlainPayload';
export const refusedPayloadMarker = { [refusedPayloadKey]: true } as const;

export function isRefusedPayload(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[refusedPayloadKey] === true;
}

/** Why: for the failure an Update's caller or a refused start sees, and the worker's log. */
export const refusedPayloadReason =
  'a payload that is not encrypted with the deployment’s key was refused (a client without STEADFAST_ENCRYPTION_KEY, or a history from before encryption: STEADFAST_ENCRYPTION_ACCEPT_PLAIN=1 while one is open)';
