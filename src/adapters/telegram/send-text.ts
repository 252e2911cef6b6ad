import { createHash, randomBytes } from 'node:crypto';
import { Api, type TelegramClient } from 'telegram';
import { returnBigInt } from 'telegram/Helpers';

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
): Promise<number> {
  const randomId = randomIdOf(idempotencyKey);
  const peer = await client.getInputEntity(returnBigInt(chatId));
  const answer = await client.invoke(new Api.messages.SendMessage({ peer, message: text, randomId }));
  return sentMessageId(answer, randomId.toString());
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
