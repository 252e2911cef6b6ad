import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { postTargetTweet, sandboxTweets } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { approveSignal, statusQuery } from '../../src/workflows/messages';
import { messagesToOwner } from '../helpers/session';
import { testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, eventually, testClient, uniqueTaskQueue, waitForStage } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * X refuses a text the account already posted, whatever tweet it answers. Replies to tweets that say the same thing
 * get the same first draft from the model; each refusal asks the model for other words, up to three drafts.
 */
const launch = sandboxWorkers();
after(closeTestClient);

const repliesOf = async (accountId: string, tweetIds: Set<string>) =>
  (await sandboxTweets(testSandboxPort())).filter(
    (t) => t.authorUsername === accountId && t.in_reply_to !== undefined && tweetIds.has(t.in_reply_to),
  );

describe('duplicate content on X', () => {
  test('50 tweets with the same text: 50 replies posted, 50 different texts, no dead letter', async (t) => {
    const taskQueue = uniqueTaskQueue('duplicates');
    await launch(taskQueue);
    const client = await testClient();
    const target = { text: `The same question, word for word ${randomUUID()}`, authorUsername: 'erin' };
    const tweetIds = await Promise.all(Array.from({ length: 50 }, () => postTargetTweet(testSandboxPort(), target)));
    const started = Date.now();
    const handles = await Promise.all(
      tweetIds.map(
        async (id) =>
          (await startReply(client, taskQueue, { accountId: 'bob', tweet: { id, ...target }, approval: 'auto' }))
            .handle,
      ),
    );
    const results = await Promise.all(handles.map((handle) => handle.result()));
    t.diagnostic(`50 replies to one text posted in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => 'posted'),
    );
    const replies = await repliesOf('bob', new Set(tweetIds));
    assert.equal(replies.length, 50, 'one reply on X per tweet');
    assert.equal(new Set(replies.map((r) => r.in_reply_to)).size, 50, 'each tweet answered once');
    assert.equal(new Set(replies.map((r) => r.text)).size, 50, 'no two replies with the same text');
    assert.deepEqual(
      results.map((r) => r.text).sort(),
      replies.map((r) => r.text).sort(),
      'each result names the text that is on X',
    );
  });

  test('an owner-approved reply X refuses goes back to the owner with a new draft; three refusals are a duplicate-content dead letter', async () => {
    const taskQueue = uniqueTaskQueue('duplicates');
    await launch(taskQueue);
    const client = await testClient();
    const posted = `Already said this once ${randomUUID()}`;
    const first = await postTargetTweet(testSandboxPort(), { text: 'First question', authorUsername: 'erin' });
    const earlier = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: first, text: 'First question', authorUsername: 'erin' },
      approval: 'owner',
    });
    await waitForStage(earlier.handle, 'awaiting-approval');
    await earlier.handle.signal(approveSignal, { text: posted });
    assert.equal((await earlier.handle.result()).status, 'posted');

    // The owner insists on a text the account already posted: each refusal brings a new draft to the owner.
    const second = await postTargetTweet(testSandboxPort(), { text: 'Second question', authorUsername: 'erin' });
    const { handle } = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: second, text: 'Second question', authorUsername: 'erin' },
      approval: 'owner',
    });
    const { workflowId } = handle;
    for (let draft = 1; draft <= 3; draft += 1) {
      await eventually(`draft ${draft} awaiting approval`, async () => {
        const status = await handle.query(statusQuery);
        const refusedSoFar = draft === 1 || status.lastError?.includes(`draft ${draft - 1} of 3`) === true;
        return status.stage === 'awaiting-approval' && refusedSoFar;
      });
      if (draft > 1) {
        // The one request message is edited in place to the new draft (with new buttons): no second request.
        const { draft: newDraft } = await handle.query(statusQuery);
        const asked = async () => (await messagesToOwner('alice')).filter((text) => text.includes(`(${workflowId})`));
        await eventually(`request ${draft}`, async () =>
          (await asked()).some(
            (text) => text.includes(`X refused "${posted}" as a duplicate`) && text.includes(newDraft!),
          ),
        );
        assert.equal((await asked()).length, 1, 'one message for the reply');
        assert.match((await asked())[0]!, /A new draft:/);
      }
      await handle.signal(approveSignal, { text: posted });
    }

    const failure = await handle.result().then(
      () => assert.fail('three refused drafts are a dead letter'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'duplicate-content');
    assert.match(failure.cause.message, /refused all 3 drafts/);
    assert.equal((await repliesOf('alice', new Set([second]))).length, 0, 'nothing posted to that tweet');
  });
});
