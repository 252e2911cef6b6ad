import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { answerCommand, answerTap, type BotAnswer } from '../control/commands';
import { parseTap } from '../domain/approval-buttons';
import type { ButtonTap, SyncPoint, TelegramMessage, TelegramPort, TelegramSession } from '../ports/telegram';
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
      let tapping: Promise<void> = Promise.resolve();
      const commandContext = (what: string) => ({
        client,
        taskQueue: context.info.taskQueue,
        onError: (err: unknown) => {
          context.log.warn('control bot command failed', { command: what, error: String(err) });
        },
      });
      /** The answer to one message: a command for the owner and admins, a pairing for anyone, else a refusal. */
      const reply = async (message: TelegramMessage, session: TelegramSession): Promise<BotAnswer> => {
        const pairing = pairCommand.exec(message.text.trim());
        if (pairing) return { text: await pair(message, pairing[1]) };
        if (await owner.directory.isAdmin(message.senderId)) {
          const replied = message.replyToMessageId;
          return answerCommand(message.text, {
            ...commandContext(message.text),
            repliedText: replied ? () => session.messageText(replied) : undefined,
          });
        }
        context.log.warn('control bot refused a non-admin', { senderId: message.senderId });
        return { text: (await owner.directory.chatId()) ? refusal : unowned };
      };
      /**
       * Into the chat a command or tap came from: the owner's through the owner's outbox (at Telegram's pace, with
       * everything else), keyed by what it answers so that one run again after a reconnect answers once; anyone
       * else's at once.
       */
      const say = async (chatId: string, answer: BotAnswer, key: string, session: TelegramSession) => {
        const { text, markup } = answer;
        if (chatId === (await owner.directory.chatId())) {
          await owner.queue({ key, accountId: controlBotAccount, text, kind: 'answer', ...(markup ? { markup } : {}) });
        } else {
          await session.send(chatId, text.slice(0, maxMessageLength), key, markup);
        }
      };
      /**
       * A tap on a button: from the owner or an admin, the decision it stands for; from anyone else, nothing but a
       * polite answer (the message may sit in the chat of someone who is no longer an admin). Answered at once.
       */
      const tapped = async (tap: ButtonTap) => {
        let toast = 'Sorry, only the owner decides here.';
        let followUp: BotAnswer | undefined;
        const parsed = parseTap(tap.data);
        try {
          if (!(await owner.directory.isAdmin(tap.senderId))) {
            context.log.warn('control bot refused a tap from a non-admin', { senderId: tap.senderId });
          } else if (!parsed) {
            toast = 'That button is not one of mine any more.';
          } else {
            ({ toast, followUp } = await answerTap(parsed, commandContext(`tap ${parsed.action}`)));
          }
          const session = await opened!;
          await session.answerTap(tap.queryId, toast);
          if (followUp) await say(tap.chatId, followUp, `tap:${tap.chatId}:${tap.queryId}`, session);
        } catch (err) {
          // Answered too late, or the list could not go: the owner taps again; the bot goes on.
          context.log.warn('control bot could not answer a tap', { chatId: tap.chatId, error: String(err) });
        }
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
        const answered = await reply(message, session);
        const key = `answer:${message.chatId}:${message.messageId}`;
        try {
          if (pairCommand.test(message.text.trim())) {
            // Answered on the spot: whoever pairs may have just become the owner, with nothing queued for them yet.
            await session.send(message.chatId, answered.text.slice(0, maxMessageLength), key);
          } else {
            await say(message.chatId, answered, key, session);
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
        // One at a time, in the order tapped; the bot does not close with a tap half handled (below).
        onTap: (tap) => void (tapping = tapping.then(() => tapped(tap))),
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
        // A command or tap under way finishes before the connection closes.
        await Promise.all([handling.catch(() => undefined), tapping]);
        hold.release();
        await session.close();
      }
    },
  };
}
