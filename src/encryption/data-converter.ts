import type { DataConverter } from '@temporalio/common';
import type { KeyRing } from './keys';
import { EncryptionCodec } from './payload-codec';

/** Where clients, workers and the workflow bundle load the failure converter from. */
export const failureConverterPath = require.resolve('./failure-converter');

/**
 * The data converter of every client and worker the project makes: payloads encrypted with the key ring, failures'
 * text inside them, and payloads that are not encrypted refused unless `acceptPlain`. Without a ring
 * (STEADFAST_ENCRYPTION=off) the payloads stay plain JSON; the failure converter is the same either way, as the
 * workflow bundle's is.
 */
export function dataConverter(keys: KeyRing | undefined, options: { acceptPlain?: boolean } = {}): DataConverter {
  return { failureConverterPath, ...(keys ? { payloadCodecs: [new EncryptionCodec(keys, options)] } : {}) };
}
