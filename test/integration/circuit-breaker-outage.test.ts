import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { controlEndpoint, postTargetTweet, setSandboxFaults } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { workflowIds } from '../../src/domain/contracts';
import { outagesQuery } from '../../src/workflows/messages';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { messagesToOwner } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * The circuit breakers with real worker processes: X down for everyone while replies want to post. The breaker is
 * opened for 15 s here (the default is 120 s) to keep the test short; the outage is shorter than that, as in the
 * issue's 90 s against 120 s.
 */
const launch = sandboxWorkers();
after(closeTestClient);

async function xRequests(): Promise<{ at: number; method: string; path: string; status: number | string }[]> {
  const response = await sandboxCall<{ requests: { at: number; method: string; path: string; status: number }[] }>(
    controlEndpoint(testSandboxPort(), 'x'),
    'GET',
    '/_sandbox/state',
  );
  return response.body.requests;
}

describe('circuit breaker: X down', () => {
  test('20 replies while X answers 503 to everything: few requests reach X, the owner hears once of the outage and once of its end, and all 20 post', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('breaker');
    const env = { STEADFAST_BREAKER_X: '5/15s/3' };
    await Promise.all([
      launch(taskQueue, { ...env, WORKER_ID: 'one' }),
      launch(taskQueue, { ...env, WORKER_ID: 'two' }),
    ]);
    const targets = [];
    for (let i = 0; i < 20; i++) {
      const target = { text: `Outage tweet ${i} ${Date.now()}`, authorUsername: 'erin' };
      targets.push({ id: await postTargetTweet(testSandboxPort(), target), ...target });
    }
    const toldBefore = (await messagesToOwner('all accounts')).length;

    await setSandboxFaults(testSandboxPort(), 'x', { errorRate: 1, errorStatus: 503 });
    const outageStart = Date.now();
    const replies = await Promise.all(
      targets.map((tweet) => startReply(client, taskQueue, { accountId: 'alice', tweet, approval: 'auto' })),
    );
    const health = client.workflow.getHandle(workflowIds.serviceHealth(taskQueue));
    await eventually('the deployment knows X is down', async () => {
      const outages = await health.query(outagesQuery).catch(() => ({}) as Record<string, never>);
      return 'x' in outages;
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageStart + 12_000 - Date.now())));
    await setSandboxFaults(testSandboxPort(), 'x', {});
    const outageEnd = Date.now();

    const results = await Promise.all(replies.map(({ handle }) => handle.result()));
    assert.deepEqual(
      results.map((result) => result.status),
      results.map(() => 'posted'),
    );
    const duringOutage = (await xRequests()).filter((r) => r.at >= outageStart && r.at <= outageEnd);
    console.log(
      `X requests during the 12 s outage: ${duringOutage.length} (${duringOutage.filter((r) => r.status === 503).length} answered 503)`,
    );
    assert.ok(duringOutage.length <= 30, `${duringOutage.length} requests reached X during the outage`);

    const told = async () => (await messagesToOwner('all accounts')).slice(toldBefore);
    await eventually('the owner hears that X is back', async () =>
      (await told()).some((text) => text.startsWith('circuit breaker closed: X')),
    );
    const messages = await told();
    const opened = messages.filter((text) => text.startsWith('circuit breaker open: X'));
    const closed = messages.filter((text) => text.startsWith('circuit breaker closed: X'));
    assert.equal(opened.length, 1, messages.join('\n'));
    assert.equal(closed.length, 1, messages.join('\n'));
    assert.match(
      opened[0]!,
      /^circuit breaker open: X — since \d\d:\d\d UTC, last error: X API answered 503.*, \d+ repl(y|ies) waiting$/,
    );
    assert.match(closed[0]!, /^circuit breaker closed: X — down (\d+ min )?\d+ s, waiting replies resume$/);
    assert.deepEqual(await health.query(outagesQuery), {}, 'no outage left open');
  });
});
