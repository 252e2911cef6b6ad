import type { TelegramSession } from '../ports/telegram';

/**
 * The live Telegram sessions this worker holds, by account (the control bot's under its own id). What must go over
 * one of them (the owner's messages over the bot's, an account's chat answers over its own) runs on this worker's own
 * task queue, so that no second connection is ever made with an auth key while one is live.
 */
export interface LiveSessions {
  /** The session activity for the account runs here: `session` once connected. */
  current(accountId: string): { session?: TelegramSession; heartbeatNow?: () => void } | undefined;
  /**
   * `heartbeatNow` sends the session activity's heartbeat at once: a pause or stop the server holds for it comes back
   * in the answer, instead of at the next paced heartbeat.
   */
  hold(accountId: string, heartbeatNow?: () => void): { connected(session: TelegramSession): void; release(): void };
}

export function createLiveSessions(): LiveSessions {
  const held = new Map<string, { session?: TelegramSession; heartbeatNow?: () => void }>();
  return {
    current: (accountId) => held.get(accountId),
    hold(accountId, heartbeatNow) {
      const mine: { session?: TelegramSession; heartbeatNow?: () => void } = heartbeatNow ? { heartbeatNow } : {};
      held.set(accountId, mine);
      return {
        connected: (session) => void (mine.session = session),
        release: () => {
          if (held.get(accountId) === mine) held.delete(accountId);
        },
      };
    },
  };
}
