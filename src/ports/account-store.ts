/**
 * The account store: each account's secrets (Telegram session, X user tokens, 2FA password while a login needs it).
 * Activities read them by account id, so they never travel through Temporal, whose history is plain text.
 */
export interface XUserTokens {
  accessToken: string;
  accessSecret: string;
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
}

/** A secret the account store does not hold: names the account and what to do. */
export class MissingAccountSecret extends Error {
  override name = 'MissingAccountSecret';
}
