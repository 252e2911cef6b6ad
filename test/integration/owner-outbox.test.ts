import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { ReplyActivities } from '../../src/activities';
import type { Activities } from '../../src/workflows/activity-types';
import { ownerOutboxDeps } from '../../src/workers/owner-outbox-deps';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds, type OwnerNotice } from '../../src/domain/contracts';
import { ownerOutboxStatusQuery } from '../../src/workflows/messages';
import { approvalsOneByOne, nextOwnerMessage } from '../../src/workflows/owner-digest';
import { closeTestClient, eventually, testClient, uniqueId, uniqueTaskQueue, withWorker } from '../helpers/temporal';

after(closeTestClient);

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const serverFlowControl = [
  Cause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
  Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
];

const notice = (i: number, extra: Partial<OwnerNotice> = {}): OwnerNotice => ({
  key: `key-${i}`,
  accountId: i % 2 ? 'alice' : 'bob',
  text: `Posted a reply to tweet ${1_000_000 + i}: ${'words '.repeat(20)}`,
  kind: 'notice',
  ...extra,
});
const approval = (i: number) =>
  notice(i, { kind: 'approval', ref: `reply:alice:${i}`, text: `Reply to @bob? (reply:alice:${i})\n\ndraft ${i}` });

describe('what the owner outbox sends next', () => {
  test('a notice alone goes whole; notices that piled up go as one digest naming each', () => {
    assert.deepEqual(nextOwnerMessage([notice(1)]), { text: `[alice] ${notice(1).text}`, notices: [notice(1)] });
    const piled = Array.from({ length: 12 }, (_, i) => notice(i));
    const message = nextOwnerMessage(piled)!;
    assert.equal(message.notices.length, 12);
    assert.match(message.text, /^12 updates:\n/);
    for (const n of piled) assert.ok(message.text.includes(`tweet ${1_000_000 + Number(n.key.slice(4))}`));
  });

  test("a digest line names the workflow an alert is about (for /retry), never as an approval's (reply:…)", () => {
    const alert = (i: number) =>
      notice(i, { ref: `reply:bob:${i}`, text: `Failed: the reply to tweet ${i}\nWhy (upstream): …\nTo retry: …` });
    const { text } = nextOwnerMessage([alert(1), alert(2)])!;
    assert.match(text, /^• \[alice\] Failed: the reply to tweet 1 — reply:bob:1$/m);
    assert.match(text, /^• \[bob\] Failed: the reply to tweet 2 — reply:bob:2$/m);
    assert.doesNotMatch(text, /\(reply:/);
  });

  test('a digest holds what fits in one Telegram message; the rest waits for the next', () => {
    const piled = Array.from({ length: 200 }, (_, i) => notice(i));
    const first = nextOwnerMessage(piled)!;
    assert.ok(first.text.length <= 4096, `${first.text.length} characters`);
    assert.ok(first.notices.length > 1 && first.notices.length < 200);
    assert.deepEqual(first.notices, piled.slice(0, first.notices.length), 'oldest first');
    assert.match(first.text, new RegExp(`^${first.notices.length} updates:`));
  });

  test('approval requests go one by one while a few wait; more are announced together, without a reply id to answer', () => {
    const few = Array.from({ length: approvalsOneByOne }, (_, i) => approval(i));
    assert.deepEqual(nextOwnerMessage([...few, notice(9)])?.notices, [few[0]]);
    const many = Array.from({ length: 14 }, (_, i) => approval(i));
    const announced = nextOwnerMessage([...many, notice(99)])!;
    assert.deepEqual(announced.notices, many);
    assert.match(announced.text, /^14 drafts wait for your approval\. \/pending/);
    assert.ok(many.every((a) => announced.text.includes(`• ${a.ref} (${a.accountId})`)));
    assert.doesNotMatch(announced.text, /\(reply:/, 'an answer to the announcement approves none of them');
  });
});

describe('the owner outbox on a real dev server', () => {
  test('a burst of 40 notices: each reaches the owner once, merged into a few messages, through a flood wait', async (t) => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('outbox');
    const sent: string[] = [];
    let floodWaits = 0;
    const activities: Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
      locateControlBot: async () => ({}), // no control bot runs: the outbox sends over a connection of its own
      async sendOwnerMessage({ text }) {
        if (sent.length === 1 && floodWaits === 0) {
          floodWaits += 1;
          throw ApplicationFailure.create({ type: 'rate-limit', message: 'FLOOD_WAIT_1', nextRetryDelay: '1s' });
        }
        sent.push(text);
      },
    };
    const { queue } = ownerOutboxDeps(client, taskQueue);
    const notices = Array.from({ length: 40 }, (_, i) => notice(i, { key: `${taskQueue}-${i}` }));
    await withWorker({ taskQueue, activities }, async () => {
      await Promise.all(notices.map((n) => queue(n)));
      await queue(notices[0]!); // a hand-over repeated after a lost answer
      const outbox = client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue));
      await eventually('the outbox to drain', async () => {
        const status = await outbox.query(ownerOutboxStatusQuery);
        return status.pending === 0 && sent.join('\n').split('Posted a reply').length - 1 === 40;
      });
      const status = await outbox.query(ownerOutboxStatusQuery);
      t.diagnostic(`40 notices in ${sent.length} messages (${status.merged} merged); ${floodWaits} flood wait`);
      assert.equal(status.undelivered, 0);
      await outbox.terminate('test over');
    });
    for (const n of notices) {
      const tweet = `tweet ${1_000_000 + Number(n.key.split('-').at(-1))}:`;
      assert.equal(sent.filter((text) => text.includes(tweet)).length, 1, `${tweet} told once`);
    }
    assert.ok(sent.length < 40, `merged: ${sent.length} messages`);
  });

  test('2,500 long notices while a send hangs: the run rolls over mid-send with a bounded backlog; each told once', async (t) => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('outbox');
    const workflowId = workflowIds.ownerOutbox(taskQueue);
    const delivered = new Map<string, string>(); // Telegram's random_id: a key sends once
    let calls = 0;
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const activities: Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
      locateControlBot: async () => ({}),
      async sendOwnerMessage({ text, key }) {
        calls += 1;
        if (calls === 1) await held; // the first send hangs until the test lets it through
        if (!delivered.has(key!)) delivered.set(key!, text);
      },
    };
    const total = 2500;
    const { queue } = ownerOutboxDeps(client, taskQueue);
    const body = 'lorem ipsum '.repeat(60);
    await withWorker({ taskQueue, activities }, async () => {
      await queue(notice(0, { key: `${taskQueue}-0`, text: `Update 0\n${body}` }));
      await eventually('the first send to hang', async () => calls === 1);
      const firstRun = (await client.workflow.getHandle(workflowId).describe()).runId;
      for (let i = 1; i < total; i += 100) {
        const batch = Array.from({ length: Math.min(100, total - i) }, (_, j) => i + j);
        await Promise.all(
          batch.map((n) => queue(notice(n, { key: `${taskQueue}-${n}`, text: `Update ${n}\n${body}` }))),
        );
      }
      const outbox = client.workflow.getHandle(workflowId);
      try {
        await eventually('a rollover while the send hangs', async () => (await outbox.describe()).runId !== firstRun);
      } finally {
        release(); // else the worker's shutdown waits for the hung send
      }
      await eventually(
        'the outbox to drain',
        async () => (await outbox.query(ownerOutboxStatusQuery)).pending === 0,
        120_000,
      );
      const status = await outbox.query(ownerOutboxStatusQuery);
      assert.equal(status.undelivered, 0, status.lastError);
      await outbox.terminate('test over');

      const runs: string[] = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run.runId);
      const workflowTaskFailures: string[] = [];
      let largestCarry = 0;
      for (const runId of runs) {
        for (const event of (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []) {
          // The server's own flow control under a burst fails a task to flush buffered signals, or to take in signals
          // that came while a continue-as-new was decided: both are retried with the new events. Anything else (the
          // worker's failure, a payload too large) is the wedge this test is about.
          const cause = event.workflowTaskFailedEventAttributes?.cause;
          if (cause !== undefined && cause !== null && !serverFlowControl.includes(cause)) {
            workflowTaskFailures.push(Cause[cause] ?? String(cause));
          }
          const carried = event.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0]?.data?.length;
          if (carried) largestCarry = Math.max(largestCarry, carried);
        }
      }
      t.diagnostic(
        `${runs.length} runs, ${delivered.size} messages, largest carry ${Math.round(largestCarry / 1024)} KB`,
      );
      assert.deepEqual(workflowTaskFailures, [], 'no workflow task failed but by the server flushing signals');
      assert.ok(runs.length >= 2, 'rolled over');
      assert.ok(largestCarry > 0 && largestCarry < 512 * 1024, `a carry of ${largestCarry} bytes`);
    });
    // Each notice is listed once, or counted in a line that says how many more there are.
    const texts = [...delivered.values()];
    const listed = texts.flatMap((text) => [...text.matchAll(/Update (\d+)/g)].map((m) => Number(m[1])));
    const counted = texts
      .flatMap((text) => [...text.matchAll(/(\d+) more updates \(too many to list here\)/g)])
      .reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(new Set(listed).size, listed.length, 'none listed twice');
    assert.ok(listed.includes(0), 'the message that hung was sent once, across the rollover');
    assert.equal(listed.length + counted, total, `${listed.length} listed, ${counted} counted`);
    assert.ok(calls > delivered.size, 'the hung message was sent again by the next run, under the same key');
  });

  test("sent over the control bot's live session where a worker holds it; once it moved, where it is now", async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('outbox');
    const hostQueue = `${taskQueue}-login-bot-worker`;
    const overSession: string[] = [];
    const overOwnConnection: { text: string; key?: string }[] = [];
    let located = 0;
    let held = true;
    const main: Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
      locateControlBot: async () => (located++ === 0 ? { hostQueue } : {}),
      sendOwnerMessage: async (request) => void overOwnConnection.push(request),
    };
    const host: Pick<Activities, 'sendAsControlBot'> = {
      async sendAsControlBot({ text }) {
        if (!held) throw ApplicationFailure.create({ type: 'session-moved', message: 'moved', nonRetryable: true });
        overSession.push(text);
      },
    };
    const { queue } = ownerOutboxDeps(client, taskQueue);
    const outbox = client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue));
    await withWorker({ taskQueue, activities: main }, () =>
      withWorker({ taskQueue: hostQueue, activities: host }, async () => {
        await queue(notice(1, { key: `${taskQueue}-1` }));
        await eventually('sent over the session', async () => overSession.length === 1);
        held = false; // the session moved to a worker that is not polling yet
        await queue(notice(2, { key: `${taskQueue}-2` }));
        await eventually('sent after the move', async () => overOwnConnection.length === 1);
        await outbox.terminate('test over');
      }),
    );
    assert.match(overSession[0] ?? '', /tweet 1000001:/);
    assert.match(overOwnConnection[0]?.text ?? '', /tweet 1000002:/);
    assert.match(
      overOwnConnection[0]?.key ?? '',
      new RegExp(`^owner-outbox:${taskQueue}/.+/2$`),
      'one key per message',
    );
    assert.equal(located, 2, 'asked where the session is once at first, once after it moved');
  });

  test('replies hand their notices over with their own signal while the outbox runs; it waits without a timer', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('outbox');
    const sent: string[] = [];
    let handedOverByActivity = 0;
    const { queue } = ownerOutboxDeps(client, taskQueue);
    const activities: ReplyActivities & Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
      generateReply: async ({ tweet }) => ({ text: `draft for ${tweet.id}`, attempt: 1 }),
      postReply: async ({ inReplyToTweetId }) => ({ replyTweetId: `9${inReplyToTweetId}`, attempt: 1 }),
      recordReply: async () => undefined,
      // As the real activity does (src/activities/telegram.ts): a signal-with-start, under the key it is given.
      async notifyOwner({ accountId, text, kind = 'notice', ref, key }) {
        handedOverByActivity += 1;
        await queue({ key: key ?? 'no key', accountId, text, kind, ...(ref ? { ref } : {}) });
      },
      locateControlBot: async () => ({}),
      sendOwnerMessage: async ({ text }) => void sent.push(text),
    };
    const reply = (tweetId: string) =>
      client.workflow.execute(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId(`reply:alice:${tweetId}`),
        args: [{ accountId: 'alice', tweet: { id: tweetId, text: 'hi', authorUsername: 'bob' }, approval: 'auto' }],
      });
    const told = (tweetId: string) => sent.filter((text) => text.includes(`tweet ${tweetId}:`)).length;
    const outbox = client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue));
    await withWorker({ taskQueue, activities }, async () => {
      // No outbox runs yet: the reply's signal finds none, and the activity's signal-with-start starts it.
      await reply('2001');
      await eventually('the first notice sent', async () => told('2001') === 1);
      assert.equal(handedOverByActivity, 1);
      // Now it runs: three more replies signal it themselves.
      await Promise.all(['2002', '2003', '2004'].map(reply));
      await eventually('their notices sent', async () => ['2002', '2003', '2004'].every((id) => told(id) === 1));
      assert.equal(handedOverByActivity, 1, 'no activity for a hand-over while the outbox runs');
      // Idle, it is still running and holds no timer: every timer it started has fired or been cancelled.
      await eventually('the outbox idle', async () => (await outbox.query(ownerOutboxStatusQuery)).pending === 0);
      const events = (await outbox.fetchHistory()).events ?? [];
      const count = (has: (event: (typeof events)[number]) => unknown) => events.filter(has).length;
      assert.equal(
        count((e) => e.timerStartedEventAttributes),
        count((e) => e.timerFiredEventAttributes) + count((e) => e.timerCanceledEventAttributes),
        'no timer outstanding',
      );
      assert.equal((await outbox.describe()).status.name, 'RUNNING');
      await outbox.terminate('test over');
    });
    assert.equal(told('2001'), 1, 'the first notice told once');
  });

  test('two messages go back to back, with no timer; a third within the pace waits for it (outbox-burst)', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('outbox');
    const sentAt: number[] = [];
    const activities: Pick<Activities, 'sendOwnerMessage' | 'locateControlBot'> = {
      locateControlBot: async () => ({}),
      sendOwnerMessage: async () => void sentAt.push(Date.now()),
    };
    const { queue } = ownerOutboxDeps(client, taskQueue);
    const outbox = client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue));
    const timers = async () =>
      ((await outbox.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    await withWorker({ taskQueue, activities }, async () => {
      // A request, then its outcome a moment later: both at once.
      await queue(approval(1));
      await eventually('the request sent', async () => sentAt.length === 1);
      await queue(notice(2, { ref: 'reply:alice:1' }));
      await eventually('the outcome sent', async () => sentAt.length === 2);
      assert.equal(await timers(), 0, 'no timer for the second');
      // A third at once: two went out within the pace (1.5 s each), so it waits for the first's window to pass.
      await queue(notice(3));
      await eventually('the third sent', async () => sentAt.length === 3);
      assert.equal(await timers(), 1, 'one timer, for the third');
      assert.ok(sentAt[2]! - sentAt[0]! >= 2 * 1500 - 50, `${sentAt[2]! - sentAt[0]!} ms for three`);
      await outbox.terminate('test over');
    });
  });
});
