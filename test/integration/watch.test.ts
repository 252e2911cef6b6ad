import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { postTargetTweet, sandboxTweets } from '../../src/sandbox/sandbox';
import { addWatch, describeWatch, listWatches, removeWatch } from '../../src/temporal/watch-schedules';
import type { watchTweetsWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { sandboxWorkers } from '../helpers/workers';
import { testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from '../helpers/temporal';

/**
 * Watching target accounts: a Temporal Schedule per account polls X (the simulator, through the real client) and
 * starts one reply workflow per new tweet, never two for the same tweet however often it polls.
 */
const startWorker = sandboxWorkers();
after(closeTestClient);

describe('watching X accounts with a Schedule', () => {
  test('new tweets get one reply each; tweets from before the watch and repeated polls get none', async () => {
    const taskQueue = uniqueTaskQueue('watch');
    await startWorker(taskQueue);

    const client = await testClient();
    const port = testSandboxPort();
    const username = `target${Date.now() % 1_000_000}`;
    const old = await postTargetTweet(port, { authorUsername: username, text: 'from before the watch' });
    const accountId = 'bob';
    const schedule = client.schedule.getHandle(workflowIds.watch(accountId));
    const repliesByBob = async () =>
      (await sandboxTweets(port)).filter((t) => t.authorUsername === accountId && t.in_reply_to);
    /** Triggers a poll and waits for its result. */
    const poll = async (): Promise<{ started: number }> => {
      const before = (await schedule.describe()).info.recentActions.length;
      await schedule.trigger();
      let run: { workflowId: string; firstExecutionRunId: string } | undefined;
      await eventually('the poll to start', async () => {
        const actions = (await schedule.describe()).info.recentActions;
        run = actions.length > before ? actions.at(-1)?.action.workflow : undefined;
        return run !== undefined;
      });
      return client.workflow
        .getHandle<typeof watchTweetsWorkflow>(run?.workflowId ?? '', run?.firstExecutionRunId)
        .result();
    };

    // An interval long enough that only the test's triggers poll.
    const watch = await addWatch(client, taskQueue, { accountId, username, approval: 'auto', interval: '1h' });
    try {
      assert.deepEqual(watch.usernames, [username]);
      assert.deepEqual(await poll(), { started: 0 }, 'the first poll only marks where the watch began');

      const fresh = [
        await postTargetTweet(port, { authorUsername: username, text: 'new one' }),
        await postTargetTweet(port, { authorUsername: username, text: 'new two' }),
      ];
      assert.deepEqual(await poll(), { started: 2 });
      await eventually('replies to both new tweets', async () => {
        const targets = (await repliesByBob()).map((t) => t.in_reply_to);
        return fresh.every((id) => targets.includes(id));
      });

      assert.deepEqual(await poll(), { started: 0 }, 'a repeated poll starts nothing');
      const targets = (await repliesByBob())
        .map((t) => t.in_reply_to)
        .filter((id) => [old, ...fresh].includes(id ?? ''));
      assert.deepEqual(targets.sort(), [...fresh].sort(), 'one reply per new tweet, none to the old one');

      assert.ok((await listWatches(client)).some((w) => w.accountId === accountId && w.usernames.includes(username)));
    } finally {
      assert.equal(await removeWatch(client, accountId, username), true);
    }
    assert.equal(await describeWatch(client, accountId), undefined, 'the Schedule goes with its last user');
  });
});
