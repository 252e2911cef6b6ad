import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { controlBotAccount } from '../../domain/contracts';
import {
  MissingAccountSecret,
  type AccountStore,
  StaleTokens,
  type StoredOwner,
  type StoredPairing,
  type StoredPendingLogin,
  type StoredXOAuth2,
  type XUserTokens,
} from '../../ports/account-store';

interface StoredAccount {
  telegramSession?: string;
  xTokens?: XUserTokens;
  xOAuth2?: StoredXOAuth2;
  twoFactorPassword?: string;
  pendingLogin?: StoredPendingLogin;
  /** On the control bot's record only: the deployment's owner, and a pairing code waiting to be used. */
  owner?: StoredOwner;
  pairing?: StoredPairing;
}
type Stored = Record<string, StoredAccount>;

/**
 * The account store as one JSON file readable by its owner only (mode 0600), replaced atomically on every write so a
 * crash never leaves half a file. Every worker of a deployment must see the same file (one host, or a shared volume).
 */
export function createFileAccountStore(path: string): AccountStore {
  const read = (): Stored => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Stored) : {});
  const update = (accountId: string, change: (account: StoredAccount) => void) => {
    const stored = read();
    const account = stored[accountId] ?? {};
    change(account);
    stored[accountId] = account;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const staged = `${path}.${process.pid}.tmp`;
    writeFileSync(staged, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(staged, 0o600);
    renameSync(staged, path);
  };
  const missing = (accountId: string, what: string, fix: string) =>
    new MissingAccountSecret(`No ${what} for account ${accountId} in the account store ${path}: ${fix}`);

  return {
    async telegramSession(accountId) {
      const session = read()[accountId]?.telegramSession;
      if (!session)
        throw missing(accountId, 'Telegram session', `log it in with \`npm run cli -- account login ${accountId}\``);
      return session;
    },
    async saveTelegramSession(accountId, session) {
      update(accountId, (account) => (account.telegramSession = session));
    },
    async xTokens(accountId) {
      const tokens = read()[accountId]?.xTokens;
      if (!tokens) throw missing(accountId, 'X user tokens', 'add them with `npm run cli -- account add`');
      return tokens;
    },
    async saveXTokens(accountId, tokens) {
      update(accountId, (account) => (account.xTokens = tokens));
    },
    async xOAuth2(accountId) {
      return read()[accountId]?.xOAuth2;
    },
    async saveXOAuth2(accountId, tokens, basedOn) {
      let version = 0;
      // Read, checked and written in one synchronous step: no other write of this process comes between.
      update(accountId, (account) => {
        const stored = account.xOAuth2?.version ?? 0;
        if (basedOn !== null && stored !== basedOn) {
          throw new StaleTokens(`X tokens of ${accountId} are at version ${stored}, not ${basedOn}`);
        }
        version = stored + 1;
        account.xOAuth2 = { ...tokens, version };
      });
      return version;
    },
    async twoFactorPassword(accountId) {
      return read()[accountId]?.twoFactorPassword;
    },
    async saveTwoFactorPassword(accountId, password) {
      update(accountId, (account) => {
        if (password === undefined) delete account.twoFactorPassword;
        else account.twoFactorPassword = password;
      });
    },
    async pendingLogin(accountId) {
      return read()[accountId]?.pendingLogin;
    },
    async savePendingLogin(accountId, login) {
      update(accountId, (account) => {
        if (login === undefined) delete account.pendingLogin;
        else account.pendingLogin = login;
      });
    },
    async owner() {
      return read()[controlBotAccount]?.owner;
    },
    async saveOwner(owner) {
      update(controlBotAccount, (bot) => (bot.owner = owner));
    },
    async pairing() {
      return read()[controlBotAccount]?.pairing;
    },
    async savePairing(pairing) {
      update(controlBotAccount, (bot) => {
        if (pairing === undefined) delete bot.pairing;
        else bot.pairing = pairing;
      });
    },
  };
}
