import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { msToNumber } from '@temporalio/common/lib/time';
import { createTelegramPort } from '../../src/adapters/telegram/telegram-port';
import type { ButtonTap, SyncPoint, TelegramMessage, TelegramSession } from '../../src/ports/telegram';
import {
  sandboxControlBot,
  sandboxTelegramApp,
  startTelegramSimulator,
  type RunningTelegramSimulator,
  type SimulatedMessage,
} from '../../src/sandbox/telegram/telegram-simulator';
import { failureOf } from '../helpers/failure-of';
import { sandboxCall } from '../helpers/sandbox';
import { sessionOfAnotherTelegram } from '../helpers/session';
import { eventually } from '../helpers/temporal';

/**
 * The real GramJS client over MTProto against the Telegram simulator, with faults on: the Telegram rows of the retry
 * table, the session's gap-free message stream and its catch-up after a disconnect.
 */
let simulator: RunningTelegramSimulator;
before(async () => {
  simulator = await startTelegramSimulator();
});
after(() => simulator.close());
/** Telegram's sending limits are on by default; most tests here send faster than they allow, so they lift them. */
const setLimits = (limits: object) => sandboxCall(simulator, 'POST', '/_sandbox/telegram/limits', limits);
beforeEach(async () => {
  simulator.setFaults({});
  await setLimits({ off: true });
});

/** The simulator's data centre, and the key its key exchange is signed with: a new session starts there. */
const server = () => ({
  server: { host: '127.0.0.1', port: simulator.mtprotoPort },
  publicKey: simulator.serverKey.publicPem,
});
const newSession = async () =>
  (await sandboxCall<{ session: string }>(simulator, 'POST', '/_sandbox/telegram/sessions', {})).body.session;
const port = (sessionFor = async (accountId: string) => simulator.sessionFor(accountId)) =>
  createTelegramPort({ ...sandboxTelegramApp, ...server(), sessionFor, requestTimeoutMs: 3000 });

/** The port with the control bot configured: its token, and its session kept in `store`. */
const botPort = (token: string, store: { session?: string } = {}) =>
  createTelegramPort({
    ...sandboxTelegramApp,
    ...server(),
    sessionFor: async (accountId) => simulator.sessionFor(accountId),
    requestTimeoutMs: 3000,
    bot: {
      accountId: sandboxControlBot.accountId,
      token,
      storedSession: async () => store.session,
      saveSession: async (session) => void (store.session = session),
    },
  });

/** The code the simulator "sent to the phone". */
const lastCode = async (phone: string) => {
  const { loginCodes } = (
    await sandboxCall<{ loginCodes: { phone: string; code: string }[] }>(simulator, 'GET', '/_sandbox/state')
  ).body;
  const code = loginCodes.filter((c) => c.phone === phone).at(-1)?.code;
  assert.ok(code, `no code sent to ${phone}`);
  return code;
};
const alicePhone = '+15550100001';

const inject = async (accountId: string, text: string, chatId = '555') =>
  (
    await sandboxCall<{ messageId: number }>(simulator, 'POST', '/_sandbox/telegram/incoming', {
      accountId,
      chatId,
      text,
    })
  ).body.messageId;

const sentMessages = async (accountId: string) =>
  (await sandboxCall<{ messages: SimulatedMessage[] }>(simulator, 'GET', '/_sandbox/state')).body.messages.filter(
    (m) => m.accountId === accountId && m.out,
  );

/** Opens a session that records what it hands over. */
async function recordingSession(accountId: string, from?: SyncPoint) {
  const received: TelegramMessage[] = [];
  let point: SyncPoint | undefined = from;
  const session: TelegramSession = await port().openSession({
    accountId,
    from,
    onMessage: async (message, after) => {
      received.push(message);
      point = after;
    },
  });
  return { session, received, point: () => point };
}

describe('Telegram adapter (GramJS over MTProto) against the simulator', () => {
  test('sends a message as the account', async () => {
    const { messageId } = await port().sendMessage({ accountId: 'alice', chatId: '1000', text: 'Draft ready' });
    const sent = await sentMessages('alice');
    assert.deepEqual(
      sent.filter((m) => m.id === messageId).map((m) => [m.chatId, m.text]),
      [['1000', 'Draft ready']],
    );
  });

  test('a session hands over live messages, in order, with the point after each', async () => {
    const { session, received, point } = await recordingSession('alice');
    try {
      const ids = [await inject('alice', 'one'), await inject('alice', 'two', '-77')];
      await eventually('two messages', async () => received.length === 2);
      assert.deepEqual(
        received.map((m) => [m.messageId, m.chatId, m.text]),
        [
          [ids[0], '555', 'one'],
          [ids[1], '-77', 'two'],
        ],
      );
      assert.ok((point()?.pts ?? 0) > 0);
      assert.ok((await session.ping()) >= 0);
    } finally {
      await session.close();
    }
  });

  test('messages that arrived while no session was open are caught up from the last point, once', async () => {
    const first = await recordingSession('bob');
    await inject('bob', 'before');
    await eventually('the first message', async () => first.received.length === 1);
    await first.session.close();
    const stoppedAt = first.point();
    assert.ok(stoppedAt);

    for (const text of ['while down 1', 'while down 2', 'while down 3']) await inject('bob', text);
    const second = await recordingSession('bob', stoppedAt);
    try {
      await inject('bob', 'live again');
      await eventually('four messages', async () => second.received.length >= 4);
      await sleep(200);
      assert.deepEqual(
        second.received.map((m) => m.text),
        ['while down 1', 'while down 2', 'while down 3', 'live again'],
      );
    } finally {
      await second.session.close();
    }
  });

  test('an update Telegram never pushed is fetched when the next one reveals the gap', async () => {
    const { session, received } = await recordingSession('alice');
    try {
      await port().sendMessage({ accountId: 'alice', chatId: '1000', text: 'ours: advances pts, not handed over' });
      await sandboxCall(simulator, 'POST', '/_sandbox/telegram/incoming', {
        accountId: 'alice',
        chatId: '556',
        text: 'lost in transit',
        push: false,
      });
      await inject('alice', 'reveals the gap');
      await eventually('both messages', async () => received.length >= 2);
      await sleep(200);
      assert.deepEqual(
        received.map((m) => m.text),
        ['lost in transit', 'reveals the gap'],
      );
    } finally {
      await session.close();
    }
  });

  test('a dropped connection settles `lost` at once as a retryable network failure; reconnects are refused while down', async () => {
    const { session } = await recordingSession('alice');
    const started = performance.now();
    await sandboxCall(simulator, 'POST', '/_sandbox/telegram/disconnect', { accountId: 'alice', forMs: 1500 });
    const reason = await session.lost;
    const tookMs = performance.now() - started;
    await session.close();
    assert.ok(tookMs < 1000, `lost after ${Math.round(tookMs)} ms`);
    assert.deepEqual(
      [(reason as { type?: string }).type, (reason as { nonRetryable?: boolean }).nonRetryable],
      ['network', false],
    );

    const refused = await failureOf(port().openSession({ accountId: 'alice', onMessage: async () => undefined }));
    assert.deepEqual([refused.type, refused.nonRetryable], ['network', false]);
    await sleep(1600);
    const back = await port().openSession({ accountId: 'alice', onMessage: async () => undefined });
    await back.close();
  });

  test('a FLOOD_WAIT of N seconds gives nextRetryDelay of N seconds', async () => {
    simulator.setFaults({ rateLimitRate: 1, rateLimitResetSeconds: 7, burst: 1 });
    const failure = await failureOf(port().sendMessage({ accountId: 'alice', chatId: '1000', text: 'x' }));
    assert.equal(failure.type, 'rate-limit');
    assert.equal(failure.nonRetryable, false);
    assert.equal(msToNumber(failure.nextRetryDelay ?? 0), 7000);
    assert.match(failure.message, /FLOOD_WAIT_7/);
  });

  test("Telegram's limits: a burst into one chat past the first few gets FLOOD_WAIT; other chats and a repeated random_id pass", async () => {
    await setLimits({}); // as Telegram: about one message a second into a chat, after a short burst
    const send = (chatId: string, text: string, idempotencyKey?: string) =>
      port().sendMessage({ accountId: 'alice', chatId, text, idempotencyKey });
    for (let i = 0; i < 3; i += 1) await send('1000', `burst ${i}`, `burst-${i}`);
    const refused = await failureOf(send('1000', 'one too many'));
    assert.deepEqual([refused.type, refused.nonRetryable], ['rate-limit', false]);
    assert.match(refused.message, /FLOOD_WAIT_1/);
    assert.equal(msToNumber(refused.nextRetryDelay ?? 0), 1000, 'retried when Telegram says it passes');
    await send('555', 'another chat has its own limit');
    await send('1000', 'burst 0', 'burst-0'); // a retry of a send Telegram already took is answered, not counted
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await send('1000', 'a second later it passes');
    const { flood } = (await sandboxCall<{ flood: { floodWaits: number } }>(simulator, 'GET', '/_sandbox/state')).body;
    assert.equal(flood.floodWaits, 1);
  });

  test('a server error is retried (upstream); an unanswered request times out (retryable)', async () => {
    simulator.setFaults({ errorRate: 1, errorStatus: 500, burst: 1 });
    const failure = await failureOf(port().sendMessage({ accountId: 'bob', chatId: '1000', text: 'x' }));
    assert.deepEqual([failure.type, failure.nonRetryable], ['upstream', false]);

    simulator.setFaults({ timeoutRate: 1, burst: 1 });
    const silent = await failureOf(port().sendMessage({ accountId: 'bob', chatId: '1000', text: 'x' }));
    assert.deepEqual([silent.type, silent.nonRetryable], ['timeout', false]);
  });

  test('a send whose answer was lost, retried with the same key, sends once; one without a key sends twice', async () => {
    const lostOnce = () =>
      simulator.setFaults({ lostAnswerRate: 1, burst: 1, requests: ['messages.SendMessage'], seed: 1 });
    const send = (text: string, idempotencyKey?: string) =>
      port().sendMessage({ accountId: 'bob', chatId: '1000', text, idempotencyKey });
    const texts = async (text: string) => (await sentMessages('bob')).filter((m) => m.text === text);

    lostOnce();
    const lost = await failureOf(send('keyed', 'reply:bob:1/run/3'));
    assert.deepEqual([lost.type, lost.nonRetryable], ['timeout', false], 'the sender cannot tell: it retries');
    const { rpc } = (
      await sandboxCall<{ rpc: { method: string; result: string }[] }>(simulator, 'GET', '/_sandbox/state')
    ).body;
    assert.equal(rpc.filter((call) => call.result === 'answer lost').at(-1)?.method, 'messages.SendMessage');
    const retried = await send('keyed', 'reply:bob:1/run/3');
    const keyed = await texts('keyed');
    assert.equal(keyed.length, 1, 'Telegram took the first call; the retry sent nothing new');
    assert.equal(retried.messageId, keyed[0]?.id, "the retry learns the first call's message");
    assert.notEqual((await send('keyed', 'reply:bob:1/run/4')).messageId, retried.messageId, 'another key, a new send');

    lostOnce();
    await failureOf(send('unkeyed'));
    await send('unkeyed');
    assert.equal((await texts('unkeyed')).length, 2);
  });

  test('PEER_ID_INVALID and CHAT_WRITE_FORBIDDEN are never retried', async () => {
    simulator.setFaults({ errorRate: 1, errorStatus: 400, burst: 1 });
    const invalid = await failureOf(port().sendMessage({ accountId: 'bob', chatId: '1000', text: 'x' }));
    assert.deepEqual([invalid.type, invalid.nonRetryable], ['not-found', true]);
    assert.match(invalid.message, /PEER_ID_INVALID/);

    simulator.setFaults({ errorRate: 1, errorStatus: 403, burst: 1 });
    const forbidden = await failureOf(port().sendMessage({ accountId: 'bob', chatId: '1000', text: 'x' }));
    assert.deepEqual([forbidden.type, forbidden.nonRetryable], ['permission', true]);

    const unknown = await failureOf(port().sendMessage({ accountId: 'bob', chatId: '987654321', text: 'x' }));
    assert.deepEqual([unknown.type, unknown.nonRetryable], ['not-found', true]);
  });

  test('a session key that is not logged in, or revoked, is a non-retryable auth failure', async () => {
    const { body } = await sandboxCall<{ session: string }>(simulator, 'POST', '/_sandbox/telegram/sessions', {});
    const unregistered = await failureOf(
      port(async () => body.session).openSession({ accountId: 'alice', onMessage: async () => undefined }),
    );
    assert.deepEqual([unregistered.type, unregistered.nonRetryable], ['auth', true]);
    assert.match(unregistered.message, /AUTH_KEY_UNREGISTERED/);

    const live = await recordingSession('bob');
    await sandboxCall(simulator, 'POST', '/_sandbox/telegram/revoke', { accountId: 'bob' });
    await live.session.lost;
    await live.session.close();
    const revoked = await failureOf(port().openSession({ accountId: 'bob', onMessage: async () => undefined }));
    assert.deepEqual([revoked.type, revoked.nonRetryable], ['auth', true]);
    assert.match(revoked.message, /SESSION_REVOKED/);
  });

  test('login: a code, then a working session; a wrong code is an outcome to ask again', async () => {
    const login = await port().startLogin({ phone: alicePhone });
    try {
      await login.sendCode();
      const code = await lastCode(alicePhone);
      assert.equal(await login.signIn(code === '11111' ? '22222' : '11111'), 'code-invalid');
      assert.equal(await login.signIn(code), 'logged-in');
      const session = login.session();
      const opened = await port(async () => session).openSession({
        accountId: 'alice',
        onMessage: async () => undefined,
      });
      await opened.close();
    } finally {
      await login.close();
    }
  });

  test("a login from a new key made by the key exchange, on the account's own data centre after PHONE_MIGRATE", async () => {
    const phone = '+15550104444';
    const { body } = await sandboxCall<{ dc: number }>(simulator, 'POST', '/_sandbox/telegram/users', {
      name: 'dora',
      phone,
      dc: 4,
    });
    assert.equal(body.dc, 4);
    const login = await port().startLogin({ phone });
    try {
      await login.sendCode();
      assert.equal(await login.signIn(await lastCode(phone)), 'logged-in');
      const session = login.session();
      const me = await port(async () => session).whoIs('dora');
      assert.equal(me.username, 'dora', 'the session is logged in, on DC 4');
    } finally {
      await login.close();
    }
    const rpc = (await sandboxCall<{ rpc: { method: string; result: string }[] }>(simulator, 'GET', '/_sandbox/state'))
      .body.rpc;
    assert.ok(
      rpc.some((call) => call.method === 'auth.SendCode' && call.result === '303 PHONE_MIGRATE_4'),
      'Telegram sent the login to DC 4 first',
    );
  });

  test('login with two-step verification checks the password by SRP; a wrong one is refused', async () => {
    await sandboxCall(simulator, 'POST', '/_sandbox/telegram/password', { accountId: 'alice', password: 'hunter2!' });
    try {
      const attempt = async (password: string) => {
        const login = await port().startLogin({ phone: alicePhone });
        try {
          await login.sendCode();
          assert.equal(await login.signIn(await lastCode(alicePhone)), 'password-needed');
          return { outcome: await login.checkPassword(password), session: login.session() };
        } finally {
          await login.close();
        }
      };
      const refused = await attempt('wrong password');
      assert.equal(refused.outcome, 'password-invalid');
      const { outcome, session } = await attempt('hunter2!');
      assert.equal(outcome, 'logged-in');
      const opened = await port(async () => session).openSession({
        accountId: 'alice',
        onMessage: async () => undefined,
      });
      await opened.close();
    } finally {
      await sandboxCall(simulator, 'POST', '/_sandbox/telegram/password', { accountId: 'alice', password: null });
    }
  });

  test('a login goes on over a new connection with the same auth key; the code is useless with another key', async () => {
    const first = await port().startLogin({ phone: alicePhone });
    await first.sendCode();
    const pending = first.pending();
    assert.ok(pending, 'a pending login once the code is sent');
    await first.close(); // as when its worker restarts

    const stranger = await port().startLogin({
      phone: alicePhone,
      resume: { session: await newSession(), phoneCodeHash: pending.phoneCodeHash },
    });
    try {
      assert.equal(await stranger.signIn(await lastCode(alicePhone)), 'code-expired');
    } finally {
      await stranger.close();
    }
    const resumed = await port().startLogin({ phone: alicePhone, resume: pending });
    try {
      assert.equal(await resumed.signIn(await lastCode(alicePhone)), 'logged-in');
      const session = resumed.session();
      const opened = await port(async () => session).openSession({
        accountId: 'alice',
        onMessage: async () => undefined,
      });
      await opened.close();
    } finally {
      await resumed.close();
    }
  });

  test('the control bot logs in with its token once, gets replies with what they answer, and answers', async () => {
    const store: { session?: string } = {};
    const refused = await failureOf(
      botPort('7000:wrong', store).openSession({ accountId: 'control-bot', onMessage: async () => undefined }),
    );
    assert.deepEqual([refused.type, refused.nonRetryable], ['auth', true]);
    assert.match(refused.message, /ACCESS_TOKEN_INVALID/);
    assert.equal(store.session, undefined);

    const received: TelegramMessage[] = [];
    const session = await botPort(sandboxControlBot.token, store).openSession({
      accountId: 'control-bot',
      onMessage: async (message) => void received.push(message),
    });
    try {
      assert.ok(store.session, 'the bot session is kept for the next connection');
      await session.send('1000', 'Approve this draft?');
      const asked = (await sentMessages('control-bot')).at(-1);
      assert.equal(asked?.text, 'Approve this draft?');
      const { body } = await sandboxCall<{ messageId: number }>(simulator, 'POST', '/_sandbox/telegram/incoming', {
        accountId: 'control-bot',
        chatId: '1000',
        text: 'ok',
        replyTo: asked?.id,
      });
      await eventually('the reply', async () => received.length === 1);
      assert.deepEqual(received[0], {
        chatId: '1000',
        messageId: body.messageId,
        senderId: '1000',
        text: 'ok',
        date: received[0]?.date,
        replyToMessageId: asked?.id,
      });
      assert.equal(await session.messageText(asked?.id ?? 0), 'Approve this draft?');
    } finally {
      await session.close();
    }

    // A revoked bot session is replaced by a new login with the token, not left to fail forever.
    const revokedSession = store.session;
    await sandboxCall(simulator, 'POST', '/_sandbox/telegram/revoke', { accountId: 'control-bot' });
    const again = await botPort(sandboxControlBot.token, store).openSession({
      accountId: 'control-bot',
      onMessage: async () => undefined,
    });
    await again.close();
    assert.ok(store.session && store.session !== revokedSession, 'a new bot session was stored');

    // A session from another Telegram (a restarted sandbox) has a key this one does not know: the token logs in anew.
    store.session = await sessionOfAnotherTelegram();
    const forgotten = store.session;
    const anew = await botPort(sandboxControlBot.token, store).openSession({
      accountId: 'control-bot',
      onMessage: async () => undefined,
    });
    await anew.close();
    assert.ok(store.session && store.session !== forgotten, 'a new bot session replaced the one Telegram did not know');
  });

  test("the bot's buttons: a tap reaches its session and is answered once; edits are idempotent; users get no buttons", async () => {
    const bot = botPort(sandboxControlBot.token);
    const taps: ButtonTap[] = [];
    const session = await bot.openSession({
      accountId: 'control-bot',
      onMessage: async () => undefined,
      onTap: (tap) => void taps.push(tap),
    });
    const tap = (messageId: number, data: string, senderId?: string) =>
      sandboxCall<{ answered?: boolean; message?: string; error?: string }>(
        simulator,
        'POST',
        '/_sandbox/telegram/callback',
        { accountId: 'control-bot', chatId: '1000', messageId, data, waitMs: 3000, ...(senderId ? { senderId } : {}) },
      );
    try {
      const buttons = { inline: [[{ text: '✅ Post', data: 'post:alice:1' }]] };
      const id = await session.send('1000', 'Post it?', 'buttons-1', buttons);
      const sent = (await sentMessages('control-bot')).find((m) => m.id === id);
      assert.deepEqual(sent?.markup, buttons);

      // The tap arrives while the app waits; the answer reaches the app; a second answer to it is refused.
      const tapped = tap(id, 'post:alice:1');
      await eventually('the tap', async () => taps.length === 1);
      assert.deepEqual(
        { ...taps[0], queryId: undefined },
        {
          queryId: undefined,
          senderId: '1000',
          chatId: '1000',
          messageId: id,
          data: 'post:alice:1',
        },
      );
      await session.answerTap(taps[0]!.queryId, 'Approved');
      assert.deepEqual((await tapped).body, {
        queryId: taps[0]!.queryId,
        answered: true,
        message: 'Approved',
        alert: false,
      });
      const twice = await failureOf(session.answerTap(taps[0]!.queryId, 'Again'));
      assert.match(twice.message, /QUERY_ID_INVALID/);
      assert.equal((await tap(id, 'reject:alice:1')).body.error, 'DATA_INVALID');
      assert.equal((await tap(id, 'post:alice:1', '4242')).body.error, 'PEER_ID_INVALID');

      // An edit takes the buttons away; the same edit again (a retry after a lost answer) is done, not an error.
      assert.equal(await session.edit('1000', id, 'Posted.'), true);
      assert.equal(await session.edit('1000', id, 'Posted.'), true);
      const edited = (await sentMessages('control-bot')).find((m) => m.id === id);
      assert.deepEqual([edited?.text, edited?.markup, typeof edited?.editDate], ['Posted.', undefined, 'number']);
      assert.equal((await tap(id, 'post:alice:1')).body.error, 'DATA_INVALID', 'no button left to tap');
      assert.equal(await session.edit('1000', 999_999, 'Gone?'), false, 'a message Telegram does not have');
      const forced = await session.send('1000', 'Your text?', 'buttons-2', { forceReply: { placeholder: 'Text' } });
      assert.deepEqual((await sentMessages('control-bot')).find((m) => m.id === forced)?.markup, {
        forceReply: { placeholder: 'Text' },
      });
    } finally {
      await session.close();
    }

    // A user's message carries no buttons, as on Telegram.
    const { messageId } = await port().sendMessage({
      accountId: 'alice',
      chatId: '555',
      text: 'Buttons?',
      markup: { inline: [[{ text: 'x', data: 'x' }]] },
    });
    assert.equal((await sentMessages('alice')).find((m) => m.id === messageId)?.markup, undefined);
  });

  test('a session whose auth key Telegram does not know (transport error -404) is an auth failure at once', async () => {
    const forgotten = await sessionOfAnotherTelegram();
    const attempts = [
      () => port(async () => forgotten).sendMessage({ accountId: 'alice', chatId: '1000', text: 'x' }),
      () => port(async () => forgotten).openSession({ accountId: 'alice', onMessage: async () => undefined }),
    ];
    for (const attempt of attempts) {
      const failure = await failureOf(attempt());
      assert.deepEqual([failure.type, failure.nonRetryable], ['auth', true], failure.message);
      assert.match(failure.message, /does not know this session \(transport error -404\)/);
    }
  });
});
