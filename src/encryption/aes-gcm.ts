import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from './keys';

/**
 * AES-256-GCM from Node's crypto: a fresh 12-byte nonce per message, the 16-byte tag checked before anything is
 * returned. Sealed: nonce ‖ tag ‖ ciphertext. `context` (associated data) binds a ciphertext to where it belongs —
 * a document sealed for one account does not open as another's.
 */
const nonceBytes = 12;
const tagBytes = 16;

export function seal(key: EncryptionKey, plaintext: Uint8Array, context?: string): Buffer {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key.secret, nonce);
  if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]);
}

/** Throws DecryptionFailed when the key is not the one, or the bytes or their context were changed. */
export function open(secret: Buffer, sealed: Uint8Array, context?: string): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < nonceBytes + tagBytes) throw new DecryptionFailed('too short to be sealed');
  const decipher = createDecipheriv('aes-256-gcm', secret, bytes.subarray(0, nonceBytes));
  decipher.setAuthTag(bytes.subarray(nonceBytes, nonceBytes + tagBytes));
  if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(nonceBytes + tagBytes)), decipher.final()]);
  } catch {
    throw new DecryptionFailed('the key does not open it, or it was changed');
  }
}

export class DecryptionFailed extends Error {
  override name = 'DecryptionFailed';
}
