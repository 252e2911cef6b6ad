import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The server side of Telegram's 2FA check (core.telegram.org/api/srp): the account keeps only the verifier
 * v = g^x mod p, hands the client (salt1, salt2, g, p, B) and checks its proof M1 against (A, B). Written from the
 * specification so that the sandbox checks GramJS's `computeCheck` rather than echoing it.
 */

/** Telegram's 2048-bit safe prime (the one clients accept) and its generator. */
const P_HEX =
  'c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac9251395' +
  '43aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708' +
  'fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46' +
  '582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f6' +
  '35b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b';
const p = BigInt(`0x${P_HEX}`);
const g = 3n;

export const srpPrime = Buffer.from(P_HEX, 'hex');
export const srpGenerator = Number(g);

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const toBig = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex') || '0'}`);
/** Numbers are hashed as 256 big-endian bytes. */
const pad = (n: bigint) => Buffer.from(n.toString(16).padStart(512, '0'), 'hex');

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** PH2 of the specification: the password's slow hash. */
function passwordHash(password: string, salt1: Buffer, salt2: Buffer): bigint {
  const ph1 = sha256(salt2, sha256(salt1, Buffer.from(password, 'utf8'), salt1), salt2);
  return toBig(sha256(salt2, pbkdf2Sync(ph1, salt1, 100_000, 64, 'sha512'), salt2));
}

export interface PasswordRecord {
  salt1: Buffer;
  salt2: Buffer;
  verifier: bigint;
}

export function passwordRecord(password: string): PasswordRecord {
  const salt1 = randomBytes(40);
  const salt2 = randomBytes(16);
  return { salt1, salt2, verifier: modPow(g, passwordHash(password, salt1, salt2), p) };
}

/** One check round: the server's secret b and public B = k·v + g^b. */
export function srpChallenge(record: PasswordRecord): { b: bigint; B: Buffer } {
  const k = toBig(sha256(pad(p), pad(g)));
  const b = toBig(randomBytes(256)) % p;
  return { b, B: pad((k * record.verifier + modPow(g, b, p)) % p) };
}

/** Whether the client's (A, M1) proves it knows the password behind `record`. */
export function srpVerify(record: PasswordRecord, challenge: { b: bigint; B: Buffer }, A: Buffer, M1: Buffer): boolean {
  const a = toBig(A);
  if (a <= 1n || a >= p - 1n) return false;
  const u = toBig(sha256(pad(a), challenge.B));
  const S = modPow((a * modPow(record.verifier, u, p)) % p, challenge.b, p);
  const K = sha256(pad(S));
  const hp = sha256(pad(p));
  const hg = sha256(pad(g));
  const xored = Buffer.from(hp.map((byte, i) => byte ^ hg[i]!));
  const expected = sha256(xored, sha256(record.salt1), sha256(record.salt2), pad(a), challenge.B, K);
  return expected.equals(M1);
}
