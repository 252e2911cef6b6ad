import { makeFunctionReference } from 'convex/server';
import { open, seal } from '../../encryption/aes-gcm';
import type { KeyRing } from '../../encryption/keys';
import {
  MissingAccountSecret,
  type AccountStore,
  StaleTokens,
  type StoredOwner,
  type StoredPairing,
  type StoredPendingLogin,
  type XOAuth2Tokens,
  type XUserTokens,
} from '../../ports/account-store';
import { controlBotAccount } from '../../domain/contracts';
import { classifyConvexError } from '../convex/classify';
import { backendClient } from '../convex/convex-store';

/** What each field's document holds, once opened. */
interface Secrets {
  telegramSession: string;
  xTokens: XUserTokens;
  xOAuth2: XOAuth2Tokens & { refused?: string };
  twoFactorPassword: string;
  pendingLogin: StoredPendingLogin;
  /** The control bot's document only. */
  owner: StoredOwner;
  pairing: StoredPairing;
}
type Field = keyof Secrets;

interface SealedSecret {
  version: number;
  keyId: string;
  /** Base64 of seal()'s nonce ‖ tag ‖ ciphertext. */
  sealed: string;
}
const getSecret = makeFunctionReference<'query', { accountId: string; field: Field }, SealedSecret | null>(
  'accountSecrets:get',
);
const putSecret = makeFunctionReference<
  'mutation',
  { accountId: string; field: Field; keyId: string; sealed: string | null; basedOn: number | null },
  { ok: boolean; version: number }
>('accountSecrets:put');

/** A document this process cannot open: its key is not in the ring, or it was sealed for another account or field. */
export class UnreadableAccountSecret extends Error {
  override name = 'UnreadableAccountSecret';
}

/**
 * The account store in Convex (convex/accountSecrets.ts), for a deployment whose workers run on several hosts: one
 * document per account and field, so writes of different fields never meet, and X OAuth 2.0 tokens written with the
 * document's version check, so of two workers refreshing at once one wins and the other gets StaleTokens. Each value
 * is sealed (AES-256-GCM) under the ring's current key before it leaves the process, bound to its account and field:
 * Convex keeps ciphertext and the key's id, and a document moved to another account or field does not open.
 */
export function createConvexAccountStore({
  url,
  secret,
  keys,
  timeoutMs = 8_000,
}: {
  url: string;
  /** The backend's secret, which the deployment's functions require (convex/backend.ts). */
  secret: string;
  keys: KeyRing;
  timeoutMs?: number;
}): AccountStore {
  const client = backendClient(url, secret, timeoutMs);
  const context = (accountId: string, field: Field) => `account-secret:${accountId}:${field}`;

  const read = async <F extends Field>(accountId: string, field: F) => {
    let stored: SealedSecret | null;
    try {
      stored = await client.query(getSecret, { accountId, field });
    } catch (err) {
      throw classifyConvexError(err);
    }
    if (!stored) return undefined;
    const { version, keyId, sealed } = stored;
    const secret = keys.byId.get(keyId);
    if (!secret) {
      throw new UnreadableAccountSecret(
        `The ${field} of account ${accountId} in the shared account store is encrypted with key ${JSON.stringify(keyId)}, which this process does not have: add that key to STEADFAST_DECRYPTION_KEYS`,
      );
    }
    try {
      const opened = open(secret, Buffer.from(sealed, 'base64'), context(accountId, field));
      return { value: JSON.parse(opened.toString('utf8')) as Secrets[F], version };
    } catch (err) {
      throw new UnreadableAccountSecret(
        `The ${field} of account ${accountId} in the shared account store does not open with key ${JSON.stringify(keyId)}: it was changed, or sealed for another account or field`,
        { cause: err },
      );
    }
  };
  /** `basedOn` null writes whatever is stored; undefined deletes the field. */
  const write = async <F extends Field>(
    accountId: string,
    field: F,
    value: Secrets[F] | undefined,
    basedOn: number | null = null,
  ) => {
    const sealed =
      value === undefined
        ? null
        : seal(keys.current, Buffer.from(JSON.stringify(value)), context(accountId, field)).toString('base64');
    try {
      return await client.mutation(putSecret, { accountId, field, keyId: keys.current.id, sealed, basedOn });
    } catch (err) {
      throw classifyConvexError(err);
    }
  };
  const missing = (accountId: string, what: string, fix: string) =>
    new MissingAccountSecret(
      `No ${what} for account ${accountId} in the shared account store in Convex at ${url}: ${fix}`,
    );

  return {
    async telegramSession(accountId) {
      const session = (await read(accountId, 'telegramSession'))?.value;
      if (!session)
        throw missing(accountId, 'Telegram session', `log it in with \`npm run cli -- account login ${accountId}\``);
      return session;
    },
    async saveTelegramSession(accountId, session) {
      await write(accountId, 'telegramSession', session);
    },
    async xTokens(accountId) {
      const tokens = (await read(accountId, 'xTokens'))?.value;
      if (!tokens) throw missing(accountId, 'X user tokens', 'add them with `npm run cli -- account add`');
      return tokens;
    },
    async saveXTokens(accountId, tokens) {
      await write(accountId, 'xTokens', tokens);
    },
    async xOAuth2(accountId) {
      const stored = await read(accountId, 'xOAuth2');
      // The document's version is the tokens' version: the one a versioned write is based on.
      return stored && { ...stored.value, version: stored.version };
    },
    async saveXOAuth2(accountId, tokens, basedOn) {
      const { ok, version } = await write(accountId, 'xOAuth2', tokens, basedOn);
      if (!ok) throw new StaleTokens(`X tokens of ${accountId} are at version ${version}, not ${basedOn}`);
      return version;
    },
    async twoFactorPassword(accountId) {
      return (await read(accountId, 'twoFactorPassword'))?.value;
    },
    async saveTwoFactorPassword(accountId, password) {
      await write(accountId, 'twoFactorPassword', password);
    },
    async pendingLogin(accountId) {
      return (await read(accountId, 'pendingLogin'))?.value;
    },
    async savePendingLogin(accountId, login) {
      await write(accountId, 'pendingLogin', login);
    },
    async owner() {
      return (await read(controlBotAccount, 'owner'))?.value;
    },
    async saveOwner(owner) {
      await write(controlBotAccount, 'owner', owner);
    },
    async pairing() {
      return (await read(controlBotAccount, 'pairing'))?.value;
    },
    async savePairing(pairing) {
      await write(controlBotAccount, 'pairing', pairing);
    },
  };
}
