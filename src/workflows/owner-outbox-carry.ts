import type { OwnerNotice } from '../domain/contracts';
import { clip, lineLength } from './owner-digest';

/**
 * What a continue-as-new of the owner's outbox carries, in bytes of notice text kept whole: the oldest notices, which
 * go next and may go alone. The input of a run is one payload, which Temporal refuses beyond 2 MB (and gRPC beyond
 * 4 MB); a backlog of thousands of drafts carried whole did not fit, and the outbox wedged.
 */
const wholeBytes = 64 * 1024;
/** Notices carried one by one (whole or as their digest line); those beyond are counted per account and kind. */
const listed = 1000;

/**
 * The notices waiting, bounded for the next run: the oldest whole, the next as the line a digest gives them anyway
 * (what many waiting notices go as), and the rest counted in one notice per account and kind, which says how many and
 * where to see them. Answers (the control bot's, which the owner waits for) are always kept whole.
 */
export function boundedCarry(pending: readonly OwnerNotice[]): OwnerNotice[] {
  const carried: OwnerNotice[] = [];
  const counted = new Map<string, OwnerNotice & { folded: number }>();
  let bytes = 0;
  for (const notice of pending) {
    const size = notice.text.length + (notice.settles?.length ?? 0);
    if (notice.folded !== undefined) {
      count(notice.accountId, notice.foldedKind ?? 'notice', notice.folded);
    } else if (notice.kind === 'answer' || (bytes + size <= wholeBytes && carried.length < listed)) {
      bytes += size;
      carried.push(notice);
    } else if (carried.length < listed) {
      // As a digest line it edits no request: the request keeps its buttons, and a tap there is told the outcome.
      const line: OwnerNotice = { ...notice, text: compact(notice) };
      delete line.settles;
      delete line.markup;
      carried.push(line);
    } else {
      count(notice.accountId, notice.kind, 1);
    }
  }
  return [...carried, ...counted.values()];

  function count(accountId: string, kind: OwnerNotice['kind'], n: number) {
    const key = `folded:${accountId}:${kind}`;
    const folded = (counted.get(key)?.folded ?? 0) + n;
    counted.set(key, { key, accountId, kind: 'notice', foldedKind: kind, folded, text: foldedText(kind, folded) });
  }
}

/** A notice as its first line, which is all a digest shows of it; an approval as its reference, which `/pending` expands into the draft. */
function compact(notice: OwnerNotice): string {
  if (notice.kind !== 'approval') {
    return clip(notice.text.split('\n')[0] ?? '', lineLength);
  }
  return `A draft waits for your approval: ${notice.ref ?? notice.key}. /pending shows it`;
}

function foldedText(kind: OwnerNotice['kind'], n: number): string {
  return kind === 'approval'
    ? `${n} more drafts wait for your approval (too many to list here): /pending lists them`
    : `${n} more updates (too many to list here): \`steadfast reply list\` and \`steadfast failures list\` show each`;
}
