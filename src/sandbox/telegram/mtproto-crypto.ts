import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The server side of MTProto 2.0 message encryption (core.telegram.org/mtproto/description), written from the
 * specification rather than taken from GramJS, so that the sandbox checks the client's wire format instead of
 * mirroring it. Keys are 256 bytes; `x` is 0 for client → server messages and 8 for server → client.
 */
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** auth_key_id: the lower 64 bits of SHA1(auth_key), as the 8 bytes that prefix every encrypted message. */
export function authKeyId(authKey: Buffer): Buffer {
  return createHash('sha1').update(authKey).digest().subarray(12, 20);
}

function messageKeys(authKey: Buffer, msgKey: Buffer, x: 0 | 8): { key: Buffer; iv: Buffer } {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
    iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]),
  };
}

/** AES-256 in IGE mode, which Node's OpenSSL does not offer: each block chains on both previous blocks. */
export function ige(data: Buffer, key: Buffer, iv: Buffer, encrypt: boolean): Buffer {
  const block = (input: Buffer) => {
    const cipher = encrypt ? createCipheriv('aes-256-ecb', key, null) : createDecipheriv('aes-256-ecb', key, null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(input), cipher.final()]);
  };
  const out = Buffer.alloc(data.length);
  // Encrypting, the chain starts from (c0, p0) = (iv[0..16], iv[16..32]); decrypting, the roles swap.
  let prevIn = encrypt ? iv.subarray(16, 32) : iv.subarray(0, 16);
  let prevOut = encrypt ? iv.subarray(0, 16) : iv.subarray(16, 32);
  for (let offset = 0; offset < data.length; offset += 16) {
    const chunk = data.subarray(offset, offset + 16);
    const xored = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) xored[i] = chunk[i]! ^ prevOut[i]!;
    const transformed = block(xored);
    for (let i = 0; i < 16; i++) out[offset + i] = transformed[i]! ^ prevIn[i]!;
    prevIn = chunk;
    prevOut = out.subarray(offset, offset + 16);
  }
  return out;
}

/** Decrypts a client message: returns the plaintext (salt, session id, message id, seq no, length, body). */
export function decryptFromClient(authKey: Buffer, packet: Buffer): Buffer {
  const msgKey = packet.subarray(8, 24);
  const { key, iv } = messageKeys(authKey, msgKey, 0);
  const plaintext = ige(packet.subarray(24), key, iv, false);
  const expected = sha256(authKey.subarray(88, 120), plaintext).subarray(8, 24);
  if (!expected.equals(msgKey)) throw new Error('msg_key mismatch: the message was not encrypted with this auth key');
  return plaintext;
}

/** Encrypts a server message (plaintext without padding) for the client holding `authKey`. */
export function encryptForClient(authKey: Buffer, plaintext: Buffer): Buffer {
  const padding = randomBytes(12 + ((16 - ((plaintext.length + 12) % 16)) % 16));
  const padded = Buffer.concat([plaintext, padding]);
  const msgKey = sha256(authKey.subarray(96, 128), padded).subarray(8, 24);
  const { key, iv } = messageKeys(authKey, msgKey, 8);
  return Buffer.concat([authKeyId(authKey), msgKey, ige(padded, key, iv, true)]);
}
