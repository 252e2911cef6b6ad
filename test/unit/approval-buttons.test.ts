import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  approvalButtons,
  editPrompt,
  editPromptOf,
  listButton,
  parseTap,
  pendingButtons,
} from '../../src/domain/approval-buttons';
import type { OwnerNotice } from '../../src/domain/contracts';
import { nextOwnerMessage } from '../../src/workflows/owner-digest';

const approval = (i: number, extra: Partial<OwnerNotice> = {}): OwnerNotice => ({
  key: `approval-${i}`,
  accountId: 'alice',
  text: `Reply to @bob? (reply:alice:${i})\n\nA draft`,
  kind: 'approval',
  ref: `reply:alice:${i}`,
  ...extra,
});

describe('approval buttons', () => {
  test('a request has Post, Edit and Reject, whose data says which reply; every tap parses back', () => {
    const markup = approvalButtons('reply:alice:1796000000000000001');
    assert.ok(markup && 'inline' in markup);
    assert.deepEqual(
      markup.inline[0]!.map((button) => button.data),
      ['post:alice:1796000000000000001', 'edit:alice:1796000000000000001', 'reject:alice:1796000000000000001'],
    );
    for (const { data } of markup.inline.flat()) {
      assert.deepEqual(parseTap(data), {
        action: data.split(':')[0],
        replyId: 'reply:alice:1796000000000000001',
      });
    }
    assert.deepEqual(parseTap('pending'), { action: 'pending' });
  });

  test('data that no button of ours carries is refused; an id too long for 64 bytes gets no buttons', () => {
    for (const data of ['', 'approve:alice:1', 'post:', 'post:alice 1', `post:${'a'.repeat(61)}`, 'pending ']) {
      assert.equal(parseTap(data), undefined, data);
    }
    assert.equal(approvalButtons(`reply:${'a'.repeat(40)}:1796000000000000001`), undefined);
    assert.equal(approvalButtons('account:alice'), undefined, 'only replies');
  });

  test("/pending's list numbers its rows as the list does", () => {
    const markup = pendingButtons(['reply:alice:1', 'reply:bob:2']);
    assert.ok(markup && 'inline' in markup);
    assert.deepEqual(
      markup.inline.map((row) => row.map((button) => button.text)),
      [
        ['✅ Post 1', '✏️ Edit 1', '❌ Reject 1'],
        ['✅ Post 2', '✏️ Edit 2', '❌ Reject 2'],
      ],
    );
    assert.equal(pendingButtons([]), undefined);
  });

  test("the Edit button's question names its reply, and is not read as an approval request", () => {
    const prompt = editPrompt('reply:alice:7');
    assert.equal(editPromptOf(prompt), 'reply:alice:7');
    assert.doesNotMatch(prompt, /\(reply:/);
    assert.equal(editPromptOf('Reply to @bob? (reply:alice:7)'), undefined);
  });
});

describe("the owner's messages with buttons and edits", () => {
  test('a request alone carries its buttons and names itself; many are announced with a button to list them', () => {
    const one = nextOwnerMessage([approval(1)]);
    assert.equal(one?.request, 'reply:alice:1');
    assert.deepEqual(one?.markup, approvalButtons('reply:alice:1'));
    const many = nextOwnerMessage([1, 2, 3, 4].map((i) => approval(i)));
    assert.match(many?.text ?? '', /^4 drafts wait/);
    assert.deepEqual(many?.markup, listButton);
    assert.equal(many?.request, undefined);
  });

  test('an outcome edits its request in place when the outbox knows its message, else goes as a notice', () => {
    const outcome: OwnerNotice = {
      key: 'outcome-1',
      accountId: 'alice',
      text: 'Posted a reply to tweet 1: words',
      kind: 'notice',
      ref: 'reply:alice:1',
      settles: 'Reply to @bob (reply:alice:1)\n\nwords\n\n✅ Posted: https://x.com/i/web/status/9',
    };
    const other: OwnerNotice = { key: 'n', accountId: 'bob', text: 'Something else', kind: 'notice' };
    const known = new Map([['reply:alice:1', 41]]);
    const edit = nextOwnerMessage([other, outcome], known);
    assert.deepEqual(edit, {
      text: `[alice] ${outcome.settles}`,
      notices: [outcome],
      edit: 41,
    });
    const unknown = nextOwnerMessage([outcome]);
    assert.deepEqual([unknown?.text, unknown?.edit], ['[alice] Posted a reply to tweet 1: words', undefined]);
  });

  test('a new draft after a refusal edits the request to itself, with new buttons', () => {
    const redraft = approval(1, { key: 'approval-1b', settles: 'X refused "…". A new draft:\nReply to @bob? …' });
    const message = nextOwnerMessage([redraft], new Map([['reply:alice:1', 41]]));
    assert.equal(message?.edit, 41);
    assert.equal(message?.request, 'reply:alice:1');
    assert.deepEqual(message?.markup, approvalButtons('reply:alice:1'));
    assert.match(message?.text ?? '', /^\[alice\] X refused/);
  });

  test("the control bot's answers keep their own buttons or forced reply", () => {
    const answer: OwnerNotice = {
      key: 'a',
      accountId: 'control-bot',
      text: editPrompt('reply:alice:1'),
      kind: 'answer',
      markup: { forceReply: { placeholder: 'The text to post' } },
    };
    assert.deepEqual(nextOwnerMessage([approval(2), answer])?.markup, answer.markup);
  });
});
