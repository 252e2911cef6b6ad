import type { InlineButton, MessageMarkup } from './contracts';

/**
 * The buttons of approval requests and of `/pending`, and what their taps mean: one place for both sides (the owner's
 * outbox puts them on messages, the control bot reads the taps). A tap's data is whatever a client sends, so it is
 * parsed as untrusted input, and a tap only counts from the owner or an admin (src/activities/control-bot-session.ts).
 */

/** Telegram's limit on a button's data. */
const maxDataLength = 64;
const replyPrefix = 'reply:';

export type Tap = { action: 'post' | 'edit' | 'reject'; replyId: string } | { action: 'pending' };

const labels = { post: '✅ Post', edit: '✏️ Edit', reject: '❌ Reject' } as const;

/** `post:alice:1796…`: the reply id without its prefix, so that a long account name still fits in 64 bytes. */
function dataOf(action: keyof typeof labels, replyId: string): string | undefined {
  if (!replyId.startsWith(replyPrefix)) return undefined;
  const data = `${action}:${replyId.slice(replyPrefix.length)}`;
  return /^[\x21-\x7e]+$/.test(data) && data.length <= maxDataLength ? data : undefined;
}

/** Post, Edit and Reject for one reply (numbered in a list); none when its id does not fit in a button's data. */
function row(replyId: string, number?: number): InlineButton[] | undefined {
  const buttons: InlineButton[] = [];
  for (const action of ['post', 'edit', 'reject'] as const) {
    const data = dataOf(action, replyId);
    if (!data) return undefined;
    buttons.push({ text: number === undefined ? labels[action] : `${labels[action]} ${number}`, data });
  }
  return buttons;
}

/** The buttons of one approval request. */
export function approvalButtons(replyId: string): MessageMarkup | undefined {
  const buttons = row(replyId);
  return buttons ? { inline: [buttons] } : undefined;
}

/** The buttons of `/pending`'s list: a row per draft, numbered as the list numbers them. */
export function pendingButtons(replyIds: readonly string[]): MessageMarkup | undefined {
  const rows = replyIds.flatMap((id, i) => {
    const buttons = row(id, i + 1);
    return buttons ? [buttons] : [];
  });
  return rows.length > 0 ? { inline: rows } : undefined;
}

/** Under an announcement of many drafts: one tap lists them with their own buttons. */
export const listButton: MessageMarkup = { inline: [[{ text: '📋 List them', data: 'pending' }]] };

/** What a tap asks for, or undefined for data no button of ours carries. */
export function parseTap(data: string): Tap | undefined {
  if (data === 'pending') return { action: 'pending' };
  const parsed = /^(post|edit|reject):([\x21-\x7e]{1,60})$/.exec(data);
  if (!parsed) return undefined;
  return { action: parsed[1] as 'post' | 'edit' | 'reject', replyId: `${replyPrefix}${parsed[2]!}` };
}

/**
 * The Edit button's question, sent with a forced reply: the owner's answer to it is the text to post. The marker
 * `(edit reply:…)` says which reply; it is not `(reply:…)`, which marks an approval request (answered ok or no).
 */
export function editPrompt(replyId: string): string {
  return `✏️ Send the text to post for ${replyId} as your answer to this message (edit ${replyId}).`;
}

/** The reply an Edit prompt is about, if `text` is one. */
export function editPromptOf(text: string): string | undefined {
  return /\(edit (reply:[^)\s]+)\)/.exec(text)?.[1];
}
