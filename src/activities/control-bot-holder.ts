import type { TelegramSession } from '../ports/telegram';

/**
 * The control bot's live session, when this worker holds it. The owner's messages are sent over it (on this worker's
 * own task queue), so that no second connection is ever made with the bot's auth key while one is live.
 */
export interface ControlBotHolder {
  /** The bot's session activity runs here: `session` once connected. */
  current(): { session?: TelegramSession } | undefined;
  hold(): { connected(session: TelegramSession): void; release(): void };
}

export function createControlBotHolder(): ControlBotHolder {
  let held: { session?: TelegramSession } | undefined;
  return {
    current: () => held,
    hold() {
      const mine: { session?: TelegramSession } = {};
      held = mine;
      return {
        connected: (session) => void (mine.session = session),
        release: () => {
          if (held === mine) held = undefined;
        },
      };
    },
  };
}
