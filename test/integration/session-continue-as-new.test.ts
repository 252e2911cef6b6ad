import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ownDevServerPorts } from '../../scripts/lib/dev-server';
import { resolveTemporalCli } from '../../scripts/lib/temporal-cli-build';
import { accountSessionWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { sessionStatusQuery, sessionStopSignal } from '../../src/workflows/messages';
import { workerOptions } from '../../src/workers/worker-options';
import { searchAttributeKeys } from '../../src/workflows/search-attributes';
import { sandboxActivities, sandboxCall } from '../helpers/sandbox';
import { injectMessage, sessionState, storedTexts, telegramControl, uniqueChatId } from '../helpers/session';
import { eventually, testDataConverter, uniqueTaskQueue, workflowBundlePath } from '../helpers/temporal';

/**
 * Continue-as-new on a dev server of its own that suggests it after 40 events (Temporal's default is thousands), with
 * a session that reports every half second: the account session rolls over to fresh runs again and again while
 * messages keep arriving, and carries its point and counters across.
 */
const threshold = 40;
let env: TestWorkflowEnvironment;
before(async () => {
  const { port, portArgs } = await ownDevServerPorts();
  env = await TestWorkflowEnvironment.createLocal({
    client: { dataConverter: testDataConverter() },
    server: {
      executable: { type: 'existing-path', path: resolveTemporalCli() },
      port,
      searchAttributes: searchAttributeKeys,
      extraArgs: [
        '--log-level',
        'error',
        ...portArgs,
        '--dynamic-config-value',
        `limit.historyCount.suggestContinueAsNew=${threshold}`,
      ],
    },
  });
});
after(async () => {
  await env?.teardown();
});

describe('accountSessionWorkflow and continue-as-new', () => {
  test('rolls over to fresh histories, keeping the sync point and counters, losing no message', async () => {
    const taskQueue = uniqueTaskQueue('session-can');
    const chatId = uniqueChatId();
    const { activities } = await sandboxActivities(taskQueue, {
      client: env.client,
      // Many small events (a report every half-second ping) reach the threshold in seconds; heartbeats each second,
      // not every 30 s, so the activity hears of the rollover before the reports pile up far past it.
      session: { pingEveryMs: 500, reportEveryPings: 1, heartbeatEveryMs: 1000 },
    });
    const worker = await Worker.create(
      workerOptions({
        connection: env.nativeConnection,
        taskQueue,
        activities,
        workflowBundlePath: workflowBundlePath(),
        dataConverter: testDataConverter(),
      }),
    );
    await worker.runUntil(async () => {
      const workflowId = `${workflowIds.account('bob')}-can-${chatId}`;
      const started = await env.client.workflow.start(accountSessionWorkflow, {
        taskQueue,
        workflowId,
        args: [{ accountId: 'bob' }],
      });
      const latest = env.client.workflow.getHandle(workflowId);
      const runId = async () => (await latest.describe()).runId;
      await eventually('connected', async () => (await sessionState(latest)) === 'connected');

      await injectMessage('bob', chatId, 'before 1');
      await injectMessage('bob', chatId, 'before 2');
      // A dropped connection gives the counters something to carry.
      await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/disconnect', { accountId: 'bob', forMs: 500 });
      await eventually('a reconnect counted', async () => (await latest.query(sessionStatusQuery)).reconnects >= 1);

      await eventually('a first continue-as-new', async () => (await runId()) !== started.firstExecutionRunId);
      const secondRun = await runId();
      await injectMessage('bob', chatId, 'after 1');
      await injectMessage('bob', chatId, 'after 2');
      await eventually('another continue-as-new', async () => (await runId()) !== secondRun, 60_000);
      await eventually('every message in Convex', async () => (await storedTexts('bob', chatId)).length >= 4);
      assert.deepEqual((await storedTexts('bob', chatId)).sort(), ['after 1', 'after 2', 'before 1', 'before 2']);
      await eventually('connected in the latest run', async () => (await sessionState(latest)) === 'connected');
      const status = await latest.query(sessionStatusQuery);
      assert.ok(status.reconnects >= 1, `reconnects carried: ${status.reconnects}`);
      assert.ok(status.failures >= 1, `failures carried: ${status.failures}`);
      assert.ok(status.lastSuccessAt, 'lastSuccessAt carried');

      // Each run's history stays near the threshold instead of growing with the account's lifetime: past it, the
      // activity learns of the rollover with its next heartbeat (about a second of half-second reports later).
      const first = env.client.workflow.getHandle(workflowId, started.firstExecutionRunId);
      const events = (await first.fetchHistory()).events ?? [];
      console.log(`  first run: ${events.length} events, then continued as new (threshold ${threshold})`);
      assert.ok(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes, 'the first run continued as new');
      assert.ok(events.length < threshold + 100, `${events.length} events in the first run`);

      await latest.signal(sessionStopSignal);
      await latest.result();
      assert.equal(await sessionState(latest), 'stopped');
    });
  });
});
