import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  getDiffieHellman,
  privateDecrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions';
import { returnBigInt } from 'telegram/Helpers';
import { ige } from './mtproto-crypto';

/**
 * The server side of MTProto's auth key creation (core.telegram.org/mtproto/auth_key), written from the specification:
 * req_pq_multi → resPQ, req_DH_params (RSA_PAD-encrypted p_q_inner_data) → server_DH_params_ok, set_client_DH_params →
 * dh_gen_ok. The simulator signs with an RSA key of its own, which a client trusts as it would Telegram's (GramJS
 * knows Telegram's; Steadfast's TELEGRAM_SERVER_PUBLIC_KEY names another), so a client with an empty session makes
 * its key here exactly as it does with Telegram.
 */
export interface ServerKey {
  privateKey: KeyObject;
  /** PKCS#1 PEM, the form my.telegram.org shows Telegram's keys in. */
  publicPem: string;
  fingerprint: bigint;
}

/** A new RSA-2048 key (e = 65537), or the one kept from an earlier start (its private PEM). */
export function serverKey(privatePem?: string): ServerKey & { privatePem: string } {
  const pem =
    privatePem ??
    generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    });
  const text = typeof pem === 'string' ? pem : pem.toString();
  const publicKey = createPublicKey(text);
  const publicPem = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const { n, e } = publicKey.export({ format: 'jwk' });
  const fingerprint = rsaFingerprint(Buffer.from(n!, 'base64url'), Buffer.from(e!, 'base64url'));
  return { privateKey: createPrivateKey(text), publicPem, fingerprint, privatePem: text };
}

/** The lower 64 bits of SHA1 of `rsa_public_key n:bytes e:bytes`, as the signed long the protocol carries. */
export function rsaFingerprint(n: Buffer, e: Buffer): bigint {
  const digest = createHash('sha1')
    .update(Buffer.concat([tlBytes(n), tlBytes(e)]))
    .digest();
  return digest.readBigInt64LE(12);
}

function tlBytes(data: Buffer): Buffer {
  const head = data.length < 254 ? Buffer.from([data.length]) : Buffer.from([254, ...le(BigInt(data.length), 3)]);
  const padding = (4 - ((head.length + data.length) % 4)) % 4;
  return Buffer.concat([head, data, Buffer.alloc(padding)]);
}

/** Two's complement little-endian bytes of a value, as MTProto writes its int128 / int256 / long. */
function le(value: bigint, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let rest = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}
const fromLe = (data: Buffer, signed = true) => {
  let value = 0n;
  for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]!);
  return signed ? BigInt.asIntN(data.length * 8, value) : value;
};
const fromBe = (data: Buffer) => BigInt(`0x${data.toString('hex') || '0'}`);
/** Big-endian bytes without leading zeros, as MTProto's `bytes` carry big numbers. */
const toBe = (value: bigint) => {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};
const modPow = (base: bigint, exponent: bigint, modulus: bigint) => {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
};
const sha1 = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest();
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
/** GramJS's TL values for int128 / int256 / long fields. */
const tl = (value: bigint) => returnBigInt(value.toString());
const native = (value: { toString(): string }) => BigInt(value.toString());

/** The example of the specification: two primes whose product the client factorises (proof of work). */
const p = 1229739323n;
const q = 1402015859n;
/** RFC 3526's 2048-bit MODP group (a safe prime, generator 2), a group MTProto accepts. */
const dh = getDiffieHellman('modp14');
const dhPrime = fromBe(dh.getPrime());
const g = 2;

interface Handshake {
  serverNonce: Buffer;
  newNonce?: Buffer;
  a?: bigint;
}

/**
 * Key creation for the connections of one server: the returned function takes an unencrypted request (and the data
 * centre it came to) and returns the unencrypted answer (undefined for anything else); `created` receives the auth
 * key, for that data centre, once dh_gen_ok is sent.
 */
export function keyExchange(key: ServerKey, created: (authKey: Buffer, dc: number) => void) {
  const handshakes = new Map<string, Handshake>();
  const tmpAes = (serverNonce: Buffer, newNonce: Buffer) => {
    const [h1, h2, h3] = [sha1(newNonce, serverNonce), sha1(serverNonce, newNonce), sha1(newNonce, newNonce)];
    return {
      key: Buffer.concat([h1, h2.subarray(0, 12)]),
      iv: Buffer.concat([h2.subarray(12, 20), h3, newNonce.subarray(0, 4)]),
    };
  };

  return (
    request: unknown,
    dc: number,
  ): Api.TypeResPQ | Api.TypeServer_DH_Params | Api.TypeSet_client_DH_params_answer | undefined => {
    if (request instanceof Api.ReqPqMulti || request instanceof Api.ReqPq) {
      const serverNonce = randomBytes(16);
      handshakes.set(native(request.nonce).toString(), { serverNonce });
      return new Api.ResPQ({
        nonce: request.nonce,
        serverNonce: tl(fromLe(serverNonce)),
        pq: toBe(p * q),
        serverPublicKeyFingerprints: [tl(key.fingerprint)],
      });
    }
    if (request instanceof Api.ReqDHParams) {
      const handshake = handshakes.get(native(request.nonce).toString());
      if (!handshake || native(request.publicKeyFingerprint) !== key.fingerprint) return undefined;
      if (fromBe(request.p) !== p || fromBe(request.q) !== q) return undefined;
      // RSA_PAD, undone: RSA, then temp_key from its XOR with SHA256 of the AES part, then AES-IGE with a zero IV.
      const encrypted = privateDecrypt(
        { key: key.privateKey, padding: constants.RSA_NO_PADDING },
        request.encryptedData,
      );
      const aesEncrypted = encrypted.subarray(32);
      const tempKey = Buffer.from(encrypted.subarray(0, 32).map((byte, i) => byte ^ sha256(aesEncrypted)[i]!));
      const dataWithHash = ige(aesEncrypted, tempKey, Buffer.alloc(32), false);
      const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse();
      if (!sha256(tempKey, dataWithPadding).equals(dataWithHash.subarray(192))) return undefined;
      const inner: unknown = new BinaryReader(dataWithPadding).tgReadObject();
      if (!(inner instanceof Api.PQInnerData) || native(inner.serverNonce) !== fromLe(handshake.serverNonce)) {
        return undefined;
      }
      handshake.newNonce = le(native(inner.newNonce), 32);
      handshake.a = fromBe(randomBytes(256)) % dhPrime;
      const answer = new Api.ServerDHInnerData({
        nonce: request.nonce,
        serverNonce: request.serverNonce,
        g,
        dhPrime: toBe(dhPrime),
        gA: toBe(modPow(BigInt(g), handshake.a, dhPrime)),
        serverTime: Math.floor(Date.now() / 1000),
      }).getBytes();
      const withHash = Buffer.concat([sha1(answer), answer]);
      const padded = Buffer.concat([withHash, randomBytes((16 - (withHash.length % 16)) % 16)]);
      const { key: aesKey, iv } = tmpAes(handshake.serverNonce, handshake.newNonce);
      return new Api.ServerDHParamsOk({
        nonce: request.nonce,
        serverNonce: request.serverNonce,
        encryptedAnswer: ige(padded, aesKey, iv, true),
      });
    }
    if (request instanceof Api.SetClientDHParams) {
      const handshake = handshakes.get(native(request.nonce).toString());
      if (!handshake?.newNonce || handshake.a === undefined) return undefined;
      const { key: aesKey, iv } = tmpAes(handshake.serverNonce, handshake.newNonce);
      const decrypted = ige(request.encryptedData, aesKey, iv, false);
      const inner: unknown = new BinaryReader(decrypted.subarray(20)).tgReadObject();
      if (!(inner instanceof Api.ClientDHInnerData)) return undefined;
      const authKey = toBe(modPow(fromBe(inner.gB), handshake.a, dhPrime));
      handshakes.delete(native(request.nonce).toString());
      created(authKey, dc);
      const auxHash = sha1(authKey).subarray(0, 8);
      const newNonceHash1 = sha1(handshake.newNonce, Buffer.from([1]), auxHash).subarray(4, 20);
      return new Api.DhGenOk({
        nonce: request.nonce,
        serverNonce: request.serverNonce,
        newNonceHash1: tl(fromLe(newNonceHash1)),
      });
    }
    return undefined;
  };
}
