import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { postTargetTweet, sandboxTweets } from '../../src/sandbox/sandbox';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds, type ReplyInput } from '../../src/domain/contracts';
import { approveDraftUpdate, approveSignal, statusQuery } from '../../src/workflows/messages';
import { sandboxActivities, testSandboxPort } from '../helpers/sandbox';
import {
  closeTestClient,
  testAddress,
  testClient,
  testNamespace,
  uniqueTaskQueue,
  waitForStage,
  withWorker,
} from '../helpers/temporal';

/**
 * Someone who reaches Temporal but lacks the encryption key: a plain @temporalio/client, no codec. Whatever it sends
 * arrives as payloads that are not encrypted, which the workers refuse: it cannot start a reply that posts, nor
 * approve a draft with its own text; the owner's own approval still posts the real draft.
 */
after(closeTestClient);

const taskQueue = uniqueTaskQueue('outsider');
let outsider: Client | undefined;
after(async () => outsider?.connection.close());

async function tweet(text: string): Promise<ReplyInput['tweet']> {
  const id = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text });
  return { id, text, authorUsername: 'bob' };
}

describe('an outsider without the encryption key', () => {
  test('cannot start a reply that posts, nor approve a draft with its own text', async () => {
    const { activities, ownQueue } = await sandboxActivities(taskQueue);
    const client = await testClient();
    outsider = new Client({
      connection: await Connection.connect({ address: testAddress() }),
      namespace: testNamespace(),
    });
    await withWorker({ taskQueue, activities }, () =>
      withWorker(ownQueue, async () => {
        // A reply of its own, auto-approved: the workflow refuses its input and fails; nothing reaches X.
        const target = await tweet(`Say something for me ${Date.now()}`);
        const started = await outsider!.workflow.start(replyWorkflowV2, {
          taskQueue,
          workflowId: workflowIds.reply('bob', target.id),
          args: [{ accountId: 'bob', tweet: target, approval: 'auto', firstRun: true }],
        });
        // The outsider cannot even read the outcome: its failure is encrypted too.
        await assert.rejects(started.result(), /Unknown encoding: binary\/encrypted/);
        // The owner, with the key, reads it: refused, a failure of the invalid-input category.
        const failure = await client.workflow
          .getHandle(started.workflowId)
          .result()
          .then(
            () => assert.fail('the outsider’s reply ran'),
            (err: unknown) => err,
          );
        assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure);
        assert.equal(failure.cause.type, 'invalid-input');
        const why = failure.cause.message;
        assert.match(String(why), /the workflow’s input: a payload that is not encrypted .* was refused/);
        assert.equal(
          (await sandboxTweets(testSandboxPort())).filter((t) => t.in_reply_to === target.id).length,
          0,
          'nothing posted',
        );

        // A reply of the owner's, waiting for approval: the outsider's Update with its own text is refused in the
        // validator, and its signal dropped; the reply goes on waiting, and the owner's approval posts the draft.
        const waiting = await tweet(`Does the owner decide? ${Date.now()}`);
        const reply = await client.workflow.start(replyWorkflowV2, {
          taskQueue,
          workflowId: workflowIds.reply('alice', waiting.id),
          args: [{ accountId: 'alice', tweet: waiting, approval: 'owner', firstRun: true }],
        });
        await waitForStage(reply, 'awaiting-approval');
        const { draft } = await reply.query(statusQuery);
        const intruder = outsider!.workflow.getHandle(reply.workflowId);
        // Refused in the validator: the outsider learns nothing (the refusal is encrypted too), and the history has no
        // accepted Update.
        await assert.rejects(
          intruder.executeUpdate(approveDraftUpdate, { args: [{ text: 'Posted by a stranger' }] }),
          /Unknown encoding: binary\/encrypted/,
        );
        const events = (await reply.fetchHistory()).events ?? [];
        assert.ok(!events.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes), 'no Update taken');
        assert.ok(!events.some((event) => event.workflowTaskFailedEventAttributes), 'refused, not a failing task');
        await intruder.signal(approveSignal, { text: 'Posted by a stranger, by signal' });
        assert.equal((await reply.query(statusQuery)).stage, 'awaiting-approval', 'still waiting for its owner');
        await reply.executeUpdate(approveDraftUpdate, { args: [{}] });
        const result = await reply.result();
        assert.deepEqual([result.status, result.text], ['posted', draft]);
        const posted = (await sandboxTweets(testSandboxPort())).filter((t) => t.in_reply_to === waiting.id);
        assert.deepEqual(
          posted.map((t) => t.text),
          [draft],
          'the real draft, once',
        );
        // The signal left its mark in the history, and nothing else: no stranger's text anywhere in the result.
        assert.ok(!JSON.stringify(result).includes('stranger'));
      }),
    );
  });
});
