import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../src/activities';
import { createOpenAiPort } from '../src/adapters/openai/openai-ai';
import type { RunningSimulator } from '../src/sandbox/http-simulator';
import { createInMemorySandbox } from '../src/sandbox/in-memory';
import { startOpenAiSimulator } from '../src/sandbox/openai-simulator';
import { replyWorkflow } from '../src/workflows';
import { closeTestClient, testClient, uniqueId, uniqueTaskQueue, withWorker } from './helpers/temporal';

/**
 * The AI activity on the real dev server, through the real `openai` library, against the simulator: Temporal's
 * policy (2 s doubling) paces 5xx retries, and a 429 moves the next attempt to the reset time the server gave.
 */
let simulator: RunningSimulator;
before(async () => {
  simulator = await startOpenAiSimulator();
});
after(async () => {
  await simulator.close();
  await closeTestClient();
});

async function draftWith(faults: Parameters<RunningSimulator['setFaults']>[0]) {
  simulator.setFaults(faults);
  const sent = simulator.requests().length;
  const services = {
    ...createInMemorySandbox(),
    ai: createOpenAiPort({ apiKey: 'sk-sandbox', baseUrl: `${simulator.url}/v1`, model: 'gpt-sandbox' }),
  };
  const taskQueue = uniqueTaskQueue('ai');
  const client = await testClient();
  const result = await withWorker({ taskQueue, activities: createActivities({ services, ownerChatId: '1000' }) }, () =>
    client.workflow.execute(replyWorkflow, {
      taskQueue,
      workflowId: uniqueId('reply'),
      args: [{ accountId: 'alice', tweet: { id: '7', text: 'Durable?', authorUsername: 'bob' }, approval: 'auto' }],
    }),
  );
  const requests = simulator.requests().slice(sent);
  const gapsMs = requests.slice(1).map((request, i) => request.at - (requests[i]?.at ?? 0));
  return { result, statuses: requests.map((request) => request.status), gapsMs };
}

describe('AI activity retries on the real dev server', () => {
  test('a 429 with a 4 s reset: the next attempt waits for the reset, with no request in between', async () => {
    const { result, statuses, gapsMs } = await draftWith({ rateLimitRate: 1, rateLimitResetSeconds: 4, burst: 1 });
    assert.equal(result.status, 'posted');
    assert.deepEqual(statuses, [429, 200]);
    // The policy alone would retry after 2 s; the server's reset time (4 s) wins.
    assert.ok(gapsMs[0]! >= 3_500, `retried after ${gapsMs[0]} ms, before the reset`);
  });

  test('a 5xx burst longer than one backoff step is absorbed on the policy backoff (2 s, then 4 s)', async () => {
    const { result, statuses, gapsMs } = await draftWith({ errorRate: 1, errorStatus: 503, burst: 2 });
    assert.equal(result.status, 'posted');
    assert.deepEqual(statuses, [503, 503, 200]);
    assert.ok(gapsMs[0]! >= 1_500 && gapsMs[1]! >= 3_500, `gaps ${gapsMs.join(', ')} ms`);
  });
});
