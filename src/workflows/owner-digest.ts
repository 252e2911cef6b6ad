import { approvalButtons, listButton } from '../domain/approval-buttons';
import type { MessageMarkup, OwnerNotice } from '../domain/contracts';

/** Telegram's limit for one message. */
const maxLength = 4096;
/** One notice's line in a digest: enough for what it is about (a tweet id) and the start of what it says. */
export const lineLength = 160;
/** Approval requests go one to a message while at most this many wait (the owner answers each); more are announced. */
export const approvalsOneByOne = 3;

/** The next message into the owner's chat, and the notices it carries (they leave the queue with it). */
export interface OwnerMessage {
  text: string;
  notices: OwnerNotice[];
  /** Buttons (an approval request's Post, Edit, Reject; an announcement's List them) or a forced reply. */
  markup?: MessageMarkup;
  /** The message to edit in place instead of sending a new one: the approval request this message settles. */
  edit?: number;
  /** The reply this message is the approval request of, so that its outcome can edit it later. */
  request?: string;
}

/**
 * What to send next of the notices waiting, oldest first, the control bot's answers before all. A notice alone goes whole. Notices that piled up go as one
 * digest, a line each (as many as one message holds; the rest wait for the next). An approval request goes alone
 * while a few wait; when more wait, they are announced together with their ids, and `/pending` lists their drafts.
 */
export function nextOwnerMessage(
  pending: readonly OwnerNotice[],
  /** The message each recent approval request went out as, by reply id: what a notice that settles one edits. */
  requests: ReadonlyMap<string, number> = new Map(),
): OwnerMessage | undefined {
  const answer = pending.find((notice) => notice.kind === 'answer');
  if (answer) return { text: clip(answer.text, maxLength), notices: [answer], ...markupOf(answer.markup) };
  const settling = pending.find((notice) => notice.settles !== undefined && requests.has(notice.ref ?? ''));
  if (settling) return settled(settling, requests.get(settling.ref!)!);
  const first = pending[0];
  if (!first) return undefined;
  const sameKind = pending.filter((notice) => notice.kind === first.kind);
  if (first.kind === 'approval') {
    return sameKind.length <= approvalsOneByOne ? alone(first) : announcement(sameKind);
  }
  return sameKind.length === 1 ? alone(first) : digest(sameKind);
}

const whole = (notice: OwnerNotice) => `[${notice.accountId}] ${notice.text}`;
export const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

const markupOf = (markup: MessageMarkup | undefined) => (markup ? { markup } : {});

function alone(notice: OwnerNotice): OwnerMessage {
  const message = { text: clip(whole(notice), maxLength), notices: [notice] };
  if (notice.kind !== 'approval' || !notice.ref) return { ...message, ...markupOf(notice.markup) };
  return { ...message, request: notice.ref, ...markupOf(approvalButtons(notice.ref)) };
}

/**
 * A reply's approval request edited in place (src/domain/contracts.ts, `settles`): to its outcome, buttons gone, or to
 * its new draft with new buttons. The chat reads as a ledger: one message per reply, saying what became of it.
 */
function settled(notice: OwnerNotice, messageId: number): OwnerMessage {
  const message = { text: clip(whole({ ...notice, text: notice.settles! }), maxLength), notices: [notice] };
  if (notice.kind !== 'approval') return { ...message, edit: messageId };
  return { ...message, edit: messageId, request: notice.ref!, ...markupOf(approvalButtons(notice.ref!)) };
}

function digest(notices: OwnerNotice[]): OwnerMessage {
  const lines = notices.map((notice) => {
    const first = whole(notice).split('\n')[0] ?? '';
    // The workflow it is about (for /retry), when its first line does not say; never as "(reply:…)", which an answer
    // to the digest would be read as answering.
    const ref = notice.ref && !first.includes(notice.ref) ? ` — ${notice.ref}` : '';
    return `• ${clip(first, lineLength - ref.length)}${ref}`;
  });
  return fill(notices, lines, (count) => `${count} updates:`);
}

function announcement(approvals: OwnerNotice[]): OwnerMessage {
  // No "(reply:…)" here: an answer to this message must not read as an answer to one of them.
  const lines = approvals.map((notice) => `• ${notice.ref ?? notice.key} (${notice.accountId})`);
  const message = fill(
    approvals,
    lines,
    (count) =>
      `${count} drafts wait for your approval. /pending lists them with their drafts; answer each with /approve, /edit or /reject <id>:`,
  );
  return { ...message, markup: listButton };
}

/** As many lines as fit in one message under the header; the notices of the others stay for the next message. */
function fill(notices: OwnerNotice[], lines: string[], header: (count: number) => string): OwnerMessage {
  let length = header(notices.length).length;
  let count = 0;
  while (count < lines.length && length + 1 + lines[count]!.length <= maxLength) {
    length += 1 + lines[count]!.length;
    count += 1;
  }
  return { text: [header(count), ...lines.slice(0, count)].join('\n'), notices: notices.slice(0, count) };
}
