import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { createTelegramPort } from '../../src/adapters/telegram/telegram-port';
import { MissingAccountSecret } from '../../src/ports/account-store';
import { assertVersionedXOAuth2 } from '../helpers/account-store-contract';
import { failureOf } from '../helpers/failure-of';

/** The account store keeps secrets out of Temporal: one owner-only file, replaced whole on every write. */
describe('file account store', () => {
  const path = () => join(mkdtempSync(join(tmpdir(), 'steadfast-accounts-')), 'nested', 'accounts.json');

  test('X OAuth 2.0 tokens are written with a version check: a write based on an older version is refused', async () => {
    await assertVersionedXOAuth2(createFileAccountStore(path()));
  });

  test('keeps sessions, tokens, a pending 2FA password and a pending login per account, in a file only its owner can read', async () => {
    const file = path();
    const store = createFileAccountStore(file);
    await store.saveTelegramSession('alice', 'session-a');
    await store.saveXTokens('alice', { accessToken: 't', accessSecret: 's' });
    await store.saveTwoFactorPassword('alice', 'pw');
    await store.saveTelegramSession('bob', 'session-b');

    const reopened = createFileAccountStore(file);
    assert.equal(await reopened.telegramSession('alice'), 'session-a');
    assert.equal(await reopened.telegramSession('bob'), 'session-b');
    assert.deepEqual(await reopened.xTokens('alice'), { accessToken: 't', accessSecret: 's' });
    assert.equal(await reopened.twoFactorPassword('alice'), 'pw');
    await reopened.saveTwoFactorPassword('alice', undefined);
    assert.equal(await reopened.twoFactorPassword('alice'), undefined);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /"pw"/);
    const pending = { phone: '+15550100001', session: 'login-key', phoneCodeHash: 'hash' };
    await reopened.savePendingLogin('alice', pending);
    assert.deepEqual(await createFileAccountStore(file).pendingLogin('alice'), pending);
    await reopened.savePendingLogin('alice', undefined);
    assert.equal(await reopened.pendingLogin('alice'), undefined);
    assert.equal(await reopened.telegramSession('alice'), 'session-a', 'other secrets untouched');

    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(file, '..')), ['accounts.json'], 'no staged file is left behind');
  });

  test('a missing secret names the account, the file and the command that fixes it', async () => {
    const file = path();
    const store = createFileAccountStore(file);
    await assert.rejects(store.telegramSession('carol'), (err: unknown) => {
      assert.ok(err instanceof MissingAccountSecret);
      assert.equal(
        err.message,
        `No Telegram session for account carol in the account store ${file}: log it in with \`npm run cli -- account login carol\``,
      );
      return true;
    });
    await assert.rejects(store.xTokens('carol'), /No X user tokens for account carol/);
  });

  test('an account with no Telegram session fails the call as a non-retryable auth failure', async () => {
    const store = createFileAccountStore(path());
    const telegram = createTelegramPort({ apiId: 1, apiHash: 'x', sessionFor: (id) => store.telegramSession(id) });
    const failure = await failureOf(telegram.sendMessage({ accountId: 'carol', chatId: '1000', text: 'hi' }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['auth', true]);
  });
});
