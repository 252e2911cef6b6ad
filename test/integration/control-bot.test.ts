import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { startControlBot } from '../../src/temporal/start-control-bot';
import { startAccountSession } from '../../src/temporal/start-session';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds, type ReplyInput } from '../../src/domain/contracts';
import { sessionStopSignal, statusQuery } from '../../src/workflows/messages';
import { reportXBreakerOpen } from '../helpers/breakers';
import { sandboxActivities, testSandboxPort } from '../helpers/sandbox';
import { buttonData, controlBotListening, sentMessages, sessionState, tapButton, tellTheBot } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

/**
 * The control bot through the Telegram simulator: the owner (user 1000) writes to the bot as on Telegram, the bot
 * (GramJS, logged in with its token) answers; commands steer real workflows on the dev server.
 */

const tell = tellTheBot;

let client: Client;
const taskQueue = uniqueTaskQueue('control-bot');
before(async () => {
  client = await testClient();
  // One bot per deployment: a worker of another test file may have started it on its own task queue.
  await client.workflow
    .getHandle(workflowIds.controlBot())
    .terminate('test')
    .catch(() => undefined);
});
after(async () => {
  await client.workflow
    .getHandle(workflowIds.controlBot())
    .terminate('test over')
    .catch(() => undefined);
  await closeTestClient();
});

async function ownerReply(tweetText: string, approvalTimeout?: string) {
  const tweetId = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text: tweetText });
  const input: ReplyInput = {
    accountId: 'alice',
    tweet: { id: tweetId, text: tweetText, authorUsername: 'bob' },
    approval: 'owner',
    ...(approvalTimeout ? { approvalTimeout } : {}),
  };
  const handle = await client.workflow.start(replyWorkflowV2, {
    taskQueue,
    workflowId: workflowIds.reply('alice', tweetId),
    args: [input],
  });
  await eventually('awaiting approval', async () => (await handle.query(statusQuery)).stage === 'awaiting-approval');
  // Visibility follows a moment later (it is eventually consistent), and /pending and /status read it.
  await eventually('listed as awaiting approval', async () => {
    const query = `WorkflowId="${handle.workflowId}" AND Stage="awaiting-approval"`;
    return (await client.workflow.count(query)).count === 1;
  });
  return handle;
}

/** A worker as `npm run worker` runs one: the task queue, and its own queue where sends over the bot's session run. */
const withWorkers = <T>(
  activities: Awaited<ReturnType<typeof sandboxActivities>>['activities'],
  ownQueue: Awaited<ReturnType<typeof sandboxActivities>>['ownQueue'],
  fn: () => Promise<T>,
) => withWorker({ taskQueue, activities }, () => withWorker(ownQueue, fn));

describe('the control bot', () => {
  test('commands from the owner steer the workflows; others are refused', async () => {
    const { activities, ownQueue } = await sandboxActivities(taskQueue);
    await withWorkers(activities, ownQueue, async () => {
      assert.equal(await startControlBot(client, taskQueue), true);
      await eventually('the bot listening', () => controlBotListening(client));

      assert.match(await tell('/help'), /^Commands:\n\/status/);
      assert.match(await tell('/start'), /^Commands:/);
      assert.equal(await tell('/status', { senderId: '4242' }), 'Sorry, this bot only takes commands from its owner.');
      assert.match(await tell('/frobnicate'), /^I do not know "\/frobnicate"\./);

      // An answer to the approval request itself: "ok" posts the draft.
      const first = await ownerReply('Does the bot work?');
      const approvalRequest = async () =>
        (await sentMessages('control-bot')).find(
          (m) => m.chatId === '1000' && m.text.includes(`(${first.workflowId})`),
        );
      await eventually('the approval request from the bot', async () => (await approvalRequest()) !== undefined);
      const request = await approvalRequest();
      assert.ok(request, 'the approval request came from the bot');
      assert.match(request.text, /^\[alice\] Reply to @bob\? \(reply:alice:\d+\)\n\n.+\n\nAnswer this message with ok/);
      assert.match(await tell('sounds good', { replyTo: request.id }), /^I did not understand\. Answer ok/);
      assert.equal((await first.query(statusQuery)).stage, 'awaiting-approval', 'a remark is never posted');
      assert.equal(await tell('ok', { replyTo: request.id }), `Approved: ${first.workflowId} will be posted.`);
      assert.equal((await first.result()).status, 'posted');
      await eventually('the posted reply closed in visibility', async () => {
        return (
          (await client.workflow.count(`WorkflowId="${first.workflowId}" AND ExecutionStatus="Running"`)).count === 0
        );
      });

      // /pending, then /edit and /reject by id.
      const second = await ownerReply('Edit me?');
      const third = await ownerReply('Reject me?');
      const pending = await tell('/pending');
      assert.match(pending, new RegExp(`${second.workflowId}\\n.+`));
      assert.match(pending, new RegExp(third.workflowId));
      assert.match(await tell('/status'), /2 replies wait for your approval \(\/pending\)\./);
      // The deployment's breakers: all closed, then X open as a worker's breaker reported it.
      assert.match(await tell('/status'), /^Circuit breakers closed: X, AI, Convex\.$/m);
      const since = Date.UTC(2026, 11, 2, 14, 2);
      await reportXBreakerOpen(client, taskQueue, since);
      await eventually('/status tells of the open breaker', async () =>
        /^circuit breaker open: X since 14:02 UTC$/m.test(await tell('/status')),
      );
      assert.equal(
        await tell(`/edit ${second.workflowId} Posted as the owner wrote it`),
        `Approved with your text: ${second.workflowId} will post it.`,
      );
      assert.equal(await tell(`/reject ${third.workflowId}`), `Rejected: ${third.workflowId} will not be posted.`);
      const edited = await second.result();
      assert.deepEqual([edited.status, edited.text], ['posted', 'Posted as the owner wrote it']);
      assert.match(edited.replyTweetId ?? '', /^\d+$/);
      assert.equal((await third.result()).status, 'rejected');

      // Errors in plain words: a finished reply, an unknown id, a missing argument.
      assert.equal(await tell(`/approve ${third.workflowId}`), `${third.workflowId} is completed: nothing to do.`);
      assert.equal(
        await tell('/approve reply:alice:404'),
        'No workflow reply:alice:404: check the id (/pending, /status).',
      );
      assert.equal(await tell('/approve'), 'Usage: /approve <id>');
      assert.equal(await tell('/interrupt alice 42'), 'No workflow chat:alice:42: check the id (/pending, /status).');
    });
  });

  test('approval requests have buttons: a tap posts, edits or rejects, and the request shows the outcome', async () => {
    /** The bot's latest message in `chatId` that `matches`, as the simulator holds it now (edits included). */
    const botMessage = async (chatId: string, matches: (text: string) => boolean) => {
      let found: Awaited<ReturnType<typeof sentMessages>>[number] | undefined;
      await eventually('the bot’s message', async () => {
        found = (await sentMessages('control-bot')).reverse().find((m) => m.chatId === chatId && matches(m.text));
        return found !== undefined;
      });
      return found!;
    };
    const requestOf = (workflowId: string) => botMessage('1000', (text) => text.includes(`(${workflowId})`));
    const edited = async (workflowId: string, outcome: RegExp) => {
      await eventually(`the request of ${workflowId} edited`, async () =>
        outcome.test((await requestOf(workflowId)).text),
      );
      return await requestOf(workflowId);
    };

    // User 2000 is an admin while this worker runs.
    const asAdmin = await sandboxActivities(taskQueue, { admins: ['2000'] });
    const lingering = await withWorkers(asAdmin.activities, asAdmin.ownQueue, async () => {
      await startControlBot(client, taskQueue);
      await eventually('the bot listening', () => controlBotListening(client));

      // Post: one tap, answered at once; the request then reads as posted, with the link, and keeps no buttons.
      const posted = await ownerReply('Tap to post?');
      const request = await requestOf(posted.workflowId);
      const id = posted.workflowId.replace(/^reply:/, '');
      assert.deepEqual(request.markup, {
        inline: [
          [
            { text: '✅ Post', data: `post:${id}` },
            { text: '✏️ Edit', data: `edit:${id}` },
            { text: '❌ Reject', data: `reject:${id}` },
          ],
        ],
      });
      // Telegram lets nobody else tap in the owner's private chat, and only the data of a button it shows.
      assert.equal((await tapButton(request, `post:${id}`, '2000')).body.error, 'PEER_ID_INVALID');
      assert.equal((await tapButton(request, 'post:alice:1')).body.error, 'DATA_INVALID');
      const tapped = await tapButton(request, buttonData(request, '✅ Post'));
      assert.deepEqual([tapped.body.answered, tapped.body.message], [true, 'Approved: it will be posted.']);
      const result = await posted.result();
      assert.equal(result.status, 'posted');
      const settled = await edited(posted.workflowId, /✅ Posted: /);
      assert.match(settled.text, new RegExp(`✅ Posted: https://x\\.com/i/web/status/${result.replyTweetId}$`));
      assert.match(settled.text, /^\[alice\] Reply to @bob \(reply:alice:\d+\)\n\n/);
      assert.equal(settled.markup, undefined, 'no buttons once decided');
      assert.equal(settled.id, request.id, 'edited in place, no new message');

      // Edit: the bot asks for the text with a forced reply; the answer to it is posted as written.
      const rewritten = await ownerReply('Edit me by tap?');
      const editing = await tapButton(await requestOf(rewritten.workflowId), `edit:${rewritten.workflowId.slice(6)}`);
      assert.equal(editing.body.message, 'Send the text to post as your answer to my next message.');
      const prompt = await botMessage('1000', (text) => text.includes(`(edit ${rewritten.workflowId})`));
      assert.deepEqual(prompt.markup, { forceReply: { placeholder: 'The text to post' } });
      assert.equal(
        await tell('Written by the owner, word for word', { replyTo: prompt.id }),
        `Approved with your text: ${rewritten.workflowId} will post it.`,
      );
      const rewrittenResult = await rewritten.result();
      assert.deepEqual(
        [rewrittenResult.status, rewrittenResult.text],
        ['posted', 'Written by the owner, word for word'],
      );
      assert.match(
        (await edited(rewritten.workflowId, /✅ Posted/)).text,
        /\n\nWritten by the owner, word for word\n\n✅/,
      );

      // Reject; then a tap on a decided reply (from /pending's list, sent before) is told what became of it.
      const rejected = await ownerReply('Reject me by tap?');
      const waiting = await ownerReply('Still waiting?');
      assert.match(await tell('/pending'), /^1\. reply:/);
      const list = await botMessage('1000', (text) => text.startsWith('1. reply:'));
      const listed = list.text.match(/^\d+\. reply:\S+/gm)?.map((line) => line.replace(/^\d+\. /, ''));
      assert.deepEqual(listed, [rejected.workflowId, waiting.workflowId].sort());
      const number = (listed ?? []).indexOf(rejected.workflowId) + 1;
      const rejecting = await tapButton(await requestOf(rejected.workflowId), `reject:${rejected.workflowId.slice(6)}`);
      assert.equal(rejecting.body.message, 'Rejected: it will not be posted.');
      assert.equal((await rejected.result()).status, 'rejected');
      assert.equal((await edited(rejected.workflowId, /❌ Rejected/)).markup, undefined);
      const stale = await tapButton(list, buttonData(list, `✅ Post ${number}`));
      assert.equal(stale.body.message, 'Already decided: it was rejected.');

      // A request nobody answers in time reads as expired, without buttons.
      const late = await ownerReply('Too late?', '2s');
      assert.equal((await late.result()).status, 'expired');
      assert.equal(
        (await edited(late.workflowId, /\n\n⌛ Expired: no decision in 2s, not posted\.$/)).markup,
        undefined,
      );

      // The admin's own /pending comes with buttons into the admin's chat (once visibility has the decided ones closed).
      const decided = [posted, rewritten, rejected, late].map((h) => `'${h.workflowId}'`).join(', ');
      await eventually('the decided replies no longer listed', async () => {
        const query = `WorkflowId IN (${decided}) AND ExecutionStatus="Running"`;
        return (await client.workflow.count(query)).count === 0;
      });
      const adminList = await tellTheBot('/pending', { senderId: '2000' });
      assert.match(adminList, new RegExp(`^1\\. ${waiting.workflowId}\n`));
      return await botMessage('2000', (text) => text.startsWith('1. reply:'));
    });

    // The admin is an admin no more (a worker without them): their tap on that list changes nothing.
    const { activities, ownQueue } = await sandboxActivities(taskQueue);
    await withWorkers(activities, ownQueue, async () => {
      await eventually('the bot listening', () => controlBotListening(client));
      const waitingId = /^1\. (reply:\S+)/.exec(lingering.text)![1]!;
      const outsider = await tapButton(lingering, buttonData(lingering, '✅ Post 1'));
      assert.equal(outsider.body.message, 'Sorry, only the owner decides here.');
      const waiting = client.workflow.getHandle(waitingId);
      assert.equal((await waiting.query(statusQuery)).stage, 'awaiting-approval', 'nothing changed');
      const byOwner = await tapButton(await requestOf(waitingId), `reject:${waitingId.slice(6)}`);
      assert.equal(byOwner.body.message, 'Rejected: it will not be posted.');
      await waiting.result();
    });
  });

  test('pause and resume an account; retry a dead letter', async () => {
    const { activities, ownQueue } = await sandboxActivities(taskQueue);
    await withWorkers(activities, ownQueue, async () => {
      await startControlBot(client, taskQueue);
      await eventually('the bot listening', () => controlBotListening(client));
      const { workflowId } = await startAccountSession(client, taskQueue, 'alice');
      const session = client.workflow.getHandle(workflowId);
      try {
        await eventually('alice connected', async () => (await sessionState(session)) === 'connected');
        assert.match(await tell('/status'), /^alice: connected/m);
        assert.equal(await tell('/pause alice'), 'Pausing: alice.');
        await eventually('alice paused', async () => (await sessionState(session)) === 'paused');
        assert.equal(await tell('/resume alice'), 'Resuming: alice.');
        await eventually('alice connected again', async () => (await sessionState(session)) === 'connected');
      } finally {
        await session.signal(sessionStopSignal);
        await session.result();
      }

      // A reply to a tweet X does not have fails at once (not-found): a dead letter to retry.
      const missing = String(900_000 + Math.floor(Math.random() * 99_999));
      const dead = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: workflowIds.reply('alice', missing),
        args: [{ accountId: 'alice', tweet: { id: missing, text: 'gone' }, approval: 'auto' }],
      });
      await assert.rejects(dead.result());
      assert.equal(
        await tell(`/retry ${dead.workflowId}`),
        `Retrying ${dead.workflowId}: a new run with the same input.`,
      );
      const latest = await client.workflow.getHandle(dead.workflowId).describe();
      assert.notEqual(latest.runId, dead.firstExecutionRunId, 'a new run');
      assert.equal(
        await tell(`/retry ${workflowIds.reply('alice', 'posted-or-not')}`),
        `No workflow reply:alice:posted-or-not: check the id (/pending, /status).`,
      );
    });
  });
});
