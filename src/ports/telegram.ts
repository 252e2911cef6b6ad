/** What the workflows need of Telegram: send a message, and hold an account's session with its message stream. */

// The message and point shapes are the workflows' contracts; the port hands them over as they are.
export type { ButtonTap, MessageMarkup, SyncPoint, TelegramMessage } from '../domain/contracts';
import type { ButtonTap, MessageMarkup, SyncPoint, TelegramMessage } from '../domain/contracts';

export interface TelegramSession {
  /** Settles when the connection is lost (never after `close`), with the classified reason. */
  readonly lost: Promise<Error>;
  /** The point after the last message handed over (or where the session began). */
  point(): SyncPoint;
  /** The round-trip time of a ping, in ms. */
  ping(): Promise<number>;
  /**
   * Sends a message on this session's own connection (the control bot answers and sends the owner's messages this
   * way). Sends with the same `idempotencyKey` send once, as with `TelegramPort.sendMessage`. A bot's message may carry
   * buttons or a forced reply. Its message id.
   */
  send(chatId: string, text: string, idempotencyKey?: string, markup?: MessageMarkup): Promise<number>;
  /**
   * Edits one of the account's own messages in place (a bot's buttons with it: none without `markup`). The same text
   * again is no change, so an edit retried after a lost answer succeeds; false when Telegram has no such message.
   */
  edit(chatId: string, messageId: number, text: string, markup?: MessageMarkup): Promise<boolean>;
  /** Answers a tap on a bot's button (the app stops its spinner and shows `text` briefly). */
  answerTap(queryId: string, text: string): Promise<void>;
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
  /**
   * Receives taps on the bot's buttons (a bot's session only). Taps are not in the update sequence: one made while no
   * session is open is answered by nobody, and the app shows it as not answered, as Telegram does.
   */
  onTap?: (tap: ButtonTap) => void;
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
    markup?: MessageMarkup;
  }): Promise<{ messageId: number }>;
  /** Edits one of the account's own messages, as `TelegramSession.edit` does, on a connection of its own. */
  editMessage(request: {
    accountId: string;
    chatId: string;
    messageId: number;
    text: string;
    markup?: MessageMarkup;
  }): Promise<boolean>;
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
