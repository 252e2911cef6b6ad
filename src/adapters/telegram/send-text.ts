import { createHash, randomBytes } from 'node:crypto';
import { Api, errors, type TelegramClient } from 'telegram';
import { returnBigInt } from 'telegram/Helpers';
import type { MessageMarkup } from '../../domain/contracts';

/**
 * messages.sendMessage with a random_id of our choosing. Telegram keeps every random_id an account used with a peer
 * and answers a repeat with the message the first call made, so a send retried with the same key after an answer
 * that never came sends once. GramJS's own sendMessage draws a new random_id each call, and parses markdown, which
 * would change an AI's text: the text goes as it is.
 */
export async function sendText(
  client: TelegramClient,
  chatId: string,
  text: string,
  idempotencyKey?: string,
  markup?: MessageMarkup,
): Promise<number> {
  const randomId = randomIdOf(idempotencyKey);
  const peer = await client.getInputEntity(returnBigInt(chatId));
  const answer = await client.invoke(
    new Api.messages.SendMessage({ peer, message: text, randomId, replyMarkup: replyMarkupOf(markup) }),
  );
  return sentMessageId(answer, randomId.toString());
}

/** Telegram's answers to an edit that changes nothing (a retry of one that went through) and to a message it lacks. */
const unchanged = 'MESSAGE_NOT_MODIFIED';
const gone = new Set(['MESSAGE_ID_INVALID', 'MESSAGE_EDIT_TIME_EXPIRED']);

/**
 * messages.editMessage: the text and the buttons (none without `markup`). True when the message reads so now, also
 * when it already did; false when Telegram has no such message to edit (deleted, or in another chat).
 */
export async function editText(
  client: TelegramClient,
  chatId: string,
  messageId: number,
  text: string,
  markup?: MessageMarkup,
): Promise<boolean> {
  const peer = await client.getInputEntity(returnBigInt(chatId));
  try {
    await client.invoke(
      new Api.messages.EditMessage({ peer, id: messageId, message: text, replyMarkup: replyMarkupOf(markup) }),
    );
    return true;
  } catch (err) {
    const rpcError = err instanceof errors.RPCError ? err.errorMessage : undefined;
    if (rpcError === unchanged) return true;
    if (rpcError && gone.has(rpcError)) return false;
    throw err;
  }
}

/** Answers a tap on a button (messages.setBotCallbackAnswer): the app shows the text for a moment. */
export async function answerCallback(client: TelegramClient, queryId: string, text: string): Promise<void> {
  await client.invoke(
    new Api.messages.SetBotCallbackAnswer({
      queryId: returnBigInt(queryId),
      message: text.slice(0, 200),
      cacheTime: 0,
    }),
  );
}

/** Inline buttons (callback data, UTF-8) or a forced reply, as MTProto carries them. */
function replyMarkupOf(markup: MessageMarkup | undefined): Api.TypeReplyMarkup | undefined {
  if (!markup) return undefined;
  if ('forceReply' in markup) {
    return new Api.ReplyKeyboardForceReply({ singleUse: true, placeholder: markup.forceReply.placeholder });
  }
  return new Api.ReplyInlineMarkup({
    rows: markup.inline.map(
      (buttons) =>
        new Api.KeyboardButtonRow({
          buttons: buttons.map(
            (button) => new Api.KeyboardButtonCallback({ text: button.text, data: Buffer.from(button.data, 'utf8') }),
          ),
        }),
    ),
  });
}

/** The first 8 bytes of the key's SHA-256 as a signed 64-bit integer; a random one without a key. */
function randomIdOf(key: string | undefined) {
  const bytes = key === undefined ? randomBytes(8) : createHash('sha256').update(key).digest();
  return returnBigInt(bytes.readBigInt64BE(0).toString());
}

/**
 * The sent message's id: a private chat's short answer carries it; otherwise the update that maps our random_id to it
 * (an answer may bundle other messages, so no other update is taken for ours).
 */
function sentMessageId(answer: Api.TypeUpdates, randomId: string): number {
  if (answer instanceof Api.UpdateShortSentMessage) return answer.id;
  const updates =
    answer instanceof Api.Updates || answer instanceof Api.UpdatesCombined
      ? answer.updates
      : answer instanceof Api.UpdateShort
        ? [answer.update]
        : [];
  const mapped = updates.find(
    (u): u is Api.UpdateMessageID => u instanceof Api.UpdateMessageID && u.randomId?.toString() === randomId,
  );
  if (mapped) return mapped.id;
  throw new Error(`messages.sendMessage answered ${answer.className} without the id of the message it sent`);
}
