import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { sandboxEndpoints } from '../../src/sandbox/sandbox';
import { loginWorkflow } from '../../src/workflows';
import { workflowIds, type LoginInput } from '../../src/domain/contracts';
import {
  enterCodeUpdate,
  loginCodeSignal,
  loginStatusQuery,
  passwordReadySignal,
  passwordReadyUpdate,
  sessionStopSignal,
  type LoginState,
} from '../../src/workflows/messages';
import { sandboxWorkers } from '../helpers/workers';
import { sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { latestLoginCode, messagesToOwner, sessionState, telegramControl } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueId, uniqueTaskQueue } from '../helpers/temporal';

/**
 * loginWorkflow on the dev server, with worker processes (so they can die) and GramJS against the Telegram simulator:
 * 2FA, expiry, a worker restarted under the same id (the same code still works), and a worker gone for good (the
 * login starts over with a new code on the other worker and tells the owner).
 */
const alicePhone = '+15550100001';
const accounts = () => createFileAccountStore(sandboxEndpoints(testSandboxPort()).accountStorePath);
const launch = sandboxWorkers();
after(closeTestClient);

const startWorker = (taskQueue: string, workerId: string) => launch(taskQueue, { WORKER_ID: workerId });

async function startLogin(taskQueue: string, input: Partial<LoginInput> = {}) {
  const client = await testClient();
  return client.workflow.start(loginWorkflow, {
    taskQueue,
    workflowId: `${workflowIds.login('alice')}-${uniqueId('test')}`,
    args: [{ accountId: 'alice', phone: alicePhone, ...input }],
  });
}

const status = (handle: WorkflowHandle) => handle.query(loginStatusQuery);
const reach = (handle: WorkflowHandle, state: LoginState, timeoutMs?: number) =>
  eventually(`login ${state}`, async () => (await status(handle)).state === state, timeoutMs);
async function codeSent(): Promise<string> {
  const code = await latestLoginCode(alicePhone);
  assert.ok(code, 'a code was sent to the phone');
  return code;
}

/** The session workflow a login starts is account:alice; the tests stop it, so the sandbox account is free again. */
async function stopAliceSession(): Promise<void> {
  const session = (await testClient()).workflow.getHandle(workflowIds.account('alice'));
  await eventually('alice connected with the new session', async () => (await sessionState(session)) === 'connected');
  await session.signal(sessionStopSignal);
  await session.result();
}

describe('loginWorkflow', () => {
  test('with 2FA: a wrong code and a wrong password are asked again; the session is stored, never in history', async () => {
    const taskQueue = uniqueTaskQueue('login-2fa');
    const password = `pw-${uniqueId('2fa')}`;
    await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/password', { accountId: 'alice', password });
    const before = await accounts().telegramSession('alice');
    try {
      await startWorker(taskQueue, 'twofa');
      const handle = await startLogin(taskQueue);
      await reach(handle, 'awaiting-code');
      const code = await codeSent();

      await handle.signal(loginCodeSignal, code === '11111' ? '22222' : '11111');
      await eventually('the wrong code refused', async () =>
        /refused the code/.test((await status(handle)).lastError ?? ''),
      );
      await reach(handle, 'awaiting-code');
      await handle.signal(loginCodeSignal, code);
      await reach(handle, 'awaiting-password');

      await accounts().saveTwoFactorPassword('alice', 'not the password');
      await handle.signal(passwordReadySignal);
      await eventually('the wrong password refused', async () =>
        /refused the 2FA password/.test((await status(handle)).lastError ?? ''),
      );
      assert.equal(await accounts().twoFactorPassword('alice'), undefined, 'a used password leaves the store');
      await accounts().saveTwoFactorPassword('alice', password);
      await handle.signal(passwordReadySignal);

      assert.deepEqual(await handle.result(), { status: 'logged-in' });
      const session = await accounts().telegramSession('alice');
      assert.notEqual(session, before, 'the new session is in the account store');
      assert.equal(await accounts().twoFactorPassword('alice'), undefined);
      assert.equal(await accounts().pendingLogin('alice'), undefined);
      await stopAliceSession(); // it connected with the new session

      const history = JSON.stringify(await handle.fetchHistory());
      assert.ok(!history.includes(password), 'the 2FA password is not in the history');
      assert.ok(!history.includes(session), 'the session is not in the history');
    } finally {
      await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/password', {
        accountId: 'alice',
        password: null,
      });
    }
  });

  test('the code and the password as Updates: each answers with where the login stands; a step out of turn is refused', async () => {
    const taskQueue = uniqueTaskQueue('login-updates');
    const password = `pw-${uniqueId('2fa')}`;
    await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/password', { accountId: 'alice', password });
    try {
      await startWorker(taskQueue, 'updates');
      const handle = await startLogin(taskQueue);
      await reach(handle, 'awaiting-code');
      const code = await codeSent();
      const refusedType = (err: unknown) =>
        err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
          ? err.cause.type
          : String(err);

      const outOfTurn = await handle.executeUpdate(passwordReadyUpdate).then(() => 'taken', refusedType);
      assert.equal(outOfTurn, 'not-awaiting-this-step', 'no password is asked for yet');
      const wrong = await handle.executeUpdate(enterCodeUpdate, { args: [code === '11111' ? '22222' : '11111'] });
      assert.deepEqual([wrong.state, wrong.lastError], ['awaiting-code', 'Telegram refused the code: enter it again']);
      assert.equal((await handle.executeUpdate(enterCodeUpdate, { args: [code] })).state, 'awaiting-password');

      await accounts().saveTwoFactorPassword('alice', password);
      assert.equal((await handle.executeUpdate(passwordReadyUpdate)).state, 'logged-in');
      assert.deepEqual(await handle.result(), { status: 'logged-in' });
      await stopAliceSession();
    } finally {
      await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/password', {
        accountId: 'alice',
        password: null,
      });
    }
  });

  test('a code not entered in time ends the login as expired, and the worker lets go of it', async () => {
    const taskQueue = uniqueTaskQueue('login-expiry');
    await startWorker(taskQueue, 'expiry');
    const handle = await startLogin(taskQueue, { codeTimeout: '2s' });
    await reach(handle, 'awaiting-code');
    assert.deepEqual(await handle.result(), { status: 'expired' });
    const { state, lastError } = await status(handle);
    assert.equal(state, 'expired');
    assert.match(lastError ?? '', /not entered in time \(2s\)/);
    assert.equal(await accounts().pendingLogin('alice'), undefined);
  });

  test('a bad code timeout fails the login at once with what to fix', async () => {
    const taskQueue = uniqueTaskQueue('login-bad-input');
    await startWorker(taskQueue, 'bad-input');
    const handle = await startLogin(taskQueue, { codeTimeout: 'soon' });
    await assert.rejects(handle.result(), (err: Error & { cause?: Error }) => {
      assert.match(err.cause?.message ?? '', /codeTimeout: expected a duration such as 90s, 5m or 24h \(got "soon"\)/);
      return true;
    });
  });

  test('every worker restarted between "code sent" and "code entered": the same code still logs in', async () => {
    const taskQueue = uniqueTaskQueue('login-restart');
    const first = await startWorker(taskQueue, 'restart');
    const handle = await startLogin(taskQueue);
    await reach(handle, 'awaiting-code');
    const code = await codeSent();
    first.child.kill('SIGKILL');
    await first.exited;

    await startWorker(taskQueue, 'restart'); // the same id: it polls the same login queue
    await handle.signal(loginCodeSignal, code);
    assert.deepEqual(await handle.result(), { status: 'logged-in' });
    assert.equal((await status(handle)).codesSent, 1, 'no second code was needed');
    await stopAliceSession();
  });

  test('the worker holding the login gone for good: a new code from the other worker, and the owner is told', async () => {
    const taskQueue = uniqueTaskQueue('login-lost');
    const holder = await startWorker(taskQueue, 'lost-a');
    // Long enough for the second worker to start on a loaded machine; the loss is noticed by the step's own
    // schedule-to-start timeout, well within it.
    const handle = await startLogin(taskQueue, { codeTimeout: '30s' });
    await reach(handle, 'awaiting-code');
    const firstCode = await codeSent();
    await startWorker(taskQueue, 'lost-b');
    holder.child.kill('SIGKILL');
    await holder.exited;

    // The code reaches the workflow, but the worker that could use it never comes back within the code's life.
    await handle.signal(loginCodeSignal, firstCode);
    await eventually('a second code', async () => (await status(handle)).codesSent === 2, 30_000);
    await reach(handle, 'awaiting-code');
    assert.match((await status(handle)).lastError ?? '', /worker holding the login was lost/);
    await eventually('the owner told', async () =>
      (await messagesToOwner('alice')).some((text) => /a new code is on its way/.test(text)),
    );
    const secondCode = await codeSent();
    await handle.signal(loginCodeSignal, secondCode);
    assert.deepEqual(await handle.result(), { status: 'logged-in' });
    await stopAliceSession();
  });
});
