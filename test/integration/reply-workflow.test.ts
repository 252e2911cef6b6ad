import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ReplyActivities } from '../../src/activities';
import { DecisionRefused, decideReply } from '../../src/temporal/decide-reply';
import { startReply } from '../../src/temporal/start-reply';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds, type ReplyInput } from '../../src/domain/contracts';
import { approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import {
  closeTestClient,
  decidedAfter,
  eventually,
  scheduledActivity,
  testClient,
  uniqueId,
  uniqueTaskQueue,
  waitForStage,
  withWorker,
} from '../helpers/temporal';

/** Activities that record each call (name and attempt) and answer like the services would. */
function recordingActivities(overrides: Partial<Record<keyof ReplyActivities, (attempt: number) => void>> = {}) {
  const calls: { name: keyof ReplyActivities; attempt: number; input: unknown }[] = [];
  const record = (name: keyof ReplyActivities, input: unknown) => {
    const attempt = Context.current().info.attempt;
    calls.push({ name, attempt, input });
    overrides[name]?.(attempt);
  };
  const activities: ReplyActivities = {
    async generateReply(input) {
      record('generateReply', input);
      return { text: `draft for ${input.tweet.id}`, attempt: Context.current().info.attempt };
    },
    async notifyOwner(input) {
      record('notifyOwner', input);
    },
    async postReply(input) {
      record('postReply', input);
      return { replyTweetId: `reply-to-${input.inReplyToTweetId}`, attempt: Context.current().info.attempt };
    },
    async recordReply(input) {
      record('recordReply', input);
    },
  };
  return { activities, calls, names: () => calls.map((call) => call.name) };
}

function replyInput(approval: ReplyInput['approval'], extra: Partial<ReplyInput> = {}): ReplyInput {
  return {
    accountId: 'alice',
    tweet: { id: uniqueId('tweet'), text: 'Is Temporal durable?', authorUsername: 'bob' },
    approval,
    ...extra,
  };
}

after(closeTestClient);

/** How an auto reply over `activities` fails: it must fail. */
async function autoReplyFailure(taskQueue: string, activities: ReplyActivities): Promise<unknown> {
  const client = await testClient();
  return await withWorker({ taskQueue, activities }, () =>
    client.workflow
      .execute(replyWorkflowV2, { taskQueue, workflowId: uniqueId('reply'), args: [replyInput('auto')] })
      .then(
        () => assert.fail('the workflow should have failed'),
        (err: unknown) => err,
      ),
  );
}

/** Telegram's answer when the owner blocked the bot: no retry can deliver the notice. */
const refuseNotice = () => {
  throw ApplicationFailure.nonRetryable('Telegram answered 403 CHAT_WRITE_FORBIDDEN', 'permission');
};

describe('replyWorkflowV2 on a real dev server', () => {
  test('auto approval: drafts, posts, records and reports', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names, calls } = recordingActivities();
    const input = replyInput('auto');
    const result = await withWorker({ taskQueue, activities }, () =>
      client.workflow.execute(replyWorkflowV2, {
        taskQueue,
        workflowId: workflowIds.reply(input.accountId, input.tweet.id),
        args: [input],
      }),
    );
    assert.deepEqual(result, {
      status: 'posted',
      replyTweetId: `reply-to-${input.tweet.id}`,
      text: `draft for ${input.tweet.id}`,
    });
    assert.deepEqual(names(), ['generateReply', 'postReply', 'recordReply', 'notifyOwner']);
    assert.deepEqual(calls[2]?.input, {
      accountId: 'alice',
      tweetId: input.tweet.id,
      replyTweetId: `reply-to-${input.tweet.id}`,
      text: `draft for ${input.tweet.id}`,
      workflowId: workflowIds.reply('alice', input.tweet.id),
    });
  });

  test('owner approval with an edit posts the edited text', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names, calls } = recordingActivities();
    const input = replyInput('owner');
    const result = await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [input],
      });
      await waitForStage(handle, 'awaiting-approval');
      assert.equal((await handle.query(statusQuery)).draft, `draft for ${input.tweet.id}`);
      await handle.signal(approveSignal, { text: 'edited by the owner' });
      return handle.result();
    });
    assert.equal(result.status, 'posted');
    assert.equal(result.text, 'edited by the owner');
    assert.deepEqual(names(), ['generateReply', 'notifyOwner', 'postReply', 'recordReply', 'notifyOwner']);
    assert.deepEqual(calls[2]?.input, {
      accountId: 'alice',
      inReplyToTweetId: input.tweet.id,
      text: 'edited by the owner',
      // Started without `firstRun`: the post reads X for an earlier one first.
      earlierMayHavePosted: true,
    });
  });

  test('owner rejection posts nothing', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names } = recordingActivities();
    const result = await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [replyInput('owner')],
      });
      await waitForStage(handle, 'awaiting-approval');
      await handle.signal(rejectSignal, { reason: 'off topic' });
      return handle.result();
    });
    assert.deepEqual(result, { status: 'rejected' });
    assert.deepEqual(names(), ['generateReply', 'notifyOwner', 'notifyOwner']);
  });

  test("the owner's decision as an Update: taken only while the reply awaits one, and said so", async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    let releaseDraft = () => {};
    const drafted = new Promise<void>((resolve) => (releaseDraft = resolve));
    const { activities } = recordingActivities();
    const gated: ReplyActivities = {
      ...activities,
      generateReply: async (input) => {
        await drafted;
        return activities.generateReply(input);
      },
    };
    const refusal = (err: unknown) => (err instanceof DecisionRefused ? err.message : `not refused: ${String(err)}`);
    const result = await withWorker({ taskQueue, activities: gated }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [replyInput('owner')],
      });
      // Still drafting: nothing to decide on yet.
      await waitForStage(handle, 'drafting');
      const early = await decideReply(handle, { kind: 'approve' }).then(() => 'taken', refusal);
      assert.match(early, /Refused: it is not waiting for approval \(drafting\)$/);
      releaseDraft();
      await waitForStage(handle, 'awaiting-approval');
      const empty = await decideReply(handle, { kind: 'approve', text: '  ' }).then(() => 'taken', refusal);
      assert.match(empty, /Refused: the edited reply is empty$/);
      assert.deepEqual(await decideReply(handle, { kind: 'approve', text: 'edited' }), {
        decided: 'approved-with-edit',
      });
      const twice = await decideReply(handle, { kind: 'reject' }).then(() => 'taken', refusal);
      assert.match(twice, /Refused: (it was decided already|it is not waiting for approval \(\w+\))$/);
      return handle.result();
    });
    assert.deepEqual([result.status, result.text], ['posted', 'edited']);
  });

  test('no decision within the approval timeout expires the reply', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names } = recordingActivities();
    const result = await withWorker({ taskQueue, activities }, () =>
      client.workflow.execute(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [replyInput('owner', { approvalTimeout: '1s' })],
      }),
    );
    assert.deepEqual(result, { status: 'expired' });
    assert.ok(!names().includes('postReply'));
  });

  test('a retryable activity failure is retried by the policy, and the workflow completes', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, calls } = recordingActivities({
      generateReply: (attempt) => {
        if (attempt === 1) throw ApplicationFailure.retryable('model overloaded (503)', 'upstream');
      },
    });
    const { result, status } = await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [replyInput('auto')],
      });
      return { result: await handle.result(), status: await handle.query(statusQuery) };
    });
    assert.equal(result.status, 'posted');
    const attempts = calls.filter((call) => call.name === 'generateReply').map((call) => call.attempt);
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(status.attempts, 3, 'two attempts to draft, one to post');
  });

  test('pause holds the workflow before its next side effect until resume', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names } = recordingActivities();
    const input = replyInput('owner');
    const result = await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: workflowIds.reply(input.accountId, input.tweet.id),
        args: [input],
      });
      await waitForStage(handle, 'awaiting-approval');
      await handle.signal(pauseSignal);
      await handle.signal(approveSignal, {});
      await eventually('the paused reply to reach posting', async () => {
        const status = await handle.query(statusQuery);
        return status.stage === 'posting' && status.paused;
      });
      // The workflow has decided what the approval leads to: no post was scheduled, and none runs until it resumes.
      const afterApproval = await decidedAfter(
        handle,
        'the approval',
        (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'approve',
      );
      assert.ok(
        !afterApproval.some((event) => scheduledActivity(event) === 'postReply'),
        'nothing posted while paused',
      );
      assert.ok(!names().includes('postReply'), 'nothing is posted while paused');
      await handle.signal(resumeSignal);
      return handle.result();
    });
    assert.equal(result.status, 'posted');
    assert.deepEqual(names(), ['generateReply', 'notifyOwner', 'postReply', 'recordReply', 'notifyOwner']);
  });

  test('a non-retryable failure fails the workflow at once with its category as the type', async () => {
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names } = recordingActivities({
      postReply: () => {
        throw ApplicationFailure.nonRetryable('X rejected the reply text (400)', 'invalid-input');
      },
    });
    const failure = await autoReplyFailure(taskQueue, activities);
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'invalid-input');
    assert.match(failure.cause.message, /postReply failed \(invalid-input\): X rejected the reply text/);
    assert.doesNotMatch(failure.cause.message, /may have/, 'X answered: it did not post');
    assert.deepEqual(names(), ['generateReply', 'postReply', 'notifyOwner']);
  });

  test('posting attempts that ran out without an answer: the dead letter says X may have the post', async () => {
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names, calls } = recordingActivities({
      // What the X adapter says of a request left unanswered (its retry-after kept short for the test).
      postReply: () => {
        throw ApplicationFailure.create({
          type: 'timeout',
          message: 'X API timed out: no answer within 15 s',
          nextRetryDelay: '20ms',
        });
      },
    });
    const failure = await autoReplyFailure(taskQueue, activities);
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'timeout');
    assert.equal(failure.cause.nonRetryable, true);
    const unknown =
      /^X may have the post \(failures retry reads X first and posts only if it has not\): postReply failed \(timeout\): X API timed out/;
    assert.match(failure.cause.message, unknown);
    assert.equal(names().filter((name) => name === 'postReply').length, 8, 'every attempt of the policy');
    const alert = calls.filter((call) => call.name === 'notifyOwner').at(-1)?.input as { text: string } | undefined;
    assert.match(alert?.text.split('\n')[2] ?? '', /^Detail: X may have the post \(failures retry reads X first/);
  });

  test('once posted and recorded, a notice Telegram refuses for good leaves the reply posted, not a dead letter', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names } = recordingActivities({
      notifyOwner: refuseNotice,
    });
    const input = replyInput('auto');
    const workflowId = workflowIds.reply(input.accountId, input.tweet.id);
    // The query needs a worker: asked while it still polls.
    const { result, status } = await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, { taskQueue, workflowId, args: [input] });
      return { result: await handle.result(), status: await handle.query(statusQuery) };
    });
    assert.deepEqual(result, {
      status: 'posted',
      replyTweetId: `reply-to-${input.tweet.id}`,
      text: `draft for ${input.tweet.id}`,
      notified: false,
    });
    assert.deepEqual(names(), ['generateReply', 'postReply', 'recordReply', 'notifyOwner'], 'no alert, no retry');
    assert.equal(status.stage, 'done');
    assert.match(status.lastError ?? '', /^the owner's notice was not delivered: .*CHAT_WRITE_FORBIDDEN/);
  });

  test('an outcome notice that fails for a while is retried until delivered; a rejection stays a rejection', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, calls } = recordingActivities({
      notifyOwner: (attempt) => {
        if (attempt < 3) throw ApplicationFailure.retryable('Telegram answered 500 INTERNAL_SERVER_ERROR', 'upstream');
      },
    });
    const posted = replyInput('auto');
    const result = await withWorker({ taskQueue, activities }, () =>
      client.workflow.execute(replyWorkflowV2, {
        taskQueue,
        workflowId: workflowIds.reply(posted.accountId, posted.tweet.id),
        args: [posted],
      }),
    );
    assert.equal(result.status, 'posted');
    assert.equal(result.notified, undefined, 'delivered in the end');
    assert.deepEqual(
      calls.filter((call) => call.name === 'notifyOwner').map((call) => call.attempt),
      [1, 2, 3],
    );

    // An owner's rejection whose notice Telegram refuses is what the owner chose, not a failure.
    const refusing = recordingActivities({
      notifyOwner: () => {
        if (refusing.calls.filter((call) => call.name === 'notifyOwner').length > 1) refuseNotice();
      },
    });
    const rejected = replyInput('owner');
    const outcome = await withWorker(
      { taskQueue: `${taskQueue}-rejected`, activities: refusing.activities },
      async () => {
        const handle = await client.workflow.start(replyWorkflowV2, {
          taskQueue: `${taskQueue}-rejected`,
          workflowId: workflowIds.reply(rejected.accountId, rejected.tweet.id),
          args: [rejected],
        });
        await waitForStage(handle, 'awaiting-approval');
        await handle.signal(rejectSignal, { reason: 'off topic' });
        return handle.result();
      },
    );
    assert.deepEqual(outcome, { status: 'rejected', notified: false });
  });

  test('a dead letter alerts the owner: what failed, the category in plain words, when, the id, how to retry', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, calls } = recordingActivities({
      recordReply: () => {
        throw ApplicationFailure.nonRetryable('Convex refused the document (400)', 'invalid-input');
      },
    });
    const input = replyInput('auto');
    const workflowId = workflowIds.reply(input.accountId, input.tweet.id);
    await withWorker({ taskQueue, activities }, () =>
      client.workflow.execute(replyWorkflowV2, { taskQueue, workflowId, args: [input] }).catch(() => undefined),
    );
    const alert = calls.filter((call) => call.name === 'notifyOwner').at(-1)?.input as
      { text: string; deadLetter?: true } | undefined;
    assert.ok(alert);
    assert.equal(alert.deadLetter, true, 'marked as a dead letter: the activity adds the date Temporal deletes it');
    const lines = alert.text.split('\n');
    assert.equal(lines[0], `Failed: the reply to tweet ${input.tweet.id} (account alice, stage recording)`);
    assert.equal(lines[1], 'Why (invalid-input): The service refused the request as invalid.');
    assert.match(lines[2] ?? '', /^Detail: recordReply failed \(invalid-input\): Convex refused the document/);
    assert.match(lines[3] ?? '', /^When: \d{4}-\d\d-\d\dT/);
    assert.deepEqual(lines.slice(4), [
      `Workflow: ${workflowId}`,
      `To retry: npm run cli -- failures retry ${workflowId}`,
    ]);
  });

  for (const stage of ['drafting', 'awaiting-approval', 'posting', 'recording'] as const) {
    test(`cancelled while ${stage}: the result is cancelled and the owner is told`, async () => {
      const client = await testClient();
      const taskQueue = uniqueTaskQueue('reply');
      // The step of this stage never finishes on its own: it heartbeats until the cancellation reaches it.
      const blocked = { drafting: 'generateReply', posting: 'postReply', recording: 'recordReply' } as const;
      const untilCancelled = async () => {
        const context = Context.current();
        const beat = setInterval(() => context.heartbeat(), 200);
        try {
          return await context.cancelled;
        } finally {
          clearInterval(beat);
        }
      };
      const { activities, names, calls } = recordingActivities();
      const step = stage === 'awaiting-approval' ? undefined : blocked[stage];
      if (step) {
        const wrapped = activities as unknown as Record<string, (input: unknown) => Promise<unknown>>;
        const original = wrapped[step];
        wrapped[step] = async (input) => {
          await original?.(input);
          return untilCancelled();
        };
      }
      const input = replyInput(stage === 'awaiting-approval' ? 'owner' : 'auto');
      const result = await withWorker({ taskQueue, activities }, async () => {
        const handle = await client.workflow.start(replyWorkflowV2, {
          taskQueue,
          workflowId: workflowIds.reply(input.accountId, input.tweet.id),
          args: [input],
        });
        await waitForStage(handle, stage);
        if (step) await eventually(`${step} to start`, async () => names().includes(step));
        await handle.cancel();
        return handle.result();
      });
      assert.deepEqual(result, { status: 'cancelled' });
      const report = calls.filter((call) => call.name === 'notifyOwner').at(-1)?.input as { text: string };
      assert.equal(report.text, `Cancelled the reply to tweet ${input.tweet.id} at stage ${stage}.`);
      if (stage !== 'posting' && stage !== 'recording') assert.ok(!names().includes('postReply'));
    });
  }

  test('starting the same tweet twice gives one workflow, running or completed; a dead letter may run again', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('reply');
    const { activities, names } = recordingActivities();
    const input = replyInput('owner');
    await withWorker({ taskQueue, activities }, async () => {
      const first = await startReply(client, taskQueue, input);
      assert.equal(first.started, true);
      assert.equal(first.handle.workflowId, workflowIds.reply('alice', input.tweet.id));
      assert.equal((await startReply(client, taskQueue, input)).started, false, 'running: not started again');

      await waitForStage(first.handle, 'awaiting-approval');
      await first.handle.signal(approveSignal, {});
      await first.handle.result();
      assert.equal((await startReply(client, taskQueue, input)).started, false, 'completed: not started again');
      assert.equal(names().filter((name) => name === 'postReply').length, 1);

      const other = replyInput('owner');
      const failed = await startReply(client, taskQueue, other);
      await failed.handle.terminate('simulated dead letter');
      assert.equal((await startReply(client, taskQueue, other)).started, true, 'a dead letter can be re-run');
      await client.workflow.getHandle(workflowIds.reply('alice', other.tweet.id)).terminate('test over');
    });
  });
});
