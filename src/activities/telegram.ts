import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TelegramPort } from '../ports/telegram';
import { controlBotAccount, type OwnerMessageRequest, type OwnerNotice } from '../domain/contracts';
import { sessionMoved } from '../domain/failure-vocabulary';
import { deletedAt, inDays } from '../temporal/retention';
import type { LiveSessions } from './live-sessions';
import { permanentFailure, transientFailure } from '../domain/failure-vocabulary';

/** The deployment's owner outbox as the activities reach it (src/workers/owner-outbox-deps.ts). */
export interface OwnerOutboxDeps {
  /** Hands a notice to the outbox. */
  queue: (notice: OwnerNotice) => Promise<void>;
  /** Tells the outbox someone paired as the owner: the messages that waited for one go out. */
  ownerPaired: () => Promise<void>;
}

/** The own task queue of the worker holding a live session (src/workers/live-session-hosts.ts), if one does. */
export interface LiveSessionHosts {
  controlBot: () => Promise<string | undefined>;
  account: (accountId: string) => Promise<string | undefined>;
}

/**
 * `ownerChat` says who the owner is (configured, or paired: src/owner/owner-directory.ts): deployment data, not input.
 * The owner hears from the control bot, whatever the account: an account whose session is lost can still alert, and
 * the owner answers approval requests in one chat. Until someone pairs, a send fails as `no-owner` at once, and the
 * owner's outbox keeps the message until the control bot says someone paired.
 */
export function createTelegramActivities(deps: {
  telegram: TelegramPort;
  ownerChat: () => Promise<string | undefined>;
  outbox: OwnerOutboxDeps;
  live: LiveSessions;
  hosts: LiveSessionHosts;
  /** How long the namespace keeps a failed workflow (src/temporal/retention.ts), for a dead letter's alert. */
  retention: () => Promise<number | undefined>;
}) {
  const { telegram, outbox, live, hosts } = deps;
  const ownerChatId = async () => {
    const chatId = await deps.ownerChat();
    if (!chatId) {
      throw permanentFailure(
        'no-owner',
        'Nobody is paired as the owner yet: run `steadfast owner pair` and send the code to the bot',
      );
    }
    return chatId;
  };
  return {
    /**
     * A notice, alert or approval request for the owner: queued in the owner's outbox, which alone sends into the
     * owner's chat, at Telegram's pace. Its key is the one given (a workflow that signals the outbox itself falls back
     * here with it), else this activity's: a repeated hand-over is dropped there. A dead letter's alert
     * (`deadLetter`) says until when the namespace keeps the failed workflow, that is, until when it can be retried.
     */
    async notifyOwner(request: {
      accountId: string;
      text: string;
      kind?: OwnerNotice['kind'];
      ref?: string;
      key?: string;
      deadLetter?: true;
      settles?: string;
    }): Promise<void> {
      const { accountId, kind = 'notice', ref, settles } = request;
      const text = request.deadLetter ? await withDeletionDate(request.text, deps.retention) : request.text;
      const key = request.key ?? sendKey() ?? `${accountId}:${Date.now()}`;
      const notice: OwnerNotice = {
        key,
        accountId,
        text,
        kind,
        ...(ref ? { ref } : {}),
        ...(settles ? { settles } : {}),
      };
      try {
        await outbox.queue(notice);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw transientFailure('network', `Could not hand the notice to the owner's outbox: ${reason}`, err);
      }
    },
    /**
     * One message into the owner's chat as the control bot, over a connection of its own: only while no worker holds
     * the bot's live session (the outbox sends over that one when there is). `key` makes a resend a no-op.
     */
    async sendOwnerMessage(request: OwnerMessageRequest): Promise<{ messageId: number }> {
      const chatId = await ownerChatId();
      const { text, markup, edit } = request;
      const message = { accountId: controlBotAccount, chatId, text, ...(markup ? { markup } : {}) };
      if (edit !== undefined && (await telegram.editMessage({ ...message, messageId: edit }))) {
        return { messageId: edit };
      }
      return await telegram.sendMessage({ ...message, idempotencyKey: request.key ?? sendKey() });
    },
    /** One message into the owner's chat over the control bot's live session, run on the worker that holds it. */
    async sendAsControlBot(request: OwnerMessageRequest & { key: string }): Promise<{ messageId: number }> {
      const session = heldSession(live, controlBotAccount);
      const chatId = await ownerChatId();
      const { text, key, markup, edit } = request;
      if (edit !== undefined && (await session.edit(chatId, edit, text, markup))) return { messageId: edit };
      return { messageId: await session.send(chatId, text, key, markup) };
    },
    /** Where the owner's outbox should send: the own task queue of the worker holding the bot's live session. */
    async locateControlBot(): Promise<{ hostQueue?: string }> {
      const hostQueue = await hosts.controlBot();
      return hostQueue ? { hostQueue } : {};
    },
    /** A chat answer over the account's live session, run on the worker that holds it. */
    async sendAsAccount(request: { accountId: string; chatId: string; text: string; key: string }): Promise<void> {
      await overHeldSession(live, request.accountId, request.chatId, request.text, request.key);
    },
    /** Where a chat answer should be sent: the own task queue of the worker holding the account's live session. */
    async locateSession(request: { accountId: string }): Promise<{ hostQueue?: string }> {
      const hostQueue = await hosts.account(request.accountId);
      return hostQueue ? { hostQueue } : {};
    },
    /**
     * A chat answer as the account over a connection of its own (while no worker holds the account's live session).
     * `key` makes a resend over any path a no-op; without it, the activity's own key.
     */
    async sendChatMessage(request: {
      accountId: string;
      chatId: string;
      text: string;
      key?: string;
    }): Promise<{ messageId: number }> {
      const { key, ...message } = request;
      return telegram.sendMessage({ ...message, idempotencyKey: key ?? sendKey() });
    },
  };
}

/** The alert with the date the failed workflow is deleted: the workflow fails as it is sent, so from now. */
async function withDeletionDate(text: string, retention: () => Promise<number | undefined>): Promise<string> {
  const retentionMs = await retention();
  if (retentionMs === undefined) return text;
  const date = deletedAt(new Date(), retentionMs).toISOString().slice(0, 10);
  return `${text}\nKept until: ${date} (Temporal deletes a failed workflow ${inDays(retentionMs)} after it fails; retry it before then)`;
}

/** Sends over the account's live session held by this worker; says so when this worker does not hold it. */
async function overHeldSession(live: LiveSessions, accountId: string, chatId: string, text: string, key: string) {
  await heldSession(live, accountId).send(chatId, text, key);
}

/** The live session this worker holds of the account, connected; a non-retryable `sessionMoved` if it holds none. */
function heldSession(live: LiveSessions, accountId: string) {
  const held = live.current(accountId);
  if (!held) {
    throw ApplicationFailure.create({
      type: sessionMoved,
      message: `This worker does not hold the live session of ${accountId} (any more)`,
      nonRetryable: true,
    });
  }
  if (!held.session) throw transientFailure('network', `The session of ${accountId} is connecting on this worker`);
  return held.session;
}

/**
 * One key per scheduled activity, the same for all its attempts: a retry after a lost answer sends nothing new. The
 * run id is part of it because a run continued as new numbers its activities from 1 again.
 */
function sendKey(): string | undefined {
  const { workflowExecution, activityId } = Context.current().info;
  return workflowExecution && `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}`;
}
