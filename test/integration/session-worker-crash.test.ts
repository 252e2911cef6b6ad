import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { accountSessionWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { sessionStatusQuery, sessionStopSignal } from '../../src/workflows/messages';
import { sandboxWorkers } from '../helpers/workers';
import { injectMessage, sessionState, storedTexts, telegramConnections, uniqueChatId } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue } from '../helpers/temporal';

/**
 * A worker holding an account's Telegram session dies with SIGKILL (no shutdown, no last word to Temporal): the
 * missed heartbeats tell Temporal, the retry runs on the other worker process, and the messages that arrived in the
 * meantime are synced, each once. Only one connection to Telegram is left for the account.
 */
const startWorker = sandboxWorkers();
after(closeTestClient);

describe('a worker holding a Telegram session killed with SIGKILL', () => {
  test('the session resumes on the other worker, and nothing that arrived meanwhile is lost', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('session-crash');
    const chatId = uniqueChatId();
    const workers = [await startWorker(taskQueue), await startWorker(taskQueue)];
    const handle = await client.workflow.start(accountSessionWorkflow, {
      taskQueue,
      workflowId: `${workflowIds.account('bob')}-crash-${chatId}`,
      args: [{ accountId: 'bob' }],
    });
    await eventually('connected', async () => (await sessionState(handle)) === 'connected');
    await injectMessage('bob', chatId, 'before the crash');
    await eventually('the first message in Convex', async () => (await storedTexts('bob', chatId)).length === 1);

    // The worker running the session activity: its identity is Temporal's default, `pid@host`.
    const identity = (await handle.describe()).raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
    const holder = workers.find((worker) => identity.startsWith(`${worker.child.pid}@`));
    assert.ok(holder, `no test worker is ${identity}`);
    holder.child.kill('SIGKILL');
    assert.equal((await holder.exited).signal, 'SIGKILL');
    const killedAt = Date.now();
    await injectMessage('bob', chatId, 'while the worker was dead 1');
    await injectMessage('bob', chatId, 'while the worker was dead 2');

    // The heartbeat timeout (40 s, policies.telegramSession) notices the dead worker; the retry reconnects.
    await eventually(
      'reconnected on the other worker',
      async () => {
        const status = await handle.query(sessionStatusQuery);
        return status.state === 'connected' && status.reconnects === 1;
      },
      60_000,
    );
    console.log(`  connected on the other worker ${Date.now() - killedAt} ms after the kill`);
    const survivor = workers.find((worker) => worker !== holder);
    const newIdentity = (await handle.describe()).raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
    assert.ok(newIdentity.startsWith(`${survivor?.child.pid}@`), `the session runs on ${newIdentity}`);

    await eventually('every message in Convex', async () => (await storedTexts('bob', chatId)).length >= 3);
    assert.deepEqual((await storedTexts('bob', chatId)).sort(), [
      'before the crash',
      'while the worker was dead 1',
      'while the worker was dead 2',
    ]);
    assert.equal(await telegramConnections('bob'), 1, 'one live Telegram connection for the account');

    await handle.signal(sessionStopSignal);
    await handle.result();
    await eventually('disconnected after stop', async () => (await telegramConnections('bob')) === 0);
  });
});
