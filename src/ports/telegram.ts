/** What the workflows need of Telegram: send a message, and hold an account's session with its message stream. */

// The message and point shapes are the workflows' contracts; the port hands them over as they are.
export type { SyncPoint, TelegramMessage } from '../domain/contracts';
import type { SyncPoint, TelegramMessage } from '../domain/contracts';

export interface TelegramSession {
  /** Settles when the connection is lost (never after `close`), with the classified reason. */
  readonly lost: Promise<Error>;
  /** The point after the last message handed over (or where the session began). */
  point(): SyncPoint;
  /** The round-trip time of a ping, in ms. */
  ping(): Promise<number>;
  /**
   * Sends a message on this session's own connection (the control bot answers and sends the owner's messages this
   * way). Sends with the same `idempotencyKey` send once, as with `TelegramPort.sendMessage`.
   */
  send(chatId: string, text: string, idempotencyKey?: string): Promise<void>;
  /** The text of one of the account's messages (what a reply answers), or undefined if Telegram has none. */
  messageText(messageId: number): Promise<string | undefined>;
  /** Disconnects at once. */
  close(): Promise<void>;
}

export interface OpenSessionRequest {
  accountId: string;
  /** Where the last session stopped; undefined: from now on (an account synced for the first time). */
  from?: SyncPoint;
  /**
   * Receives each incoming message after `from` exactly once and in order, first those that arrived while no
   * session was open, then live ones, with the point after it. Awaited: the next message waits for it.
   */
  onMessage: (message: TelegramMessage, point: SyncPoint) => Promise<void>;
}

/**
 * A login in progress, as a worker restarted on the same host needs it to go on: the login's auth key (Telegram ties
 * the code to it) and the code's hash. Secret: account store only, never Temporal.
 */
export interface PendingLogin {
  session: string;
  phoneCodeHash: string;
}

/** One login on one connection: Telegram ties the code to the connection's auth key, so every step shares it. */
export interface TelegramLogin {
  /** Has Telegram send the login code to the account's apps. */
  sendCode(): Promise<void>;
  /** 'password-needed' when the account has two-step verification on; a wrong or stale code is an outcome. */
  signIn(code: string): Promise<'logged-in' | 'password-needed' | 'code-invalid' | 'code-expired'>;
  checkPassword(password: string): Promise<'logged-in' | 'password-invalid'>;
  /** The logged-in session for the account store: a secret, never for Temporal history. */
  session(): string;
  /** What resuming this login on a new connection needs; undefined before a code was sent. */
  pending(): PendingLogin | undefined;
  close(): Promise<void>;
}

export interface TelegramPort {
  /**
   * Sends a text as the account. Sends with the same `idempotencyKey` send once: a retry after an answer that never
   * came gets the message the first one sent.
   */
  sendMessage(request: {
    accountId: string;
    chatId: string;
    text: string;
    idempotencyKey?: string;
  }): Promise<{ messageId: number }>;
  /** Connects with the account's stored session; fails with a classified error (auth, network, rate-limit, …). */
  openSession(request: OpenSessionRequest): Promise<TelegramSession>;
  /** A new login, or (with `resume`) one whose code was sent over an earlier connection with the same auth key. */
  startLogin(request: { phone: string; resume?: PendingLogin }): Promise<TelegramLogin>;
  /**
   * Who the account's stored session is logged in as (users.getMe on a connection of its own, closed after): only
   * for an account no worker holds a live session of, since two connections with one auth key are not allowed.
   */
  whoIs(accountId: string): Promise<{ username?: string; name: string }>;
  /**
   * Whether Telegram takes the control bot's token: a login of its own with it (a new auth key), users.getMe, and a
   * log-out, so the bot's live session is never touched.
   */
  checkBot(): Promise<{ username?: string }>;
}
