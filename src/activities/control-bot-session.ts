import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { answerCommand } from '../control/commands';
import type { SyncPoint, TelegramMessage, TelegramPort, TelegramSession } from '../ports/telegram';
import { controlBotAccount, workflowIds, type OwnerNotice } from '../domain/contracts';
import { controlBotHostSignal } from '../workflows/messages';
import type { LiveSessions } from './live-sessions';
import { permanentFailure } from '../domain/failure-vocabulary';
import { pacedHeartbeat } from './paced-heartbeat';
import { nextSessionEvent } from './session-events';
import type { OwnerDirectory } from '../owner/owner-directory';

export interface ControlBotDeps {
  telegram: TelegramPort;
  /** The bot turns commands into queries and signals through this client. */
  client: Client;
  pingEveryMs?: number;
  /** This process's hold on the live session, and the worker's own task queue where sends over it run. */
  live: LiveSessions;
  hostQueue: string;
  /**
   * Who the owner and admins are, and pairing (src/owner/owner-directory.ts). Answers in the owner's chat go through
   * the owner's outbox, at Telegram's pace with everything else; `paired` tells the outbox someone paired.
   */
  owner: {
    directory: Pick<OwnerDirectory, 'chatId' | 'isAdmin' | 'pair'>;
    queue: (notice: OwnerNotice) => Promise<void>;
    paired: () => Promise<void>;
  };
}

const refusal = 'Sorry, this bot only takes commands from its owner.';
const unowned =
  'This bot has no owner yet. Its owner runs `steadfast owner pair` on the server and sends the code here: /pair CODE';
/** `/pair CODE`, `/pair@bot CODE`: answered for anyone, since the one pairing is not the owner yet. */
const pairCommand = /^\/pair(?:@\w+)?(?:\s+(\S+))?\s*$/i;
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
      const { telegram, client, owner, pingEveryMs = 3_000 } = deps;
      const context = Context.current();
      const beat = pacedHeartbeat(context);
      const from = (context.info.heartbeatDetails as { point?: SyncPoint } | undefined)?.point;
      let opened: Promise<TelegramSession> | undefined = undefined;
      let handling: Promise<void> = Promise.resolve();
      /** The answer to one message: a command for the owner and admins, a pairing for anyone, else a refusal. */
      const reply = async (message: TelegramMessage, session: TelegramSession): Promise<string> => {
        const pairing = pairCommand.exec(message.text.trim());
        if (pairing) return pair(message, pairing[1]);
        if (await owner.directory.isAdmin(message.senderId)) {
          const replied = message.replyToMessageId;
          return answerCommand(message.text, {
            client,
            taskQueue: context.info.taskQueue,
            repliedText: replied ? () => session.messageText(replied) : undefined,
            onError: (err) => {
              context.log.warn('control bot command failed', { command: message.text, error: String(err) });
            },
          });
        }
        context.log.warn('control bot refused a non-admin', { senderId: message.senderId });
        return (await owner.directory.chatId()) ? refusal : unowned;
      };
      const pair = async (message: TelegramMessage, code: string | undefined): Promise<string> => {
        if (!code) return 'Send the code `steadfast owner pair` printed: /pair CODE';
        const outcome = await owner.directory.pair(code, { id: message.senderId });
        if (outcome.kind === 'refused') {
          // The code is never logged: a wrong one may be a near miss of the right one.
          context.log.warn('control bot refused a pairing', { senderId: message.senderId });
          return outcome.reason;
        }
        context.log.info('control bot paired the owner', { ownerId: message.senderId });
        await owner.paired().catch((err: unknown) => {
          context.log.warn('could not tell the owner outbox of the pairing', { error: String(err) });
        });
        return 'Paired: you are the owner of this Steadfast deployment now. Approval requests and alerts come here; /help lists the commands.';
      };
      const answer = async (message: TelegramMessage, point: SyncPoint) => {
        const session = await opened!;
        if (message.chatId.startsWith('-')) return; // a group the bot was added to: not a place for commands
        const text = await reply(message, session);
        try {
          if (message.chatId === (await owner.directory.chatId()) && !pairCommand.test(message.text.trim())) {
            // Keyed by the command: a command run again after a reconnect answers once.
            const key = `answer:${message.chatId}:${message.messageId}`;
            await owner.queue({ key, accountId: controlBotAccount, text, kind: 'answer' });
          } else {
            await session.send(
              message.chatId,
              text.slice(0, maxMessageLength),
              `answer:${message.chatId}:${message.messageId}`,
            );
          }
        } catch (err) {
          // One undeliverable answer (the user blocked the bot…) must not stop the bot; a lost connection shows in `lost`.
          context.log.warn('control bot could not answer', { chatId: message.chatId, error: String(err) });
        }
        // The point after this message, sent now (not paced: commands are few), so a reconnect does not run it again.
        context.heartbeat({ point });
      };
      opened = telegram.openSession({
        accountId: controlBotAccount,
        from,
        onMessage: (message, point) => (handling = answer(message, point)),
      });
      const hold = deps.live.hold(controlBotAccount);
      const session = await opened.catch((err: unknown) => {
        hold.release();
        throw err;
      });
      try {
        hold.connected(session);
        // The owner's outbox sends over this session from now on: on this worker's own task queue.
        await client.workflow
          .getHandle(context.info.workflowExecution?.workflowId ?? workflowIds.controlBot())
          .signal(controlBotHostSignal, { hostQueue: deps.hostQueue });
        beat({ point: session.point() });
        for (;;) {
          const outcome = await nextSessionEvent(context, session, pingEveryMs);
          if ('lost' in outcome) throw outcome.lost;
          if ('cancelled' in outcome) throw outcome.cancelled;
          await session.ping();
          beat({ point: session.point() });
        }
      } finally {
        await handling.catch(() => undefined); // a command under way finishes before the connection closes
        hold.release();
        await session.close();
      }
    },
  };
}
