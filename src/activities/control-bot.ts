import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { answerCommand } from '../control/commands';
import type { SyncPoint, TelegramMessage, TelegramPort, TelegramSession } from '../ports/telegram';
import { controlBotAccount } from '../workflows/contracts';
import { permanentFailure } from './failures';
import { nextSessionEvent } from './session-events';

export interface ControlBotDeps {
  telegram: TelegramPort;
  /** The bot turns commands into queries and signals through this client. */
  client: Client;
  /** Telegram user ids allowed to command the bot. */
  adminIds: string[];
  pingEveryMs?: number;
}

const refusal = 'Sorry, this bot only takes commands from its owner.';
/** Telegram's limit for one message. */
const maxMessageLength = 4096;

/**
 * The control bot's live session: every message from an admin is a command, answered on the same connection; anyone
 * else is refused politely (and logged). Like an account's session, a dropped connection fails the attempt and the
 * retry policy reconnects, resuming from the point in the last heartbeat.
 */
export function createControlBotActivities(deps: ControlBotDeps | undefined) {
  return {
    async runControlBot(): Promise<void> {
      if (!deps) throw permanentFailure('invalid-input', 'This worker was started without the control bot');
      const { telegram, client, pingEveryMs = 3_000 } = deps;
      const admins = new Set(deps.adminIds);
      const context = Context.current();
      const from = (context.info.heartbeatDetails as { point?: SyncPoint } | undefined)?.point;
      let opened: Promise<TelegramSession> | undefined = undefined;
      let handling: Promise<void> = Promise.resolve();
      const answer = async (message: TelegramMessage, point: SyncPoint) => {
        const session = await opened!;
        if (message.chatId.startsWith('-')) return; // a group the bot was added to: not a place for commands
        let text = refusal;
        if (admins.has(message.senderId)) {
          const replied = message.replyToMessageId;
          text = await answerCommand(message.text, {
            client,
            repliedText: replied ? () => session.messageText(replied) : undefined,
            onError: (err) => {
              context.log.warn('control bot command failed', { command: message.text, error: String(err) });
            },
          });
        } else context.log.warn('control bot refused a non-admin', { senderId: message.senderId });
        try {
          await session.send(message.chatId, text.slice(0, maxMessageLength));
        } catch (err) {
          // One undeliverable answer (the user blocked the bot…) must not stop the bot; a lost connection shows in `lost`.
          context.log.warn('control bot could not answer', { chatId: message.chatId, error: String(err) });
        }
        // The point after this message: a reconnect does not run the command again.
        context.heartbeat({ point });
      };
      opened = telegram.openSession({
        accountId: controlBotAccount,
        from,
        onMessage: (message, point) => (handling = answer(message, point)),
      });
      const session = await opened;
      try {
        context.heartbeat({ point: session.point() });
        for (;;) {
          const outcome = await nextSessionEvent(context, session, pingEveryMs);
          if ('lost' in outcome) throw outcome.lost;
          if ('cancelled' in outcome) throw outcome.cancelled;
          await session.ping();
          context.heartbeat({ point: session.point() });
        }
      } finally {
        await handling.catch(() => undefined); // a command under way finishes before the connection closes
        await session.close();
      }
    },
  };
}
