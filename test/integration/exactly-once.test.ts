import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { postTargetTweet, sandboxTweets } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { sandboxWorkers } from '../helpers/workers';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, testClient, uniqueTaskQueue } from '../helpers/temporal';

/**
 * Exactly-once posting with real processes and the real X client against the X simulator: a worker SIGKILLed after
 * X accepted the reply and before anything was recorded leaves one tweet on X, and the reply completes on another.
 */
const launch = sandboxWorkers();
after(closeTestClient);

const startWorker = (taskQueue: string, killAfterPost: boolean) =>
  launch(taskQueue, { KILL_AFTER_POST: killAfterPost ? '1' : '0' });

describe('exactly-once posting', () => {
  test('a worker killed between "posted on X" and "recorded in Convex": one tweet on X, and the reply completes', async () => {
    const taskQueue = uniqueTaskQueue('exactly-once');
    const target = { text: `Will you answer twice? ${Date.now()}`, authorUsername: 'erin' };
    const tweetId = await postTargetTweet(testSandboxPort(), target);

    const doomed = await startWorker(taskQueue, true);
    const client = await testClient();
    const { handle } = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: tweetId, ...target },
      approval: 'auto',
    });
    const { signal } = await doomed.exited;
    assert.equal(signal, 'SIGKILL', doomed.output());
    const repliesOnX = async () =>
      (await sandboxTweets(testSandboxPort())).filter((t) => t.in_reply_to === tweetId && t.authorUsername === 'alice');
    assert.equal((await repliesOnX()).length, 1, 'the post reached X before the worker died');

    // The attempt that died times out (15 s); the next one, on this worker, finds the reply on X instead of posting.
    await startWorker(taskQueue, false);
    const result = await handle.result();
    const replies = await repliesOnX();
    assert.equal(replies.length, 1, 'exactly one reply on X');
    assert.deepEqual([result.status, result.replyTweetId], ['posted', replies[0]?.id]);

    const convex = await sandboxCall<{ replies: Record<string, { replyTweetId: string }> }>(
      { url: `http://127.0.0.1:${testSandboxPort() + 2}` },
      'GET',
      '/_sandbox/state',
    );
    assert.equal(convex.body.replies[`alice:${tweetId}`]?.replyTweetId, replies[0]?.id, 'recorded in Convex');
  });
});
