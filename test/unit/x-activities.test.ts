import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createXActivities } from '../../src/activities/x';
import type { XPort } from '../../src/ports/x';

/** postReply reads X for an earlier post of ours only when one may exist: a retried attempt, or a later run. */
function recordingX(existing?: { id: string; text: string }) {
  const calls: string[] = [];
  const x = {
    findReply: async () => {
      calls.push('findReply');
      return existing ?? null;
    },
    postReply: async () => {
      calls.push('postReply');
      return { id: 'posted-1' };
    },
  } as unknown as XPort;
  return { calls, activities: createXActivities(x) };
}

const reply = { accountId: 'alice', inReplyToTweetId: '1', text: 'hi' };
type PostInput = typeof reply & { earlierMayHavePosted?: boolean };

/** One postReply attempt, numbered `attempt`, in the SDK's activity test environment. */
function post(activities: ReturnType<typeof createXActivities>, attempt: number, input: PostInput) {
  const attemptOf = (request: PostInput) => activities.postReply(request);
  return new MockActivityEnvironment({ attempt }).run<[PostInput], { replyTweetId: string }, typeof attemptOf>(
    attemptOf,
    input,
  );
}

describe('postReply and X quota', () => {
  test('the first attempt of a first run posts without reading X first', async () => {
    const { calls, activities } = recordingX();
    await post(activities, 1, { ...reply, earlierMayHavePosted: false });
    assert.deepEqual(calls, ['postReply']);
  });

  test('a retried attempt reads first, and takes the post it finds', async () => {
    const { calls, activities } = recordingX({ id: 'earlier', text: 'hi' });
    const result = await post(activities, 2, { ...reply, earlierMayHavePosted: false });
    assert.deepEqual([calls, result.replyTweetId], [['findReply'], 'earlier']);
  });

  test('a run that may follow one that posted (or an input from before the flag) reads first', async () => {
    for (const input of [{ ...reply, earlierMayHavePosted: true }, reply]) {
      const { calls, activities } = recordingX();
      await post(activities, 1, input);
      assert.deepEqual(calls, ['findReply', 'postReply']);
    }
  });
});
