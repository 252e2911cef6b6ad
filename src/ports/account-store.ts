/**
 * The account store: each account's secrets (Telegram session, X user tokens, 2FA password while a login needs it).
 * Activities read them by account id, so they never travel through Temporal, whose history is plain text.
 */
export interface XUserTokens {
  accessToken: string;
  accessSecret: string;
}

/**
 * An account's X OAuth 2.0 user tokens (beside OAuth 1.0a): the app's client id and secret (none for a public client),
 * and the tokens X issued.
 * The access token lasts `expiresAt - issuedAt` (two hours at X); each refresh rotates both tokens, and the old
 * refresh token stops working.
 */
export interface XOAuth2Tokens {
  clientId: string;
  clientSecret?: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms. */
  issuedAt: number;
  expiresAt: number;
}

/** The stored tokens, with the version every write bumps, and why X last refused them (the owner must authorise). */
export interface StoredXOAuth2 extends XOAuth2Tokens {
  version: number;
  refused?: string;
}

/** A versioned write that found another version than it was based on: someone else wrote the tokens meanwhile. */
export class StaleTokens extends Error {
  override name = 'StaleTokens';
}

/** A login waiting for its code or 2FA password (see the Telegram port's PendingLogin), with the phone it is for. */
export interface StoredPendingLogin {
  phone: string;
  session: string;
  phoneCodeHash: string;
}

/** Who owns the deployment: the Telegram user who paired with the control bot (`steadfast owner pair`). */
export interface StoredOwner {
  telegramUserId: string;
  /** How Telegram names them, for the owner's own check (`owner show`). */
  name?: string;
  /** Epoch ms. */
  pairedAt: number;
}

/** A pairing code waiting to be sent to the bot: only its hash is kept, and it counts the wrong guesses. */
export interface StoredPairing {
  codeHash: string;
  /** Epoch ms. */
  expiresAt: number;
  wrongAttempts: number;
}

export interface AccountStore {
  telegramSession(accountId: string): Promise<string>;
  saveTelegramSession(accountId: string, session: string): Promise<void>;
  xTokens(accountId: string): Promise<XUserTokens>;
  saveXTokens(accountId: string, tokens: XUserTokens): Promise<void>;
  /** The account's X OAuth 2.0 tokens, if it has any (else it posts with OAuth 1.0a's). */
  xOAuth2(accountId: string): Promise<StoredXOAuth2 | undefined>;
  /**
   * Writes them if the stored version is still `basedOn` (null: whatever is stored, as when the owner adds new tokens);
   * else throws StaleTokens. Returns the new version.
   */
  saveXOAuth2(accountId: string, tokens: XOAuth2Tokens & { refused?: string }, basedOn: number | null): Promise<number>;
  /** The 2FA password the owner entered for a login in progress; undefined when none is waiting. */
  twoFactorPassword(accountId: string): Promise<string | undefined>;
  /** Undefined clears it: it is kept only until the login has used it. */
  saveTwoFactorPassword(accountId: string, password: string | undefined): Promise<void>;
  /** The login in progress, kept so that a worker restarted on this host can finish it; undefined when none. */
  pendingLogin(accountId: string): Promise<StoredPendingLogin | undefined>;
  /** Undefined clears it, once the login has ended. */
  savePendingLogin(accountId: string, login: StoredPendingLogin | undefined): Promise<void>;
  /** The deployment's paired owner, kept beside the control bot's session; undefined until someone paired. */
  owner(): Promise<StoredOwner | undefined>;
  saveOwner(owner: StoredOwner): Promise<void>;
  /** The pairing code waiting to be used, if any; undefined clears it. */
  pairing(): Promise<StoredPairing | undefined>;
  savePairing(pairing: StoredPairing | undefined): Promise<void>;
}

/** A secret the account store does not hold: names the account and what to do. */
export class MissingAccountSecret extends Error {
  override name = 'MissingAccountSecret';
}
