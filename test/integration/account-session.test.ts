import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { accountSessionWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import {
  reloginSignal,
  sessionPauseSignal,
  sessionResumeSignal,
  sessionStatusQuery,
  sessionStopSignal,
} from '../../src/workflows/messages';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { sandboxEndpoints } from '../../src/sandbox/sandbox';
import { sandboxActivities, sandboxCall, testSandboxPort } from '../helpers/sandbox';
import {
  injectMessage,
  sessionOfAnotherTelegram,
  sessionState,
  storedTexts,
  telegramConnections,
  telegramControl,
  uniqueChatId,
} from '../helpers/session';
import {
  closeTestClient,
  decidedAfter,
  eventually,
  scheduledActivity,
  testClient,
  uniqueTaskQueue,
  withWorker,
} from '../helpers/temporal';

/**
 * The account session on the dev server, with GramJS against the Telegram simulator and the syncs into the Convex
 * simulator: live messages, a disconnect, the catch-up of what arrived meanwhile.
 */
after(closeTestClient);

const telegram = telegramControl;
const inject = (chatId: string, text: string) => injectMessage('bob', chatId, text);
const stored = (chatId: string) => storedTexts('bob', chatId);
const state = sessionState;
const connections = telegramConnections;

describe('accountSessionWorkflow', () => {
  test('syncs live messages, reconnects after a disconnect, and catches up what arrived while it was down', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('session');
    const chatId = uniqueChatId();
    const { activities } = await sandboxActivities(taskQueue);
    await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(accountSessionWorkflow, {
        taskQueue,
        workflowId: `${workflowIds.account('bob')}-${chatId}`,
        args: [{ accountId: 'bob' }],
      });
      await eventually('connected', async () => (await state(handle)) === 'connected');

      await inject(chatId, 'live 1');
      await inject(chatId, 'live 2');
      await eventually('the live messages in Convex', async () => (await stored(chatId)).length === 2);

      const downMs = 1500;
      await sandboxCall(telegram(), 'POST', '/_sandbox/telegram/disconnect', { accountId: 'bob', forMs: downMs });
      const reachableAt = Date.now() + downMs;
      await eventually('reconnecting', async () => (await state(handle)) === 'reconnecting', 10_000);
      await inject(chatId, 'while down 1');
      await inject(chatId, 'while down 2');
      await eventually('connected again', async () => (await state(handle)) === 'connected', 30_000);
      console.log(`  connected again ${Date.now() - reachableAt} ms after Telegram was reachable (goal: < 2000 ms)`);

      await eventually('the caught-up messages in Convex', async () => (await stored(chatId)).length === 4);
      assert.deepEqual((await stored(chatId)).sort(), ['live 1', 'live 2', 'while down 1', 'while down 2']);
      const status = await handle.query(sessionStatusQuery);
      assert.equal(status.reconnects, 1);
      assert.ok(status.failures >= 1);
      assert.ok((status.latencyMs ?? 0) >= 0);

      await handle.signal(sessionStopSignal);
      await handle.result();
      assert.equal(await state(handle), 'stopped');
    });
  });

  test('a revoked session gives needs-login; after a new login, relogin brings it back', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('session-revoked');
    const { activities, services } = await sandboxActivities(taskQueue);
    const accounts = createFileAccountStore(sandboxEndpoints(testSandboxPort()).accountStorePath);
    await withWorker({ taskQueue, activities }, async () => {
      const handle = await client.workflow.start(accountSessionWorkflow, {
        taskQueue,
        workflowId: `${workflowIds.account('bob')}-revoked-${Date.now()}`,
        args: [{ accountId: 'bob' }],
      });
      await eventually('connected', async () => (await state(handle)) === 'connected');
      await sandboxCall(telegram(), 'POST', '/_sandbox/telegram/revoke', { accountId: 'bob' });
      await eventually('needs-login', async () => (await state(handle)) === 'needs-login', 30_000);
      assert.match((await handle.query(sessionStatusQuery)).lastError ?? '', /SESSION_REVOKED/);

      // The owner logs bob in again (code from the "phone"), the session goes to the account store, then relogin.
      const login = await services.telegram.startLogin({ phone: '+15550100002' });
      try {
        await login.sendCode();
        const { loginCodes } = (
          await sandboxCall<{ loginCodes: { phone: string; code: string }[] }>(telegram(), 'GET', '/_sandbox/state')
        ).body;
        const code = loginCodes.filter((c) => c.phone === '+15550100002').at(-1)?.code ?? '';
        assert.equal(await login.signIn(code), 'logged-in');
        await accounts.saveTelegramSession('bob', login.session());
      } finally {
        await login.close();
      }
      await handle.signal(reloginSignal);
      await eventually('connected after relogin', async () => (await state(handle)) === 'connected', 30_000);
      await handle.signal(sessionStopSignal);
      await handle.result();
    });
  });

  test('a session whose auth key Telegram does not know gives needs-login at once, not endless reconnects', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('session-unknown-key');
    const { activities } = await sandboxActivities(taskQueue);
    const accounts = createFileAccountStore(sandboxEndpoints(testSandboxPort()).accountStorePath);
    const bobsSession = await accounts.telegramSession('bob');
    await accounts.saveTelegramSession('bob', await sessionOfAnotherTelegram());
    try {
      await withWorker({ taskQueue, activities }, async () => {
        const handle = await client.workflow.start(accountSessionWorkflow, {
          taskQueue,
          workflowId: `${workflowIds.account('bob')}-unknown-key-${Date.now()}`,
          args: [{ accountId: 'bob' }],
        });
        await eventually('needs-login', async () => (await state(handle)) === 'needs-login', 30_000);
        const status = await handle.query(sessionStatusQuery);
        assert.match(status.lastError ?? '', /does not know this session \(transport error -404\)/);
        assert.deepEqual([status.failures, status.reconnects], [1, 0], 'one failed connection, no reconnect');
        await handle.signal(sessionStopSignal);
        await handle.result();
      });
    } finally {
      await accounts.saveTelegramSession('bob', bobsSession);
    }
  });

  test('pause disconnects and holds; messages sent meanwhile are synced after resume', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('session-pause');
    const chatId = uniqueChatId();
    const { activities, ownQueue } = await sandboxActivities(taskQueue);
    // The worker's own task queue too, as a real worker polls it: the pause is routed there.
    const both = (run: () => Promise<void>) => withWorker(ownQueue, () => withWorker({ taskQueue, activities }, run));
    await both(async () => {
      const handle = await client.workflow.start(accountSessionWorkflow, {
        taskQueue,
        workflowId: `${workflowIds.account('bob')}-pause-${chatId}`,
        args: [{ accountId: 'bob' }],
      });
      await eventually('connected', async () => (await state(handle)) === 'connected');
      const pausedAt = performance.now();
      await handle.signal(sessionPauseSignal);
      await eventually('paused', async () => (await state(handle)) === 'paused');
      console.log(`  paused, the connection closed, ${Math.round(performance.now() - pausedAt)} ms after the signal`);
      assert.equal(await connections('bob'), 0, 'paused: no connection to Telegram');
      // The workflow asked the worker holding the session, on its own queue, to heartbeat at once.
      const hurried = (await handle.fetchHistory()).events?.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'hurrySession',
      );
      assert.equal(hurried?.length, 1);
      assert.equal(hurried?.[0]?.activityTaskScheduledEventAttributes?.taskQueue?.name, ownQueue.taskQueue);
      await inject(chatId, 'while paused 1');
      await inject(chatId, 'while paused 2');
      // Paused, the session's activity has ended and the workflow has decided what follows: no new session (nothing
      // could receive those messages, and no connection is open), so nothing can be synced until it resumes.
      const afterSession = await decidedAfter(handle, 'the session ended by the pause', (event, history) => {
        const closed =
          event.activityTaskCanceledEventAttributes ??
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes;
        const scheduled = history.find((e) => String(e.eventId) === String(closed?.scheduledEventId));
        const paused = history.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pause');
        const ended = scheduled !== undefined && scheduledActivity(scheduled) === 'runSession';
        return ended && paused !== -1 && history.indexOf(event) > paused;
      });
      assert.ok(
        !afterSession.some((event) => scheduledActivity(event) === 'runSession'),
        'no session runs while paused',
      );
      assert.equal(await connections('bob'), 0, 'still no connection to Telegram');
      assert.deepEqual(await stored(chatId), [], 'nothing is synced while paused');

      await handle.signal(sessionResumeSignal);
      await eventually('connected again', async () => (await state(handle)) === 'connected');
      await eventually('the messages in Convex', async () => (await stored(chatId)).length === 2);
      assert.deepEqual((await stored(chatId)).sort(), ['while paused 1', 'while paused 2']);
      await handle.signal(sessionStopSignal);
      await handle.result();
    });
  });
});
