/**
 * The account store: each account's secrets (Telegram session, X user tokens, 2FA password while a login needs it).
 * Activities read them by account id, so they never travel through Temporal, whose history is plain text.
 */
export interface XUserTokens {
  accessToken: string;
  accessSecret: string;
}

/** A login waiting for its code or 2FA password (see the Telegram port's PendingLogin), with the phone it is for. */
export interface StoredPendingLogin {
  phone: string;
  session: string;
  phoneCodeHash: string;
}

export interface AccountStore {
  telegramSession(accountId: string): Promise<string>;
  saveTelegramSession(accountId: string, session: string): Promise<void>;
  xTokens(accountId: string): Promise<XUserTokens>;
  saveXTokens(accountId: string, tokens: XUserTokens): Promise<void>;
  /** The 2FA password the owner entered for a login in progress; undefined when none is waiting. */
  twoFactorPassword(accountId: string): Promise<string | undefined>;
  /** Undefined clears it: it is kept only until the login has used it. */
  saveTwoFactorPassword(accountId: string, password: string | undefined): Promise<void>;
  /** The login in progress, kept so that a worker restarted on this host can finish it; undefined when none. */
  pendingLogin(accountId: string): Promise<StoredPendingLogin | undefined>;
  /** Undefined clears it, once the login has ended. */
  savePendingLogin(accountId: string, login: StoredPendingLogin | undefined): Promise<void>;
}

/** A secret the account store does not hold: names the account and what to do. */
export class MissingAccountSecret extends Error {
  override name = 'MissingAccountSecret';
}
