import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { decodeOptionalSinglePayload } from '@temporalio/common/lib/internal-non-workflow';
import { workflowMetadataQuery } from '@temporalio/workflow';
import type { ReplyActivities } from '../../src/activities';
import type { Activities } from '../../src/workflows/activity-types';
import { startAccountSession } from '../../src/temporal/start-session';
import { startReply } from '../../src/temporal/start-reply';
import { startSync } from '../../src/temporal/start-sync';
import { approveDraftUpdate } from '../../src/workflows/messages';
import {
  closeTestClient,
  eventually,
  testClient,
  uniqueId,
  uniqueTaskQueue,
  waitForStage,
  withWorker,
} from '../helpers/temporal';

after(closeTestClient);

/**
 * What the Temporal Web UI shows of a workflow besides its id: the summary set at start, a reply's current details,
 * its steps' summaries. Read back through the client, decoded; in the history they are encrypted like any payload.
 */
describe('summaries and details for the Web UI', () => {
  test("a reply's summary, its current details at each stage, its steps' summaries: readable decoded, encrypted raw", async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('summaries');
    const tweetText = 'Is Temporal durable when the worker dies in the middle of a long approval wait?';
    const draft = 'Yes: every step is recorded in its history, so a new worker picks up where the old one stopped.';
    const activities: ReplyActivities & Pick<Activities, 'notifyOwner'> = {
      generateReply: async () => ({ text: draft, attempt: 1 }),
      postReply: async ({ inReplyToTweetId }) => ({ replyTweetId: `9${inReplyToTweetId}`, attempt: 1 }),
      recordReply: async () => undefined,
      notifyOwner: async () => undefined, // no outbox runs here: the hand-over's fallback
    };
    const tweetId = uniqueId('7');
    const { handle } = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: tweetId, text: tweetText, authorUsername: 'bob' },
      approval: 'owner',
      approvalTimeout: '2h',
    });
    const details = async () => (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
    await withWorker({ taskQueue, activities }, async () => {
      await waitForStage(handle, 'awaiting-approval');
      // The wait for the owner starts once the request is out; an approval that comes before it needs no timer,
      // so approving at this stage alone could leave the history without the summary this test reads.
      await eventually('the approval timer', async () =>
        ((await handle.fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes),
      );
      assert.equal(
        await (await handle.describe()).staticSummary(),
        'alice → @bob: "Is Temporal durable when the worker dies in the middle of a…" (owner approves)',
      );
      assert.match(
        await details(),
        /^\*\*awaiting-approval\*\* · draft: "Yes: every step is recorded in its history, so a new worker…" · waits for the owner until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
      );
      const deadline = (await details()).match(/until (.+ UTC)$/)![1]!;
      const expected = new Date(Date.now() + 2 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
      assert.ok(Math.abs(Date.parse(`${deadline.replace(' UTC', 'Z')}`) - Date.parse(`${expected}Z`)) <= 60_000);

      await handle.executeUpdate(approveDraftUpdate, { args: [{}] });
      assert.equal((await handle.result()).status, 'posted');
      assert.match(await details(), /^\*\*posted\*\* · draft: "Yes: every step/);
    });

    // The history: every summary is a payload the codec encrypted; decoded, it reads as the Web UI shows it.
    const events = (await handle.fetchHistory()).events ?? [];
    const converter = client.options.loadedDataConverter;
    const summaries: string[] = [];
    for (const event of events) {
      const raw = event.userMetadata?.summary;
      if (!raw) continue;
      const encoding = Buffer.from(raw.metadata?.encoding ?? []).toString();
      assert.equal(encoding, 'binary/encrypted', `event ${String(event.eventId)}'s summary is encrypted`);
      assert.ok(
        !Buffer.from(raw.data ?? [])
          .toString('latin1')
          .includes('Temporal durable'),
      );
      summaries.push((await decodeOptionalSinglePayload<string>(converter, raw)) ?? '');
    }
    assert.equal(
      summaries[0],
      'alice → @bob: "Is Temporal durable when the worker dies in the middle of a…" (owner approves)',
    );
    assert.ok(summaries.includes('Draft the reply with the AI model'), summaries.join(' | '));
    assert.ok(summaries.includes('Post the reply on X'));
    assert.ok(summaries.includes('Record the reply in Convex'));
    assert.ok(
      summaries.some((s) => /^Wait for the owner until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(s)),
      summaries.join(' | '),
    );
  });

  test("a session's and a sync's summary name the account and the chat", async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('summaries'); // no worker: the summary is set at start
    const accountId = uniqueId('carol');
    const session = await startAccountSession(client, taskQueue, accountId);
    const sessionHandle = client.workflow.getHandle(session.workflowId);
    assert.equal(await (await sessionHandle.describe()).staticSummary(), `Telegram session of ${accountId}`);
    await startSync(client, taskQueue, {
      accountId,
      message: { chatId: '-100777', messageId: 42, senderId: '1', text: 'private words', date: 1_700_000_000 },
    });
    const syncHandle = client.workflow.getHandle(`sync:${accountId}:-100777:42`);
    assert.equal(
      await (await syncHandle.describe()).staticSummary(),
      `Sync ${accountId}'s message 42 in chat -100777 to Convex`,
    );
    for (const handle of [sessionHandle, syncHandle]) await handle.terminate('test over');
  });
});
