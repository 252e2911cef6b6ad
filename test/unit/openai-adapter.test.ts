import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { msToNumber } from '@temporalio/common/lib/time';
import { createOpenAiPort } from '../../src/adapters/openai/openai-ai';
import type { RunningSimulator } from '../../src/sandbox/http-simulator';
import { sandboxOpenAiKey, startOpenAiSimulator } from '../../src/sandbox/openai-simulator';
import { failureOf } from '../helpers/failure-of';

/** The real `openai` library against the OpenAI-compatible simulator, with faults on: every row of the AI retry table. */
let simulator: RunningSimulator;
before(async () => {
  simulator = await startOpenAiSimulator();
});
after(() => simulator.close());
beforeEach(() => simulator.setFaults({}));

const tweet = { id: '1', text: 'Is Temporal durable?', authorUsername: 'bob' };
const port = (timeoutMs?: number) =>
  createOpenAiPort({ apiKey: sandboxOpenAiKey, baseUrl: `${simulator.url}/v1`, model: 'sandbox-model', timeoutMs });

describe('OpenAI adapter against the simulator', () => {
  test('drafts a reply through chat completions', async () => {
    const text = await port().draftReply({ accountId: 'alice', tweet });
    assert.equal(text, 'Thanks for this! Is Temporal durable?: here is our take.');
    const state = (await (await fetch(`${simulator.url}/_sandbox/state`)).json()) as { completions: unknown[] };
    assert.equal(state.completions.length, 1);
  });

  test('asked to avoid drafts X refused, the prompt lists them and the model words the reply anew', async () => {
    const first = await port().draftReply({ accountId: 'alice', tweet });
    const second = await port().draftReply({ accountId: 'alice', tweet, avoid: [first] });
    const third = await port().draftReply({ accountId: 'alice', tweet, avoid: [first, second] });
    assert.equal(new Set([first, second, third]).size, 3, [first, second, third].join(' | '));
    const state = (await (await fetch(`${simulator.url}/_sandbox/state`)).json()) as {
      completions: { prompt: string }[];
    };
    const prompt = state.completions.at(-1)?.prompt ?? '';
    assert.match(prompt, /^@bob wrote: Is Temporal durable\?\nX refused these drafts as duplicates/);
    assert.ok(prompt.includes(`- ${first}\n- ${second}`), prompt);
  });

  test('a 5xx is retryable (upstream)', async () => {
    simulator.setFaults({ errorRate: 1, errorStatus: 503 });
    const failure = await failureOf(port().draftReply({ accountId: 'alice', tweet }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['upstream', false]);
    assert.match(failure.message, /AI API answered 503/);
  });

  for (const [status, category] of [
    [400, 'invalid-input'],
    [401, 'auth'],
    [403, 'permission'],
    [404, 'not-found'],
  ] as const) {
    test(`a ${status} is never retried (${category})`, async () => {
      simulator.setFaults({ errorRate: 1, errorStatus: status });
      const failure = await failureOf(port().draftReply({ accountId: 'alice', tweet }));
      assert.deepEqual([failure.type, failure.nonRetryable], [category, true]);
    });
  }

  test('a 429 waits for the reset time the server gives', async () => {
    simulator.setFaults({ rateLimitRate: 1, rateLimitResetSeconds: 7 });
    const failure = await failureOf(port().draftReply({ accountId: 'alice', tweet }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['rate-limit', false]);
    assert.ok(failure.nextRetryDelay !== undefined && failure.nextRetryDelay !== null);
    const delay = msToNumber(failure.nextRetryDelay);
    assert.ok(Math.abs(delay - 7000) <= 1000, `nextRetryDelay ${delay} ms, expected about 7000`);
  });

  test('no answer within the request timeout is a retryable timeout', async () => {
    simulator.setFaults({ timeoutRate: 1 });
    const failure = await failureOf(port(300).draftReply({ accountId: 'alice', tweet }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['timeout', false]);
  });

  test('a refused connection is a retryable network failure', async () => {
    const closed = await startOpenAiSimulator();
    await closed.close();
    const failure = await failureOf(
      createOpenAiPort({ apiKey: 'k', baseUrl: `${closed.url}/v1`, model: 'm' }).draftReply({ accountId: 'a', tweet }),
    );
    assert.deepEqual([failure.type, failure.nonRetryable], ['network', false]);
  });

  test('the same seed injects the same faults', async () => {
    const outcomes = async () => {
      simulator.setFaults({ errorRate: 0.5, seed: 42 });
      const results: boolean[] = [];
      for (let i = 0; i < 12; i++) {
        results.push(
          await port()
            .draftReply({ accountId: 'alice', tweet })
            .then(
              () => true,
              () => false,
            ),
        );
      }
      return results;
    };
    const first = await outcomes();
    assert.deepEqual(await outcomes(), first);
    assert.ok(first.includes(true) && first.includes(false));
  });

  test('POST /_sandbox/faults sets faults over HTTP, and names a bad field', async () => {
    const post = (body: unknown) =>
      fetch(`${simulator.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify(body) });
    const ok = await post({ errorRate: 1, errorStatus: 502, burst: 1 });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { errorRate: number }).errorRate, 1);
    const first = await failureOf(port().draftReply({ accountId: 'alice', tweet }));
    assert.equal(first.type, 'upstream');
    assert.match(await port().draftReply({ accountId: 'alice', tweet }), /Thanks/, 'the burst of one is over');

    const bad = await post({ errorRate: 2 });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^errorRate: /);
    // Telegram's own spelling is not GramJS's class name: refused, rather than a filter that never matches.
    for (const request of ['messages.sendMessage', '/v1/chat/completions']) {
      const refused = await post({ errorRate: 1, requests: [request] });
      assert.equal(refused.status, 400, request);
      assert.match(((await refused.json()) as { error: string }).error, /^requests\.0: .*messages\.SendMessage/);
    }
    assert.equal((await post({ errorRate: 1, requests: ['GET /elsewhere'] })).status, 200);
    assert.match(await port().draftReply({ accountId: 'alice', tweet }), /Thanks/, 'only GET /elsewhere gets faults');
  });
});
