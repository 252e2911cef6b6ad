import { createHash, createPublicKey } from 'node:crypto';
import { _serverKeys } from 'telegram/crypto/RSA';
import { returnBigInt } from 'telegram/Helpers';

/**
 * Makes GramJS trust another server's RSA public key for the auth key exchange, besides Telegram's own that it carries:
 * the key my.telegram.org shows for Telegram's test servers, or a simulator's (TELEGRAM_SERVER_PUBLIC_KEY). GramJS has
 * no option for it; its key table, keyed by fingerprint, is exported, and a key added there is used like its own.
 */
export function trustServerKey(pem: string): string {
  const { n, e } = createPublicKey(pem).export({ format: 'jwk' });
  if (!n || !e) throw new Error('TELEGRAM_SERVER_PUBLIC_KEY: not an RSA public key');
  const modulus = Buffer.from(n, 'base64url');
  const exponent = Buffer.from(e, 'base64url');
  // The protocol's fingerprint: the lower 64 bits of SHA1(rsa_public_key n:bytes e:bytes), a signed long.
  const digest = createHash('sha1')
    .update(Buffer.concat([tlBytes(modulus), tlBytes(exponent)]))
    .digest();
  const fingerprint = digest.readBigInt64LE(12).toString();
  _serverKeys.set(fingerprint, {
    n: returnBigInt(BigInt(`0x${modulus.toString('hex')}`)),
    e: Number(`0x${exponent.toString('hex')}`),
  });
  return fingerprint;
}

function tlBytes(data: Buffer): Buffer {
  const head =
    data.length < 254 ? Buffer.from([data.length]) : Buffer.from([254, data.length & 0xff, data.length >> 8, 0]);
  const padding = (4 - ((head.length + data.length) % 4)) % 4;
  return Buffer.concat([head, data, Buffer.alloc(padding)]);
}
