import { randomBytes } from 'node:crypto';

/**
 * The keys that encrypt what Steadfast hands to others to keep: Temporal's payloads (src/encryption/payload-codec.ts)
 * and the shared account store's documents. A key is written `id:base64` (32 bytes, AES-256); its id travels with
 * everything it encrypted, so a payload names the key that opens it and keys can be rotated: the newest encrypts,
 * the older ones are kept to decrypt what they encrypted.
 */
export interface EncryptionKey {
  id: string;
  secret: Buffer;
}

export interface KeyRing {
  /** The key new payloads and documents are encrypted with. */
  current: EncryptionKey;
  /** Every key that may open something, the current one included, by id. */
  byId: ReadonlyMap<string, Buffer>;
}

export const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** Why a written key is not one: for the configuration's error, which names the variable. */
export class InvalidKey extends Error {
  override name = 'InvalidKey';
}

/** Reads `id:base64`; the error says what is wrong without repeating the secret. */
export function parseKey(text: string): EncryptionKey {
  const separator = text.indexOf(':');
  const id = separator < 0 ? '' : text.slice(0, separator).trim();
  const encoded = separator < 0 ? '' : text.slice(separator + 1).trim();
  if (!keyIdPattern.test(id)) {
    throw new InvalidKey('expected id:base64-key, the id of letters, digits, dots, dashes or underscores');
  }
  const secret = Buffer.from(encoded, 'base64');
  if (secret.length !== 32 || secret.toString('base64') !== encoded) {
    throw new InvalidKey(`the key ${id} is not 32 bytes in base64 (AES-256)`);
  }
  return { id, secret };
}

export function formatKey(key: EncryptionKey): string {
  return `${key.id}:${key.secret.toString('base64')}`;
}

/** A new random key, its id the day it was made (rotation keeps the old ones by their ids). */
export function newKey(now = new Date()): EncryptionKey {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return { id: `k${day}-${randomBytes(3).toString('hex')}`, secret: randomBytes(32) };
}

export function keyRing(current: EncryptionKey, previous: readonly EncryptionKey[] = []): KeyRing {
  const byId = new Map(previous.map((key) => [key.id, key.secret] as const));
  byId.set(current.id, current.secret);
  return { current, byId };
}
