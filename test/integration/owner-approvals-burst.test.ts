import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { workflowIds } from '../../src/domain/contracts';
import { approveSignal, statusQuery } from '../../src/workflows/messages';
import { sandboxActivities, testSandboxPort } from '../helpers/sandbox';
import { textsToOwner } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

/**
 * Many drafts for the owner at once: the first approval requests go one to a message, the others are announced
 * together with their ids (the owner answers them from /pending), and none is lost.
 */
after(closeTestClient);

describe('a burst of approval requests', () => {
  test('12 owner-approved replies at once: each request reaches the owner, alone or announced; all post once approved', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('approvals');
    const { activities, ownQueue } = await sandboxActivities(taskQueue);
    const before = (await textsToOwner()).length;
    await withWorker({ taskQueue, activities }, () =>
      withWorker(ownQueue, async () => {
        const handles = await Promise.all(
          Array.from({ length: 12 }, async (_, i) => {
            const tweet = { text: `Approve me ${i} ${taskQueue}`, authorUsername: 'erin' };
            const id = await postTargetTweet(testSandboxPort(), tweet);
            return (
              await startReply(client, taskQueue, { accountId: 'alice', tweet: { id, ...tweet }, approval: 'owner' })
            ).handle;
          }),
        );
        const ids = handles.map((handle) => handle.workflowId);
        const toldOf = async () => {
          const texts = (await textsToOwner()).slice(before);
          const alone = ids.filter((id) => texts.some((text) => text.includes(`(${id})`)));
          const announced = ids.filter((id) => texts.some((text) => text.includes(`• ${id} (alice)`)));
          return { texts, alone, announced };
        };
        await eventually('every request to reach the owner', async () => {
          const { alone, announced } = await toldOf();
          return new Set([...alone, ...announced]).size === ids.length;
        });
        const { texts, alone, announced } = await toldOf();
        // Those that came while few waited go alone; the rest, more than three waiting at once, are announced.
        const announcements = texts.flatMap((text) => {
          const waiting = /^(\d+) drafts wait for your approval\. \/pending/.exec(text)?.[1];
          return waiting ? [Number(waiting)] : [];
        });
        assert.ok(announced.length >= 1 && announcements.length >= 1, texts.join('\n---\n'));
        assert.ok(
          announcements.every((waiting) => waiting > 3),
          `announced only when more than three wait: ${announcements.join(', ')}`,
        );
        assert.equal(alone.length + announced.length, ids.length, 'each request told once');
        assert.ok(texts.length < ids.length, `${texts.length} messages for ${ids.length} requests`);

        for (const handle of handles) {
          assert.equal((await handle.query(statusQuery)).stage, 'awaiting-approval');
          await handle.signal(approveSignal, {});
        }
        const results = await Promise.all(handles.map((handle) => handle.result()));
        assert.deepEqual(
          results.map((r) => r.status),
          ids.map(() => 'posted'),
        );
        await client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue)).terminate('test over');
      }),
    );
  });
});
