import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OwnerNotice } from '../../src/domain/contracts';
import { nextOwnerMessage } from '../../src/workflows/owner-digest';
import { boundedCarry } from '../../src/workflows/owner-outbox-carry';

const long = 'words '.repeat(300);
const notice = (i: number, extra: Partial<OwnerNotice> = {}): OwnerNotice => ({
  key: `key-${i}`,
  accountId: i % 2 ? 'alice' : 'bob',
  text: `Posted a reply to tweet ${i}\n${long}`,
  kind: 'notice',
  ...extra,
});
const approval = (i: number) =>
  notice(i, { kind: 'approval', ref: `reply:alice:${i}`, text: `Reply to @bob? (reply:alice:${i})\n\n${long}` });
const told = (notices: OwnerNotice[]) => notices.reduce((n, x) => n + (x.folded ?? 1), 0);
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('what the owner outbox carries to its next run', () => {
  test('a short backlog goes across whole', () => {
    const pending = [notice(1), approval(2), notice(3)];
    assert.deepEqual(boundedCarry(pending), pending);
  });

  test('10,000 long notices and drafts fit one payload well under 512 KB, oldest first, none uncounted', () => {
    const pending = Array.from({ length: 10_000 }, (_, i) => (i % 3 ? notice(i) : approval(i)));
    assert.ok(bytes(pending) > 10 * 1024 * 1024, 'the backlog itself is over 10 MB');
    const carried = boundedCarry(pending);
    assert.ok(bytes(carried) < 512 * 1024, `${bytes(carried)} bytes`);
    assert.equal(told(carried), 10_000);
    const listed = carried.filter((n) => n.folded === undefined);
    assert.deepEqual(
      listed.map((n) => n.key),
      pending.slice(0, listed.length).map((n) => n.key),
      'the oldest listed, in order',
    );
    assert.equal(listed[0]!.text, pending[0]!.text, 'the first goes whole');
    const compacted = listed.at(-1)!;
    assert.ok(compacted.text.length <= 160, 'the later ones as their digest line');
    assert.match(
      listed.find((n) => n.kind === 'notice' && n.text !== pending[Number(n.key.slice(4))]!.text)!.text,
      /^Posted a reply to tweet \d+$/,
    );
    const folded = carried.filter((n) => n.folded !== undefined);
    assert.deepEqual(folded.map((n) => n.key).sort(), [
      'folded:alice:approval',
      'folded:alice:notice',
      'folded:bob:approval',
      'folded:bob:notice',
    ]);
    for (const n of folded)
      assert.match(n.text, new RegExp(`^${n.folded} more (drafts wait for your approval|updates)`));
  });

  test('carried again, the counts add up and the control bot answers stay whole', () => {
    const answer = notice(0, { kind: 'answer', text: `Pending: ${long}` });
    const first = boundedCarry([...Array.from({ length: 3000 }, (_, i) => approval(i + 1)), answer]);
    const again = boundedCarry([...first, ...Array.from({ length: 500 }, (_, i) => approval(5000 + i))]);
    assert.equal(told(again), 3501);
    assert.ok(again.some((n) => n.kind === 'answer' && n.text === answer.text));
    assert.equal(again.filter((n) => n.key === 'folded:alice:approval').length, 1, 'one count per account and kind');
  });

  test("an outcome's edit counts toward what goes whole; compacted, it goes as its line and edits nothing", () => {
    const outcomes = Array.from({ length: 10_000 }, (_, i) =>
      notice(i, { ref: `reply:alice:${i}`, text: `Posted a reply to tweet ${i}`, settles: `Reply to @bob\n\n${long}` }),
    );
    const carried = boundedCarry(outcomes);
    assert.ok(bytes(carried) < 512 * 1024, `${bytes(carried)} bytes`);
    const whole = carried.filter((n) => n.settles !== undefined);
    assert.ok(whole.length > 0 && whole.length < 64, `${whole.length} carried with their edit`);
    const lines = carried.filter((n) => n.folded === undefined && n.settles === undefined);
    assert.ok(lines.length > 0);
    assert.equal(told(carried), 10_000);
  });

  test('a compacted draft read alone names its reply without inviting an answer to it; a count goes into a digest', () => {
    const carried = boundedCarry(Array.from({ length: 2000 }, (_, i) => approval(i)));
    const compacted = carried.filter((n) => n.folded === undefined).at(-1)!;
    assert.equal(compacted.kind, 'approval');
    assert.match(nextOwnerMessage([compacted])!.text, /reply:alice:\d+\. \/pending shows it$/);
    assert.doesNotMatch(nextOwnerMessage([compacted])!.text, /\(reply:/);
    const counts = carried.filter((n) => n.folded !== undefined);
    assert.match(
      nextOwnerMessage([...counts, notice(1)])!.text,
      /^3 updates:\n• \[bob\] 500 more drafts wait for your approval \(too many to list here\): \/pending lists them\n/,
    );
  });
});
