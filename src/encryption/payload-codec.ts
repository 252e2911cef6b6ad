import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { open, seal } from './aes-gcm';
import type { KeyRing } from './keys';
import { refusedPayloadMarker } from '../workflows/refused-payload';

/** Temporal's conventions for an encrypted payload (as its samples and codec servers spell them). */
export const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadata = 'encryption-key-id';

const utf8 = (text: string) => new TextEncoder().encode(text);
const fromUtf8 = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

/**
 * Every payload — inputs, results, signals, queries, updates, heartbeats, memos and (with the failure converter's
 * encodeCommonAttributes) failure messages and stacks — is sealed whole, metadata included, with AES-256-GCM under the
 * ring's current key before it leaves the process; Temporal stores only ciphertext and the key's id. Decoding opens
 * it with whichever key its id names, so a workflow started under an older key finishes after a rotation.
 *
 * A payload that is not encrypted was not written by a holder of the key: someone who reaches Temporal without it
 * (a plain client) cannot start a reply, approve a draft or pass a text. It decodes to the refused-payload marker
 * (src/workflows/refused-payload.ts), which the workflows' interceptor refuses: an Update's validator rejects it, a
 * signal is dropped, a start fails. `acceptPlain` lets it through instead: for histories from before encryption
 * (STEADFAST_ENCRYPTION_ACCEPT_PLAIN, while such a workflow is open), and for the codec server, which only shows.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keys: KeyRing,
    private readonly options: { acceptPlain?: boolean } = {},
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.current;
    return payloads.map((payload) => ({
      metadata: { encoding: utf8(encryptedEncoding), [keyIdMetadata]: utf8(key.id) },
      data: seal(key, temporal.api.common.v1.Payload.encode(payload).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (fromUtf8(payload.metadata?.encoding) !== encryptedEncoding) {
        return this.options.acceptPlain ? payload : refusedPayload;
      }
      const keyId = fromUtf8(payload.metadata?.[keyIdMetadata]) ?? '';
      const secret = this.keys.byId.get(keyId);
      if (!secret) {
        throw new UnknownEncryptionKey(
          `A payload is encrypted with key ${JSON.stringify(keyId)}, which this process does not have: add it to STEADFAST_DECRYPTION_KEYS (docs/configuration.md, "Encryption")`,
        );
      }
      const decoded = temporal.api.common.v1.Payload.decode(open(secret, payload.data ?? new Uint8Array()));
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}

/** What a plain payload decodes to when plain payloads are refused: the marker, as JSON. */
const refusedPayload: Payload = {
  metadata: { encoding: utf8('json/plain') },
  data: utf8(JSON.stringify(refusedPayloadMarker)),
};

export class UnknownEncryptionKey extends Error {
  override name = 'UnknownEncryptionKey';
}
