import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { workflowIds } from '../../src/domain/contracts';
import { startTelegramSimulator, type SimulatedMessage } from '../../src/sandbox/telegram/telegram-simulator';
import { sessionStatusQuery, type SessionState } from '../../src/workflows/messages';
import { sandboxCall, testSandboxPort } from './sandbox';
import { eventually } from './temporal';

/** The test sandbox's Telegram control API and the Convex documents its syncs wrote. */
export const telegramControl = () => ({ url: `http://127.0.0.1:${testSandboxPort() + 3}` });
const convexControl = () => ({ url: `http://127.0.0.1:${testSandboxPort() + 2}` });

/** A message someone sends the account (in `chatId`), as Telegram delivers it; its message id. */
export async function injectMessage(accountId: string, chatId: string, text: string): Promise<number> {
  const { body } = await sandboxCall<{ messageId: number }>(telegramControl(), 'POST', '/_sandbox/telegram/incoming', {
    accountId,
    chatId,
    text,
  });
  return body.messageId;
}

/** The texts the Convex simulator holds for one chat of the account, one per stored document. */
export async function storedTexts(accountId: string, chatId: string): Promise<string[]> {
  const { body } = await sandboxCall<{ messages: Record<string, { text: string }> }>(
    convexControl(),
    'GET',
    '/_sandbox/state',
  );
  return Object.entries(body.messages)
    .filter(([key]) => key.startsWith(`${accountId}:${chatId}:`))
    .map(([, doc]) => doc.text);
}

/** What the Telegram simulator holds: its accounts' connections, every message, the login codes it "sent". */
async function telegramState() {
  const { body } = await sandboxCall<{
    accounts: { accountId: string; connections: number }[];
    messages: SimulatedMessage[];
    loginCodes: { phone: string; code: string }[];
  }>(telegramControl(), 'GET', '/_sandbox/state');
  return body;
}

/** How many MTProto connections the Telegram simulator has open for the account. */
export async function telegramConnections(accountId: string): Promise<number | undefined> {
  return (await telegramState()).accounts.find((account) => account.accountId === accountId)?.connections;
}

/** What the account sent on Telegram, oldest first (the control bot's account is `control-bot`). */
export async function sentMessages(accountId: string): Promise<SimulatedMessage[]> {
  return (await telegramState()).messages.filter((m) => m.accountId === accountId && m.out);
}

/**
 * Taps a button under one of the control bot's messages as `senderId` (by default the chat's user), as the Telegram
 * app does: the simulator's status (400 with Telegram's error for a tap Telegram would not allow) and the bot's answer.
 */
export async function tapButton(
  message: Pick<SimulatedMessage, 'chatId' | 'id'>,
  data: string,
  senderId?: string,
): Promise<{ status: number; body: { answered?: boolean; message?: string; error?: string } }> {
  return await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/callback', {
    accountId: 'control-bot',
    chatId: message.chatId,
    messageId: message.id,
    data,
    ...(senderId ? { senderId } : {}),
  });
}

/** The data of the button labelled `label` (its start) under a message, for a tap. */
export function buttonData(message: SimulatedMessage, label: string): string {
  const buttons = message.markup && 'inline' in message.markup ? message.markup.inline.flat() : [];
  const button = buttons.find((b) => b.text.startsWith(label));
  if (!button) throw new Error(`No button ${label} under message ${message.id}: ${JSON.stringify(message.markup)}`);
  return button.data;
}

/**
 * Writes to the control bot as `senderId` (the owner, 1000, by default; optionally as a reply to one of its
 * messages) and returns the bot's answer: the first message it sent into that chat after this one that is not a
 * notice about an account ("[alice] …", or a digest of them).
 */
export async function tellTheBot(text: string, options: { senderId?: string; replyTo?: number } = {}): Promise<string> {
  const senderId = options.senderId ?? '1000';
  const { body } = await sandboxCall<{ messageId: number }>(telegramControl(), 'POST', '/_sandbox/telegram/incoming', {
    accountId: 'control-bot',
    chatId: senderId,
    senderId,
    text,
    replyTo: options.replyTo,
  });
  let answer: SimulatedMessage | undefined;
  await eventually(`the bot's answer to ${text}`, async () => {
    answer = (await sentMessages('control-bot')).find(
      (m) => m.chatId === senderId && m.id > body.messageId && !/^(\[|\d+ updates:|\d+ drafts wait)/.test(m.text),
    );
    return answer !== undefined;
  });
  return answer?.text ?? '';
}

/**
 * Whether the control bot listens: its session activity's current attempt has heartbeated, which it does only once
 * the session is open and its point known. A connection alone is not enough: the bot's first run starts from the
 * point Telegram gives when it asks, and a message sent before that is history, not a command.
 */
export async function controlBotListening(client: Client): Promise<boolean> {
  const activity = (await client.workflow.getHandle(workflowIds.controlBot()).describe()).raw.pendingActivities?.[0];
  if (!activity?.lastStartedTime || !activity.lastHeartbeatTime) return false;
  return tsToMs(activity.lastHeartbeatTime) >= tsToMs(activity.lastStartedTime);
}

export async function sessionState(handle: WorkflowHandle): Promise<SessionState> {
  return (await handle.query(sessionStatusQuery)).state;
}

/** A chat id of its own for a test, so the documents it counts are its own. */
export const uniqueChatId = () => String(200_000 + Math.floor(Math.random() * 700_000));

/** Everything the control bot sent the owner (user 1000), oldest first: notices, digests, answers. */
export async function textsToOwner(): Promise<string[]> {
  return (await sentMessages('control-bot')).filter((m) => m.chatId === '1000').map((m) => m.text);
}

/**
 * What the control bot told the owner (user 1000) about the account on Telegram: alerts and notices, sent alone or
 * as a line of a digest (the owner's outbox merges what piles up).
 */
export async function messagesToOwner(accountId: string): Promise<string[]> {
  const prefix = `[${accountId}] `;
  return (await textsToOwner()).flatMap((text) =>
    text.startsWith(prefix)
      ? [text.slice(prefix.length)]
      : text
          .split('\n')
          .filter((line) => line.startsWith(`• ${prefix}`))
          .map((line) => line.slice(2 + prefix.length)),
  );
}

/** The latest login code Telegram "sent to the phone" of that number. */
export async function latestLoginCode(phone: string): Promise<string | undefined> {
  return (await telegramState()).loginCodes.filter((c) => c.phone === phone).at(-1)?.code;
}

/** A session made by another Telegram simulator, since stopped: its auth key means nothing to any other one. */
export async function sessionOfAnotherTelegram(): Promise<string> {
  const other = await startTelegramSimulator();
  try {
    return (await sandboxCall<{ session: string }>(other, 'POST', '/_sandbox/telegram/sessions', {})).body.session;
  } finally {
    await other.close();
  }
}
