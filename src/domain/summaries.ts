import type { ReplyInput, SyncInput } from './contracts';

/**
 * What the Temporal Web UI shows beside a workflow's id (its static summary, set at start) and on its page (current
 * details, activity and timer summaries): one line a person reads instead of `reply:alice:1796…`. They are payloads
 * like any other, so the codec encrypts them and the Web UI shows them through the codec server.
 */
export const workflowSummaries = {
  reply: ({ accountId, tweet, approval }: ReplyInput) =>
    `${accountId} → @${tweet.authorUsername ?? 'unknown'}: "${firstWords(tweet.text)}"${approval === 'owner' ? ' (owner approves)' : ''}`,
  session: (accountId: string) => `Telegram session of ${accountId}`,
  sync: ({ accountId, message }: SyncInput) =>
    `Sync ${accountId}'s message ${message.messageId} in chat ${message.chatId} to Convex`,
  login: (accountId: string) => `Telegram login of ${accountId}`,
  chat: (accountId: string, chatId: string) => `AI chat of ${accountId} in chat ${chatId}`,
  watch: (accountId: string, usernames: readonly string[]) =>
    `${accountId} watches ${usernames.map((name) => `@${name}`).join(', ')} on X`,
  controlBot: () => "The control bot: the owner's commands on Telegram",
  ownerOutbox: () => "The owner's outbox: every message into the owner's chat, at Telegram's pace",
  serviceHealth: () => "Services' health: outages told to the owner",
  xToken: (accountId: string) => `X token refresher of ${accountId}`,
};

/** The first words of a text, on one line, for a summary: enough to recognise it, never the whole. */
export function firstWords(text: string, length = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= length) return line;
  const cut = line.slice(0, length);
  const space = cut.lastIndexOf(' ');
  return `${space > length / 2 ? cut.slice(0, space) : cut}…`;
}

/** A moment as the Web UI's reader wants it in a summary: the UTC date and minute. */
export function untilText(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
