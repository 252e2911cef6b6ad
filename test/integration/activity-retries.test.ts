import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { ownerDirectory } from '../../src/owner/owner-directory';
import { sandboxUserTokenSecret, sandboxXApp } from '../../src/sandbox/x-oauth1';
import { createActivities } from '../../src/activities';
import { createOpenAiPort } from '../../src/adapters/openai/openai-ai';
import { createXPort } from '../../src/adapters/x/x-api';
import type { RunningSimulator } from '../../src/sandbox/http-simulator';
import { sandboxOpenAiKey, startOpenAiSimulator } from '../../src/sandbox/openai-simulator';
import { startXSimulator } from '../../src/sandbox/x-simulator';
import { liveSessionHosts } from '../../src/workers/live-session-hosts';
import { ownerOutboxDeps } from '../../src/workers/owner-outbox-deps';
import { sessionDeps } from '../../src/workers/session-deps';
import { replyWorkflowV2 } from '../../src/workflows';
import { transientFailure } from '../../src/domain/failure-vocabulary';
import { sandboxActivities, sandboxCall } from '../helpers/sandbox';
import { closeTestClient, eventually, testClient, uniqueId, uniqueTaskQueue, withWorker } from '../helpers/temporal';

/**
 * Activities on the real dev server, through the real libraries, against the simulators: Temporal's policies pace
 * 5xx retries, and a 429 moves the next attempt to the reset time the service gave, with no request in between.
 */
let simulator: RunningSimulator;
let x: Awaited<ReturnType<typeof startXSimulator>>;
before(async () => {
  simulator = await startOpenAiSimulator();
  x = await startXSimulator();
});
after(async () => {
  await simulator.close();
  await x.close();
  await closeTestClient();
});

async function replyThrough(target: RunningSimulator, faults: Parameters<RunningSimulator['setFaults']>[0]) {
  const text = `Durable? ${Math.random()}`;
  const tweetId = (await sandboxCall<{ id: string }>(x, 'POST', '/_sandbox/x/tweets', { authorUsername: 'bob', text }))
    .body.id;
  target.setFaults(faults);
  const sent = target.requests().length;
  // The harness's sandbox for Convex and Telegram; this file's own simulators, with faults, for OpenAI and X.
  const taskQueue = uniqueTaskQueue('ai');
  const { services: sandbox, accounts } = await sandboxActivities(taskQueue);
  const services = {
    ...sandbox,
    ai: createOpenAiPort({ apiKey: sandboxOpenAiKey, baseUrl: `${simulator.url}/v1`, model: 'sandbox-model' }),
    x: createXPort({
      appKey: sandboxXApp.apiKey,
      appSecret: sandboxXApp.apiSecret,
      accounts: {
        xTokens: async (accountId) => ({
          accessToken: `sandbox-token-${accountId}`,
          accessSecret: sandboxUserTokenSecret,
        }),
        xOAuth2: async () => undefined,
      },
      baseUrl: `${x.url}/2/`,
      ca: x.ca,
    }),
  };
  const client = await testClient();
  const result = await withWorker(
    {
      taskQueue,
      activities: createActivities({
        services,
        owner: ownerDirectory(accounts, '1000'),
        ownerOutbox: ownerOutboxDeps(client, taskQueue),
        hosts: liveSessionHosts(client, taskQueue),
        session: sessionDeps(client, taskQueue),
        accounts,
        loginTaskQueue: `${taskQueue}-login`,
        client,
      }),
    },
    () =>
      client.workflow.execute(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [{ accountId: 'alice', tweet: { id: tweetId, text, authorUsername: 'bob' }, approval: 'auto' }],
      }),
  );
  const requests = target.requests().slice(sent);
  const gapsMs = requests.slice(1).map((request, i) => request.at - (requests[i]?.at ?? 0));
  return {
    result,
    statuses: requests.map((request) => request.status),
    // User ids in paths as X's reference writes them, so the expected calls read the same for any account.
    calls: requests.map(
      (request) => `${request.method} ${request.path.replace(/\/users\/\d+\//, '/users/:id/')} ${request.status}`,
    ),
    gapsMs,
  };
}

describe('activity retries on the real dev server', () => {
  test('AI: a 429 with a 4 s reset: the next attempt waits for the reset, with no request in between', async () => {
    const { result, statuses, gapsMs } = await replyThrough(simulator, {
      rateLimitRate: 1,
      rateLimitResetSeconds: 4,
      burst: 1,
    });
    assert.equal(result.status, 'posted');
    assert.deepEqual(statuses, [429, 200]);
    // The policy alone would retry after 2 s; the server's reset time (4 s) wins.
    assert.ok(gapsMs[0]! >= 3_500, `retried after ${gapsMs[0]} ms, before the reset`);
  });

  test('AI: a 5xx burst longer than one backoff step is absorbed on the policy backoff (2 s, then 4 s)', async () => {
    const { result, statuses, gapsMs } = await replyThrough(simulator, { errorRate: 1, errorStatus: 503, burst: 2 });
    assert.equal(result.status, 'posted');
    assert.deepEqual(statuses, [503, 503, 200]);
    assert.ok(gapsMs[0]! >= 1_500 && gapsMs[1]! >= 3_500, `gaps ${gapsMs.join(', ')} ms`);
  });

  test('X: a 429 with an 8 s reset delays the next post to the reset, with no request in between', async () => {
    const { result, calls, gapsMs } = await replyThrough(x, {
      rateLimitRate: 1,
      rateLimitResetSeconds: 8,
      burst: 1,
    });
    assert.equal(result.status, 'posted');
    // Each attempt first asks X whether our reply exists (users/me, then our timeline), and posts only if not.
    assert.deepEqual(calls, [
      'GET /2/users/me 429',
      'GET /2/users/me 200',
      'GET /2/users/:id/tweets 200',
      'POST /2/tweets 201',
    ]);
    // The X policy alone would retry after 5 s; x-rate-limit-reset (8 s) wins.
    assert.ok(gapsMs[0]! >= 7_000, `retried after ${gapsMs[0]} ms, before the reset`);
  });

  test("a retried step's long failure keeps its reason, cut to fit, instead of the server's size-limit notice", async () => {
    // A classified failure quoting a long service error (a gRPC status with its details, say): over 3 KB of text,
    // which the server would replace by "Failure exceeds size limit." in the step's pending view.
    const activities = {
      generateReply: async () => {
        const grpc = new Error(`13 INTERNAL: ${'detail '.repeat(400)}`);
        throw transientFailure('network', `Could not reach the model: ${grpc.message}`, grpc);
      },
    };
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('failure-size');
    await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(replyWorkflowV2, {
        taskQueue,
        workflowId: uniqueId('reply'),
        args: [{ accountId: 'alice', tweet: { id: '1', text: 'Durable?' }, approval: 'auto' }],
      });
      let pending: Awaited<ReturnType<typeof handle.describe>>['raw']['pendingActivities'];
      await eventually('a failed attempt', async () => {
        pending = (await handle.describe()).raw.pendingActivities;
        return pending?.[0]?.lastFailure !== undefined && pending[0].lastFailure !== null;
      });
      const failure = pending![0]!.lastFailure!;
      const decoded = await decodeOptionalFailureToOptionalError(client.options.loadedDataConverter, failure);
      assert.match(decoded?.message ?? '', /^Could not reach the model: 13 INTERNAL: detail detail/);
      assert.ok((decoded?.message.length ?? 0) <= 300, `${decoded?.message.length} characters`);
      assert.ok(decoded instanceof ApplicationFailure, 'still an application failure');
      assert.equal(decoded.type, 'network');
      await handle.terminate('seen');
    });
  });
});
