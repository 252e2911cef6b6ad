import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createConvexAccountStore } from '../../src/adapters/account-store/convex-account-store';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { loadConfig } from '../../src/config';
import { keyRingOf } from '../../src/encryption/key-ring';
import { sandboxConvexSecret, sandboxEndpoints } from '../../src/sandbox/endpoints';
import { accountSessionWorkflow, loginWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { loginCodeSignal, loginStatusQuery, sessionStopSignal } from '../../src/workflows/messages';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { latestLoginCode, sessionState, telegramControl } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueId, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * Workers on two hosts with the shared account store (STEADFAST_ACCOUNT_STORE=convex): a login held by one worker
 * writes the new Telegram session to Convex, and a session run by the other, after the first is gone, connects with
 * it. The host's own file keeps the old session, which Telegram revoked: only the shared store can have told it.
 */
const launch = sandboxWorkers();
after(closeTestClient);

const alicePhone = '+15550100001';
const shared = { STEADFAST_ACCOUNT_STORE: 'convex' };
const endpoints = () => sandboxEndpoints(testSandboxPort());
const convexStore = () =>
  createConvexAccountStore({
    url: endpoints().convexUrl,
    secret: sandboxConvexSecret,
    keys: keyRingOf(loadConfig({ STEADFAST_SANDBOX: 'on' }).temporal.encryption)!,
  });

describe('the shared account store', () => {
  test('a login made on one worker is used by a session on another', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('shared-store');
    const file = createFileAccountStore(endpoints().accountStorePath);
    const fileSession = await file.telegramSession('alice');
    try {
      // Telegram forgets every session of alice's, the file's included: a session can connect only after a login.
      await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/revoke', { accountId: 'alice' });
      const first = await launch(taskQueue, { WORKER_ID: uniqueId('host-a'), ...shared });
      const login = await client.workflow.start(loginWorkflow, {
        taskQueue,
        workflowId: `${workflowIds.login('alice')}-${uniqueId('shared')}`,
        args: [{ accountId: 'alice', phone: alicePhone }],
      });
      await eventually(
        'awaiting the code',
        async () => (await login.query(loginStatusQuery)).state === 'awaiting-code',
      );
      await login.signal(loginCodeSignal, (await latestLoginCode(alicePhone)) ?? '');
      assert.deepEqual(await login.result(), { status: 'logged-in' });
      const started = client.workflow.getHandle(workflowIds.account('alice'));
      await eventually('the login started the session', async () => (await sessionState(started)) === 'connected');
      await started.signal(sessionStopSignal);
      await started.result();

      const stored = await convexStore().telegramSession('alice');
      assert.notEqual(stored, fileSession, 'the new session is in Convex');
      assert.equal(await file.telegramSession('alice'), fileSession, "the host's file was not written");

      // The first host is gone; the second, with a file of its own that knows nothing new, runs alice's session.
      first.child.kill('SIGKILL');
      await first.exited;
      await launch(taskQueue, { WORKER_ID: uniqueId('host-b'), ...shared });
      const session = await client.workflow.start(accountSessionWorkflow, {
        taskQueue,
        workflowId: `${workflowIds.account('alice')}-${uniqueId('shared')}`,
        args: [{ accountId: 'alice' }],
      });
      await eventually(
        'connected on the other host',
        async () => (await sessionState(session)) === 'connected',
        30_000,
      );
      await session.signal(sessionStopSignal);
      await session.result();
    } finally {
      // The lane's other files use the file store: give it the session that works now.
      const current = await convexStore().telegramSession('alice');
      if (current) await file.saveTelegramSession('alice', current);
    }
  });
});
