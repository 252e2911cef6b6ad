import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { keyRing, newKey, parseKey, formatKey } from '../../src/encryption/keys';
import { startCodecServer } from '../../src/encryption/remote-codec-server';
import { failureConverter } from '../../src/encryption/failure-converter';
import {
  EncryptionCodec,
  UnknownEncryptionKey,
  encryptedEncoding,
  keyIdMetadata,
} from '../../src/encryption/payload-codec';
import { isRefusedPayload } from '../../src/workflows/refused-payload';

/** The payload codec alone: what Temporal would store, and what comes back out of it. */
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
const stored = (payloads: Payload[]) =>
  payloads.map(
    (p) => `${JSON.stringify(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, text(v)]))}${text(p.data)}`,
  );

describe('EncryptionCodec', () => {
  const a = newKey();
  const b = newKey();
  const private_ = { text: 'meet me at the old bridge at nine', chatId: '42' };

  test('what leaves the process is ciphertext and the key id; it decodes to the same payload', async () => {
    const codec = new EncryptionCodec(keyRing(a));
    const plain = [defaultPayloadConverter.toPayload(private_), defaultPayloadConverter.toPayload(null)];
    const encoded = await codec.encode(plain);
    for (const line of stored(encoded)) {
      assert.ok(!line.includes('old bridge'), 'no private text');
      assert.ok(!line.includes('json/plain'), 'not even the encoding: metadata is sealed with the data');
    }
    assert.deepEqual(
      encoded.map((p) => [text(p.metadata?.encoding), text(p.metadata?.[keyIdMetadata])]),
      [
        [encryptedEncoding, a.id],
        [encryptedEncoding, a.id],
      ],
    );
    assert.notDeepEqual(encoded[0]?.data, (await codec.encode(plain))[0]?.data, 'a fresh nonce every time');
    const decoded = await codec.decode(encoded);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded[0]!), private_);
    assert.equal(defaultPayloadConverter.fromPayload(decoded[1]!), null);
  });

  test('rotation: the current key encrypts, older keys still decrypt what they encrypted', async () => {
    const underA = await new EncryptionCodec(keyRing(a)).encode([defaultPayloadConverter.toPayload(private_)]);
    const rotated = new EncryptionCodec(keyRing(b, [a]));
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode(underA))[0]!), private_);
    const underB = await rotated.encode([defaultPayloadConverter.toPayload('new')]);
    assert.equal(text(underB[0]?.metadata?.[keyIdMetadata]), b.id);
  });

  test('a key the process lacks: an error naming the key id and where to add it; a changed byte does not open', async () => {
    const underA = await new EncryptionCodec(keyRing(a)).encode([defaultPayloadConverter.toPayload(private_)]);
    await assert.rejects(new EncryptionCodec(keyRing(b)).decode(underA), (err: unknown) => {
      assert.ok(err instanceof UnknownEncryptionKey);
      assert.match(err.message, new RegExp(`encrypted with key "${a.id}"`));
      assert.match(err.message, /STEADFAST_DECRYPTION_KEYS/);
      return true;
    });
    const tampered = underA.map((p) => ({
      ...p,
      data: Uint8Array.from(p.data!, (byte, i) => (i === 20 ? byte ^ 1 : byte)),
    }));
    await assert.rejects(
      new EncryptionCodec(keyRing(a)).decode(tampered),
      /the key does not open it, or it was changed/,
    );
  });

  test('a payload that is not encrypted is refused (no holder of the key wrote it); the migration setting takes it', async () => {
    const plain = [defaultPayloadConverter.toPayload({ text: 'an outsider wrote this' })];
    const [refused] = await new EncryptionCodec(keyRing(a)).decode(plain);
    const decoded = defaultPayloadConverter.fromPayload(refused!);
    assert.ok(isRefusedPayload(decoded), 'the refused-payload marker');
    assert.ok(!JSON.stringify(decoded).includes('outsider'), 'nothing of what it said');
    // STEADFAST_ENCRYPTION_ACCEPT_PLAIN: histories from before encryption stay readable while one is open.
    assert.deepEqual(await new EncryptionCodec(keyRing(a), { acceptPlain: true }).decode(plain), plain);
  });

  test("failures: the message and stack go into a payload (which the codec seals), not the failure's plain fields", async () => {
    const failure = failureConverter.errorToFailure(
      ApplicationFailure.nonRetryable('X refused the reply "meet me at the old bridge"', 'invalid'),
      defaultPayloadConverter,
    );
    assert.equal(failure.message, 'Encoded failure');
    assert.equal(failure.stackTrace, '');
    assert.ok(failure.encodedAttributes, 'the text is in encodedAttributes');
    const [sealed] = await new EncryptionCodec(keyRing(a)).encode([failure.encodedAttributes]);
    assert.ok(!stored([sealed!])[0]!.includes('old bridge'));
  });

  test('failures: a long one is cut to fit what the server keeps of a retrying step (2 KB), a short one kept whole', async () => {
    const codec = new EncryptionCodec(keyRing(a));
    const sealedSize = async (err: Error) => {
      const failure = failureConverter.errorToFailure(err, defaultPayloadConverter);
      for (let f: typeof failure | null | undefined = failure; f; f = f.cause) {
        if (f.encodedAttributes) [f.encodedAttributes] = await codec.encode([f.encodedAttributes]);
      }
      return { failure, bytes: temporal.api.failure.v1.Failure.encode(failure).finish().length };
    };
    const short = ApplicationFailure.retryable('Convex answered 503', 'upstream');
    const shortStack = short.stack;
    await sealedSize(short);
    assert.deepEqual([short.message, short.stack], ['Convex answered 503', shortStack], 'kept whole');

    // Four causes deep, each quoting kilobytes (a gRPC status with its details, say).
    let err: Error = new Error(`13 INTERNAL: ${'detail '.repeat(500)}`);
    for (let i = 0; i < 3; i += 1) err = new Error(`wrapped ${i}: ${err.message}`, { cause: err });
    const long = ApplicationFailure.create({
      type: 'network',
      message: `Could not hand over: ${err.message}`,
      cause: err,
    });
    const { failure, bytes } = await sealedSize(long);
    assert.ok(bytes < 2048, `${bytes} bytes sealed`);
    assert.match(long.message, /^Could not hand over: wrapped 2: wrapped 1: /);
    let depth = 0;
    for (let f: typeof failure | null | undefined = failure; f; f = f.cause) depth += 1;
    assert.equal(depth, 3, 'the outermost failure and two causes');
    assert.equal(failure.applicationFailureInfo?.type, 'network');
  });

  test('keys are written id:base64 and read back; a wrong one is refused without repeating it', () => {
    const key = newKey(new Date('2026-12-03T00:00:00Z'));
    assert.match(key.id, /^k20261203-[0-9a-f]{6}$/);
    assert.deepEqual(parseKey(formatKey(key)), key);
    const short = Buffer.alloc(31).toString('base64');
    assert.throws(
      () => parseKey(`x:${short}`),
      (err: Error) => !err.message.includes(short),
    );
    assert.throws(() => parseKey('no key'), /expected id:base64-key/);
  });
});

describe('the codec server beyond loopback', () => {
  test('will not listen there without a token, and with one answers only to it', async () => {
    const codec = new EncryptionCodec(keyRing(newKey()), { acceptPlain: true });
    const options = { codec, port: 0, allowedOrigin: 'http://localhost:8233', host: '0.0.0.0' };
    await assert.rejects(startCodecServer(options), /a codec server beyond loopback \(0\.0\.0\.0\) needs a token/);
    const server = await startCodecServer({ ...options, token: 'the-token' });
    try {
      const port = new URL(server.url).port;
      const decode = (headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${port}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ payloads: [] }),
        });
      assert.equal((await decode({})).status, 401);
      assert.equal((await decode({ authorization: 'Bearer guess' })).status, 401);
      assert.equal((await decode({ authorization: 'Bearer the-token' })).status, 200);
    } finally {
      await server.close();
    }
  });
});
