import assert from 'node:assert/strict';
import { StaleTokens, type AccountStore } from '../../src/ports/account-store';

/** X OAuth 2.0 tokens as a store keeps them; every store's tests write these. */
export const oauth2Tokens = {
  clientId: 'app',
  clientSecret: 'app-secret',
  accessToken: 'a1',
  refreshToken: 'r1',
  issuedAt: 1,
  expiresAt: 2,
};

/**
 * The port's versioned write, which every store keeps: a write based on an older version is refused (StaleTokens,
 * which `onStale` may look at further), and the owner's new tokens (based on nothing) win over any, a refused pair too.
 */
export async function assertVersionedXOAuth2(store: AccountStore, onStale: (err: StaleTokens) => void = () => {}) {
  const tokens = oauth2Tokens;
  assert.equal(await store.xOAuth2('alice'), undefined);
  assert.equal(await store.saveXOAuth2('alice', tokens, null), 1);
  assert.equal(await store.saveXOAuth2('alice', { ...tokens, accessToken: 'a2' }, 1), 2);
  await assert.rejects(store.saveXOAuth2('alice', { ...tokens, accessToken: 'stale' }, 1), (err: unknown) => {
    assert.ok(err instanceof StaleTokens);
    onStale(err);
    return true;
  });
  assert.deepEqual(await store.xOAuth2('alice'), { ...tokens, accessToken: 'a2', version: 2 });
  await store.saveXOAuth2('alice', { ...tokens, refused: 'X answered 400' }, 2);
  assert.equal((await store.xOAuth2('alice'))?.refused, 'X answered 400');
  assert.equal(await store.saveXOAuth2('alice', { ...tokens, accessToken: 'a3' }, null), 4);
  assert.equal((await store.xOAuth2('alice'))?.refused, undefined);
}
