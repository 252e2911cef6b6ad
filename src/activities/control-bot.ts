import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { answerCommand } from '../control/commands';
import type { SyncPoint, TelegramPort, TelegramSession } from '../ports/telegram';
import { controlBotAccount } from '../workflows/contracts';
import { permanentFailure } from './failures';

export interface ControlBotDeps {
  telegram: TelegramPort;
  /** The bot turns commands into queries and signals through this client. */
  client: Client;
  /** Telegram user ids allowed to command the bot. */
  adminIds: string[];
  pingEveryMs?: number;
}

const refusal = 'Sorry, this bot only takes commands from its owner.';

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
      opened = telegram.openSession({
        accountId: controlBotAccount,
        from,
        onMessage: async (message) => {
          const session = await opened!;
          if (message.chatId.startsWith('-')) return; // a group the bot was added to: not a place for commands
          let answer = refusal;
          if (admins.has(message.senderId)) {
            const replied = message.replyToMessageId;
            answer = await answerCommand(message.text, {
              client,
              repliedText: replied ? () => session.messageText(replied) : undefined,
            });
          } else context.log.warn('control bot refused a non-admin', { senderId: message.senderId });
          await session.send(message.chatId, answer);
          context.heartbeat({ point: session.point() });
        },
      });
      const session = await opened;
      try {
        context.heartbeat({ point: session.point() });
        for (;;) {
          const outcome = await Promise.race([
            session.lost.then((reason) => ({ lost: reason })),
            context.cancelled.then(
              () => ({ cancelled: new Error('cancelled') }),
              (err: unknown) => ({ cancelled: err }),
            ),
            context.sleep(pingEveryMs).then(() => ({ tick: true })),
          ]);
          if ('lost' in outcome) throw outcome.lost;
          if ('cancelled' in outcome) throw outcome.cancelled;
          await session.ping();
          context.heartbeat({ point: session.point() });
        }
      } finally {
        await session.close();
      }
    },
  };
}
