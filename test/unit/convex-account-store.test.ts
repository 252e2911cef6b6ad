import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createConvexAccountStore,
  UnreadableAccountSecret,
} from '../../src/adapters/account-store/convex-account-store';
import { keyRing, newKey, type KeyRing } from '../../src/encryption/keys';
import { MissingAccountSecret, StaleTokens } from '../../src/ports/account-store';
import { startConvexSimulator } from '../../src/sandbox/convex-simulator';
import { sandboxConvexSecret } from '../../src/sandbox/endpoints';
import type { RunningSimulator } from '../../src/sandbox/http-simulator';
import { assertVersionedXOAuth2, oauth2Tokens } from '../helpers/account-store-contract';
import { failureOf } from '../helpers/failure-of';

/**
 * The shared account store against the Convex simulator: what every worker of a deployment reaches, the file store's
 * behaviour with sealed documents, and versioned writes that two workers make at once.
 */
let simulator: RunningSimulator;
before(async () => {
  simulator = await startConvexSimulator();
});
after(() => simulator.close());
beforeEach(() => simulator.setFaults({}));

const oldKey = newKey();
const ring = keyRing(oldKey);
/** Each call is another worker: its own store, its own Convex client. */
const worker = (keys: KeyRing = ring, url = simulator.url) =>
  createConvexAccountStore({ url, secret: sandboxConvexSecret, keys });

interface Document {
  accountId: string;
  field: string;
  version: number;
  keyId: string;
  sealed: string;
}
const documents = async (sim = simulator) =>
  ((await (await fetch(`${sim.url}/_sandbox/state`)).json()) as { accountSecrets: Record<string, Document> })
    .accountSecrets;
/** Writes a document as it is, past the adapter (as someone with access to Convex could). */
const putDocument = async ({ accountId, field, keyId, sealed }: Omit<Document, 'version'>) => {
  const response = await fetch(`${simulator.url}/api/mutation`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      path: 'accountSecrets:put',
      args: [{ accountId, field, keyId, sealed, basedOn: null, secret: sandboxConvexSecret }],
      format: 'json',
    }),
  });
  assert.equal(response.status, 200);
};

const tokens = oauth2Tokens;

describe('Convex account store against the simulator', () => {
  test('keeps every field per account, as the file store does', async () => {
    const store = worker();
    const pending = { phone: '+15550100001', session: 'login-key', phoneCodeHash: 'hash' };
    await store.saveTelegramSession('alice', 'session-a');
    await store.saveXTokens('alice', { accessToken: 't', accessSecret: 's' });
    await store.saveTwoFactorPassword('alice', 'pw');
    await store.savePendingLogin('alice', pending);
    await store.saveTelegramSession('bob', 'session-b');

    const other = worker();
    assert.equal(await other.telegramSession('alice'), 'session-a');
    assert.equal(await other.telegramSession('bob'), 'session-b');
    assert.deepEqual(await other.xTokens('alice'), { accessToken: 't', accessSecret: 's' });
    assert.equal(await other.twoFactorPassword('alice'), 'pw');
    assert.deepEqual(await other.pendingLogin('alice'), pending);
    await other.saveTwoFactorPassword('alice', undefined);
    await other.savePendingLogin('alice', undefined);
    assert.equal(await store.twoFactorPassword('alice'), undefined);
    assert.equal(await store.pendingLogin('alice'), undefined);
    assert.equal(await store.telegramSession('alice'), 'session-a', 'other secrets untouched');
    assert.equal(await store.twoFactorPassword('bob'), undefined);
  });

  test('X OAuth 2.0 tokens carry the document version; a write based on an older one is refused', async () => {
    await assertVersionedXOAuth2(worker(), (err) =>
      assert.equal(err.message, 'X tokens of alice are at version 2, not 1'),
    );
  });

  test('a missing secret names the account, the store and the command that fixes it', async () => {
    await assert.rejects(worker().telegramSession('carol'), (err: unknown) => {
      assert.ok(err instanceof MissingAccountSecret);
      assert.equal(
        err.message,
        `No Telegram session for account carol in the shared account store in Convex at ${simulator.url}: log it in with \`npm run cli -- account login carol\``,
      );
      return true;
    });
    await assert.rejects(worker().xTokens('carol'), /No X user tokens for account carol/);
  });

  test('Convex keeps only ciphertext and the key id', async () => {
    const store = worker();
    await store.saveTelegramSession('dave', 'plain-session-dave');
    await store.saveTwoFactorPassword('dave', 'hunter2-dave');
    await store.saveXOAuth2('dave', { ...tokens, accessToken: 'access-dave', refreshToken: 'refresh-dave' }, null);
    const stored = Object.values(await documents()).filter((doc) => doc.accountId === 'dave');
    assert.deepEqual(stored.map((doc) => doc.field).sort(), ['telegramSession', 'twoFactorPassword', 'xOAuth2']);
    assert.ok(stored.every((doc) => doc.keyId === oldKey.id));
    const raw = JSON.stringify(stored);
    for (const secret of ['plain-session-dave', 'hunter2-dave', 'access-dave', 'refresh-dave', 'app-secret']) {
      assert.ok(!raw.includes(secret), `${secret} is not in Convex`);
      assert.ok(!raw.includes(Buffer.from(secret).toString('base64')), `${secret} is not in Convex as base64`);
    }
  });

  test('two workers writing X tokens based on the same version: exactly one wins, the other gets StaleTokens', async () => {
    const [first, second] = [worker(), worker()];
    await first.saveXOAuth2('erin', tokens, null);
    const basedOn = (await second.xOAuth2('erin'))?.version ?? 0;
    const outcomes = await Promise.allSettled([
      first.saveXOAuth2('erin', { ...tokens, accessToken: 'from-first' }, basedOn),
      second.saveXOAuth2('erin', { ...tokens, accessToken: 'from-second' }, basedOn),
    ]);
    const won = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
    const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    assert.equal(won.length, 1);
    assert.ok(lost[0] instanceof StaleTokens);
    const stored = await first.xOAuth2('erin');
    assert.deepEqual(
      [stored?.accessToken, stored?.version],
      [won[0] === 0 ? 'from-first' : 'from-second', basedOn + 1],
    );
  });

  test('two workers writing different fields at once: both writes survive', async () => {
    const [first, second] = [worker(), worker()];
    const pending = { phone: '+15550100002', session: 'login-key', phoneCodeHash: 'hash' };
    await Promise.all([
      first.saveTelegramSession('frank', 'session-f'),
      second.saveXTokens('frank', { accessToken: 't', accessSecret: 's' }),
      first.savePendingLogin('frank', pending),
      second.saveTwoFactorPassword('frank', 'pw'),
      first.saveXOAuth2('frank', tokens, null),
    ]);
    const reader = worker();
    assert.equal(await reader.telegramSession('frank'), 'session-f');
    assert.deepEqual(await reader.xTokens('frank'), { accessToken: 't', accessSecret: 's' });
    assert.deepEqual(await reader.pendingLogin('frank'), pending);
    assert.equal(await reader.twoFactorPassword('frank'), 'pw');
    assert.equal((await reader.xOAuth2('frank'))?.version, 1);
  });

  test('after a rotation, documents under the old key still open; new writes use the new key', async () => {
    await worker().saveTelegramSession('grace', 'old-session');
    await worker().saveXTokens('grace', { accessToken: 'old', accessSecret: 'old' });
    const currentKey = newKey();
    const rotated = worker(keyRing(currentKey, [oldKey]));
    assert.equal(await rotated.telegramSession('grace'), 'old-session');
    await rotated.saveTelegramSession('grace', 'new-session');
    const stored = await documents();
    assert.equal(stored['grace:telegramSession']?.keyId, currentKey.id);
    assert.equal(stored['grace:xTokens']?.keyId, oldKey.id, 'untouched documents keep their key');
    assert.equal(await rotated.telegramSession('grace'), 'new-session');
    assert.deepEqual(await rotated.xTokens('grace'), { accessToken: 'old', accessSecret: 'old' });
  });

  test('a worker without the key a document names says which key to add', async () => {
    await worker().saveTelegramSession('heidi', 'session-h');
    await assert.rejects(worker(keyRing(newKey())).telegramSession('heidi'), (err: unknown) => {
      assert.ok(err instanceof UnreadableAccountSecret);
      assert.equal(
        err.message,
        `The telegramSession of account heidi in the shared account store is encrypted with key "${oldKey.id}", which this process does not have: add that key to STEADFAST_DECRYPTION_KEYS`,
      );
      return true;
    });
  });

  test('a document copied to another account or field does not open', async () => {
    await worker().saveTelegramSession('ivan', 'session-i');
    const doc = (await documents())['ivan:telegramSession'];
    assert.ok(doc);
    await putDocument({ ...doc, accountId: 'mallory' });
    await putDocument({ ...doc, field: 'twoFactorPassword' });
    await assert.rejects(worker().telegramSession('mallory'), UnreadableAccountSecret);
    await assert.rejects(
      worker().twoFactorPassword('ivan'),
      /The twoFactorPassword of account ivan in the shared account store does not open with key/,
    );
    assert.equal(await worker().telegramSession('ivan'), 'session-i', 'the original still opens');
  });

  test('an outage of Convex is a retryable failure; a 4xx is not', async () => {
    simulator.setFaults({ errorRate: 1, errorStatus: 503 });
    const outage = await failureOf(worker().telegramSession('alice'));
    assert.deepEqual([outage.type, outage.nonRetryable], ['upstream', false]);
    simulator.setFaults({ errorRate: 1, errorStatus: 400 });
    const refused = await failureOf(worker().saveTelegramSession('alice', 'x'));
    assert.deepEqual([refused.type, refused.nonRetryable], ['invalid-input', true]);
  });

  test('a data file from before the shared store loads, and keeps the documents across a restart', async () => {
    const dataFile = join(mkdtempSync(join(tmpdir(), 'convex-')), 'store.json');
    writeFileSync(dataFile, JSON.stringify({ replies: {}, messages: {}, accounts: {}, watches: {} }));
    const first = await startConvexSimulator({ dataFile });
    await worker(ring, first.url).saveTelegramSession('judy', 'session-j');
    await first.close();
    const second = await startConvexSimulator({ dataFile });
    try {
      assert.equal(await worker(ring, second.url).telegramSession('judy'), 'session-j');
    } finally {
      await second.close();
    }
  });
});
