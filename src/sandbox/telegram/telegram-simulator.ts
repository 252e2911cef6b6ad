import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers';
import { StringSession } from 'telegram/sessions';
import { AuthKey } from 'telegram/crypto/AuthKey';
import { createFaultInjector, type FaultOutcome } from '../faults';
import { startSimulator, type RunningSimulator, type SimulatorResponse } from '../http-simulator';
import { createFloodControl, floodLimitsSchema } from './flood-control';
import {
  sandboxControlBot,
  sandboxOwnerUserId,
  sandboxTelegramAccounts,
  sandboxTelegramApp,
  type SandboxTelegramAccount,
} from './sandbox-accounts';
import { authKeyId } from './mtproto-crypto';
import { keptState } from '../kept-state';
import { keyExchange, serverKey } from './key-exchange';
import { passwordRecord, srpChallenge, srpGenerator, srpPrime, srpVerify, type PasswordRecord } from './srp';
import { noAnswer, RpcFailure, startMtprotoServer, type MtprotoConnection, type RpcResult } from './mtproto-server';

/**
 * Telegram for the sandbox: an MTProto server on loopback that GramJS connects to as it would to a data centre (the
 * auth key exchange under the simulator's own RSA key included), holding accounts, their chats and update sequence
 * (pts), and a control API over HTTP (docs/sandbox.md): `GET /_sandbox/state`, `POST /_sandbox/faults` (rate
 * limits are FLOOD_WAIT_N, errors are rpc_errors), `POST /_sandbox/telegram/incoming` (`push: false` drops the live
 * update), `/users` (a new person with a phone number), `/disconnect`, `/revoke`, `/password` (2FA on or off),
 * `/sessions` (a new auth key without the exchange) and `/limits` (Telegram's sending limits, on by default:
 * src/sandbox/telegram/flood-control.ts); login codes appear in the state, as on a phone. Only the sandbox's app
 * (api_id and api_hash) may log in, and only the sandbox bot's token.
 */
export {
  sandboxControlBot,
  sandboxOwnerUserId,
  sandboxTelegramAccounts,
  sandboxTelegramApp,
  type SandboxTelegramAccount,
} from './sandbox-accounts';

/** A message in an account's update sequence. `chatId` is the peer id as the account sees it (negative: a group). */
export interface SimulatedMessage {
  accountId: string;
  id: number;
  chatId: string;
  senderId: string;
  text: string;
  date: number;
  pts: number;
  out: boolean;
  /** The message this one answers (a Telegram reply), if any. */
  replyTo?: number;
  /** A bot's buttons under the message (callback data as UTF-8), or its forced reply. */
  markup?: SimulatedMarkup;
  /** When it was last edited (unix seconds), and the pts that edit took. */
  editDate?: number;
  editPts?: number;
}

export type SimulatedMarkup = { inline: { text: string; data: string }[][] } | { forceReply: { placeholder?: string } };

/** A tap on a bot's button (a callback query), and the bot's answer once it gave one. */
export interface SimulatedCallbackQuery {
  queryId: string;
  accountId: string;
  chatId: string;
  senderId: string;
  messageId: number;
  data: string;
  at: number;
  answer?: { message?: string; alert: boolean };
}

/** How long a bot may take to answer a tap: later, Telegram refuses the answer (QUERY_ID_INVALID). */
const callbackAnswerWithinMs = 30_000;
/** Telegram's limit on a button's callback data. */
const maxCallbackData = 64;

/** The buttons or forced reply of a bot's message, as the simulator keeps them; Telegram's limits checked. */
function markupOf(markup: Api.TypeReplyMarkup | undefined): SimulatedMarkup | undefined {
  if (markup instanceof Api.ReplyKeyboardForceReply) {
    return { forceReply: markup.placeholder ? { placeholder: markup.placeholder } : {} };
  }
  if (!(markup instanceof Api.ReplyInlineMarkup)) return undefined;
  return {
    inline: markup.rows.map((row) =>
      row.buttons.map((button) => {
        if (!(button instanceof Api.KeyboardButtonCallback)) throw new RpcFailure(400, 'BUTTON_TYPE_INVALID');
        if (button.data.length === 0 || button.data.length > maxCallbackData) {
          throw new RpcFailure(400, 'BUTTON_DATA_INVALID');
        }
        return { text: button.text, data: button.data.toString('utf8') };
      }),
    ),
  };
}

/** The kept markup as MTProto carries it in a message. */
function replyMarkupOf(markup: SimulatedMarkup | undefined): Api.TypeReplyMarkup | undefined {
  if (!markup) return undefined;
  if ('forceReply' in markup) return new Api.ReplyKeyboardForceReply({ placeholder: markup.forceReply.placeholder });
  return new Api.ReplyInlineMarkup({
    rows: markup.inline.map(
      (row) =>
        new Api.KeyboardButtonRow({
          buttons: row.map((b) => new Api.KeyboardButtonCallback({ text: b.text, data: Buffer.from(b.data, 'utf8') })),
        }),
    ),
  });
}

interface KeyRecord {
  authKey: Buffer;
  /** Auth keys belong to the data centre they were made with. */
  dc: number;
  accountId?: string;
  state: 'authorized' | 'unauthorized' | 'revoked';
}

/** What a restart keeps (kept-state.ts): accounts with their pts and next message id, sessions, messages. */
interface KeptTelegram {
  accounts: AccountState[];
  users: { id: number; firstName: string; username?: string }[];
  keys: (Omit<KeyRecord, 'authKey'> & { authKey: string })[];
  messages: SimulatedMessage[];
  /** The random_id of each send, with the message it made. */
  sent: [string, string, number][];
  passwords: [string, { salt1: string; salt2: string; verifier: string }][];
}

interface AccountState extends SandboxTelegramAccount {
  pts: number;
  nextMessageId: number;
  refusedUntil: number;
  /** The data centre the account lives on: a login elsewhere is told to migrate there (PHONE_MIGRATE_N). */
  dc: number;
}

export interface RunningTelegramSimulator extends RunningSimulator {
  /** Where GramJS connects (the MTProto port); `url` is the control API. */
  mtprotoPort: number;
  /** The RSA key of its key exchange: the public one for clients (PEM), the private one to keep for a restart. */
  serverKey: { publicPem: string; privatePem: string };
  /** The logged-in session of a sandbox account, as the account store would hold it. */
  sessionFor(accountId: string): string;
}

const DC_ID = 2;
/**
 * The data centres the simulator serves, each on an address of its own, as Telegram's: its main one (the sandbox's
 * accounts and bot live there) and a second, for accounts that live elsewhere and make a login migrate (PHONE_MIGRATE).
 */
const dataCentres = [
  { host: '127.0.0.1', dc: DC_ID },
  { host: '127.0.0.4', dc: 4 },
];

/** Sandbox accounts' keys are derived from their ids, so every process finds the same logged-in sessions. */
function sandboxAuthKey(accountId: string): Buffer {
  const parts = Array.from({ length: 8 }, (_, i) =>
    createHash('sha256').update(`steadfast-sandbox-telegram:${accountId}:${i}`).digest(),
  );
  return Buffer.concat(parts);
}

/**
 * A GramJS StringSession for the simulator's data centre and this auth key. GramJS dials port 80 (443 over
 * WebSocket) whatever the session says, so the port is Telegram's and the sandbox adapter supplies the real one.
 */
export async function sessionString(authKey: Buffer): Promise<string> {
  const session = new StringSession('');
  session.setDC(DC_ID, '127.0.0.1', 443);
  const key = new AuthKey();
  await key.setKey(authKey);
  session.setAuthKey(key);
  return session.save();
}

/** Telegram's answer to an injected error status, by the status's meaning. */
function injectedError(outcome: FaultOutcome): RpcFailure | undefined {
  if (outcome.kind === 'rate-limit') return new RpcFailure(420, `FLOOD_WAIT_${Math.ceil(outcome.resetSeconds)}`);
  if (outcome.kind !== 'error') return undefined;
  if (outcome.status === 401) return new RpcFailure(401, 'AUTH_KEY_UNREGISTERED');
  if (outcome.status === 403) return new RpcFailure(403, 'CHAT_WRITE_FORBIDDEN');
  if (outcome.status < 500) return new RpcFailure(400, 'PEER_ID_INVALID');
  return new RpcFailure(500, 'INTERNAL_SERVER_ERROR');
}

export async function startTelegramSimulator(
  options: {
    port?: number;
    mtprotoPort?: number;
    loginCodeLifetimeMs?: number;
    serverKeyPem?: string;
    /** Where it keeps what Telegram never forgets across a restart: message ids, update sequence, sessions. */
    dataFile?: string;
  } = {},
) {
  const rsa = serverKey(options.serverKeyPem);
  const accounts = new Map<string, AccountState>(
    [
      ...sandboxTelegramAccounts,
      { accountId: sandboxControlBot.accountId, userId: sandboxControlBot.userId, phone: '', firstName: 'Steadfast' },
    ].map((a) => [a.accountId, { ...a, pts: 1, nextMessageId: 1, refusedUntil: 0, dc: DC_ID }]),
  );
  const users = new Map<number, { id: number; firstName: string; username?: string }>([
    [sandboxOwnerUserId, { id: sandboxOwnerUserId, firstName: 'Owner', username: 'owner' }],
    ...sandboxTelegramAccounts.map(
      (a) => [a.userId, { id: a.userId, firstName: a.firstName, username: a.accountId }] as const,
    ),
    [sandboxControlBot.userId, { id: sandboxControlBot.userId, firstName: 'Steadfast', username: 'steadfast_bot' }],
  ]);
  const keys = new Map<string, KeyRecord>();
  for (const account of sandboxTelegramAccounts) {
    const authKey = sandboxAuthKey(account.accountId);
    keys.set(authKeyId(authKey).toString('hex'), {
      authKey,
      dc: DC_ID,
      accountId: account.accountId,
      state: 'authorized',
    });
  }
  const messages: SimulatedMessage[] = [];
  const loginCodes = new Map<
    string,
    { accountId: string; phone: string; code: string; sentAt: number; keyId: string }
  >();
  const passwords = new Map<string, PasswordRecord>();
  /** Keys that passed auth.signIn and now owe the 2FA password, by auth key id. */
  const pendingPasswords = new Map<string, string>();
  const challenges = new Map<string, { b: bigint; B: Buffer; accountId: string }>();
  const loginCodeLifetimeMs = options.loginCodeLifetimeMs ?? 5 * 60_000;
  // Telegram never reuses a message id in a chat nor forgets a session: a restarted sandbox goes on from where it was.
  const kept = keptState<KeptTelegram>(options.dataFile, () => ({
    accounts: [...accounts.values()],
    users: [...users.values()],
    keys: [...keys.values()].map(({ authKey, ...record }) => ({ ...record, authKey: authKey.toString('hex') })),
    messages,
    sent: [...sentByRandomId].map(([key, m]) => [key, m.accountId, m.id]),
    passwords: [...passwords].map(([accountId, record]) => [
      accountId,
      { salt1: record.salt1.toString('hex'), salt2: record.salt2.toString('hex'), verifier: String(record.verifier) },
    ]),
  }));
  const connectionAccount = new Map<MtprotoConnection, string>();
  const faults = createFaultInjector();
  const flood = createFloodControl();
  const requests: { at: number; accountId?: string; method: string; result: string }[] = [];
  const now = () => Math.floor(Date.now() / 1000);

  const keyRecord = (authKey: Buffer) => keys.get(authKeyId(authKey).toString('hex'));
  const accountOf = (connection: MtprotoConnection) => {
    const record = keyRecord(connection.authKey);
    if (record?.state === 'revoked') throw new RpcFailure(401, 'SESSION_REVOKED');
    const account = record?.state === 'authorized' && record.accountId ? accounts.get(record.accountId) : undefined;
    if (!account) throw new RpcFailure(401, 'AUTH_KEY_UNREGISTERED');
    return account;
  };
  const user = (id: number, self = false) => {
    const known = users.get(id);
    return new Api.User({
      id: returnBigInt(id),
      self,
      accessHash: returnBigInt(id * 7919),
      firstName: known?.firstName ?? `User ${id}`,
      username: known?.username,
    });
  };
  const peerOf = (chatId: string) =>
    chatId.startsWith('-')
      ? new Api.PeerChat({ chatId: returnBigInt(chatId.slice(1)) })
      : new Api.PeerUser({ userId: returnBigInt(chatId) });
  const toApiMessage = (m: SimulatedMessage, account: AccountState) =>
    new Api.Message({
      id: m.id,
      out: m.out,
      peerId: peerOf(m.out || m.chatId.startsWith('-') ? m.chatId : m.senderId),
      fromId: new Api.PeerUser({ userId: returnBigInt(m.out ? account.userId : Number(m.senderId)) }),
      date: m.date,
      message: m.text,
      replyTo: m.replyTo ? new Api.MessageReplyHeader({ replyToMsgId: m.replyTo }) : undefined,
      replyMarkup: replyMarkupOf(m.markup),
      editDate: m.editDate,
    });

  /** Appends a message to the account's update sequence (each message takes one pts). */
  const append = (account: AccountState, message: Omit<SimulatedMessage, 'accountId' | 'id' | 'pts' | 'date'>) => {
    const stored: SimulatedMessage = {
      ...message,
      accountId: account.accountId,
      id: account.nextMessageId++,
      pts: ++account.pts,
      date: now(),
    };
    messages.push(stored);
    return stored;
  };

  const sentByRandomId = new Map<string, SimulatedMessage>();
  const callbackQueries: SimulatedCallbackQuery[] = [];
  /** Who waits for each tap's answer: the tapping user's app. */
  const callbackAnswered = new Map<string, () => void>();
  const earlier = kept.load();
  if (earlier) {
    for (const account of earlier.accounts) accounts.set(account.accountId, { ...account, refusedUntil: 0 });
    for (const known of earlier.users) users.set(known.id, known);
    for (const { authKey, ...record } of earlier.keys) {
      const key = Buffer.from(authKey, 'hex');
      keys.set(authKeyId(key).toString('hex'), { ...record, authKey: key });
    }
    messages.push(...earlier.messages);
    for (const [sendKey, accountId, id] of earlier.sent) {
      const message = messages.find((m) => m.accountId === accountId && m.id === id);
      if (message) sentByRandomId.set(sendKey, message);
    }
    for (const [accountId, record] of earlier.passwords) {
      passwords.set(accountId, {
        salt1: Buffer.from(record.salt1, 'hex'),
        salt2: Buffer.from(record.salt2, 'hex'),
        verifier: BigInt(record.verifier),
      });
    }
  }
  const sentMessageAnswer = (m: SimulatedMessage) =>
    new Api.UpdateShortSentMessage({ out: true, id: m.id, pts: m.pts, ptsCount: 1, date: m.date });

  const liveUpdate = (m: SimulatedMessage): Api.TypeUpdates =>
    m.chatId.startsWith('-')
      ? new Api.UpdateShortChatMessage({
          id: m.id,
          fromId: returnBigInt(m.senderId),
          chatId: returnBigInt(m.chatId.slice(1)),
          message: m.text,
          pts: m.pts,
          ptsCount: 1,
          date: m.date,
          out: m.out,
          replyTo: m.replyTo ? new Api.MessageReplyHeader({ replyToMsgId: m.replyTo }) : undefined,
        })
      : new Api.UpdateShortMessage({
          id: m.id,
          userId: returnBigInt(m.out ? m.chatId : m.senderId),
          message: m.text,
          pts: m.pts,
          ptsCount: 1,
          date: m.date,
          out: m.out,
          replyTo: m.replyTo ? new Api.MessageReplyHeader({ replyToMsgId: m.replyTo }) : undefined,
        });

  const config = () =>
    new Api.Config({
      date: now(),
      expires: now() + 3600,
      testMode: false,
      thisDc: DC_ID,
      dcOptions: mtproto.dataCentres.map(
        ({ host, dc }) => new Api.DcOption({ id: dc, ipAddress: host, port: mtproto.port }),
      ),
      dcTxtDomainName: 'sandbox.invalid',
      chatSizeMax: 200,
      megagroupSizeMax: 200000,
      forwardedCountMax: 100,
      onlineUpdatePeriodMs: 210000,
      offlineBlurTimeoutMs: 5000,
      offlineIdleTimeoutMs: 30000,
      onlineCloudTimeoutMs: 300000,
      notifyCloudDelayMs: 30000,
      notifyDefaultDelayMs: 1500,
      pushChatPeriodMs: 60000,
      pushChatLimit: 2,
      editTimeLimit: 172800,
      revokeTimeLimit: 2147483647,
      revokePmTimeLimit: 2147483647,
      ratingEDecay: 2419200,
      stickersRecentLimit: 200,
      channelsReadMediaPeriod: 604800,
      callReceiveTimeoutMs: 20000,
      callRingTimeoutMs: 90000,
      callConnectTimeoutMs: 30000,
      callPacketTimeoutMs: 10000,
      meUrlPrefix: 'https://t.me/',
      captionLengthMax: 1024,
      messageLengthMax: 4096,
      webfileDcId: DC_ID,
    });

  /** The API methods the adapter uses; anything else is answered as Telegram answers an unknown method. */
  async function call(
    connection: MtprotoConnection,
    request: Api.AnyRequest,
    logged: { result: string },
  ): Promise<RpcResult | typeof noAnswer> {
    if (request instanceof Api.help.GetConfig) return config();
    const outcome = await faults.next(request.className);
    if (outcome.kind === 'no-answer') return noAnswer;
    const injected = injectedError(outcome);
    if (injected) throw injected;
    if (outcome.kind !== 'answer-lost') return carryOut(connection, request);
    // Done on the server, but the answer never reaches the client: what it sent, it cannot tell.
    await carryOut(connection, request).catch(() => undefined);
    logged.result = 'answer lost';
    return noAnswer;
  }

  async function carryOut(connection: MtprotoConnection, request: Api.AnyRequest): Promise<RpcResult> {
    const login = loginCall(connection, request);
    if (login) return login;
    if (request instanceof Api.auth.LogOut) {
      // The session ends: its key is forgotten, as Telegram does.
      accountOf(connection);
      keys.delete(authKeyId(connection.authKey).toString('hex'));
      return new Api.auth.LoggedOut({});
    }
    if (request instanceof Api.users.GetUsers) {
      const account = accountOf(connection);
      return request.id.map((input) => {
        if (input instanceof Api.InputUserSelf) return user(account.userId, true);
        const id = input instanceof Api.InputUser ? Number(input.userId.toString()) : NaN;
        return users.has(id) ? user(id, id === account.userId) : new Api.UserEmpty({ id: returnBigInt(0) });
      });
    }
    if (request instanceof Api.updates.GetState) {
      const account = accountOf(connection);
      return new Api.updates.State({ pts: account.pts, qts: 0, date: now(), seq: 0, unreadCount: 0 });
    }
    if (request instanceof Api.updates.GetDifference) {
      const account = accountOf(connection);
      const state = new Api.updates.State({ pts: account.pts, qts: 0, date: now(), seq: 0, unreadCount: 0 });
      const missed = messages.filter((m) => m.accountId === account.accountId && m.pts > request.pts);
      // Messages older than the point but edited after it come as edits.
      const edited = messages.filter(
        (m) => m.accountId === account.accountId && m.pts <= request.pts && (m.editPts ?? 0) > request.pts,
      );
      if (missed.length === 0 && edited.length === 0) return new Api.updates.DifferenceEmpty({ date: now(), seq: 0 });
      const senders = new Set([...missed, ...edited].map((m) => Number(m.senderId)));
      return new Api.updates.Difference({
        newMessages: missed.map((m) => toApiMessage(m, account)),
        newEncryptedMessages: [],
        otherUpdates: edited.map(
          (m) => new Api.UpdateEditMessage({ message: toApiMessage(m, account), pts: m.editPts!, ptsCount: 1 }),
        ),
        chats: [],
        users: [...senders].map((id) => user(id)),
        state,
      });
    }
    if (request instanceof Api.messages.GetMessages) {
      const account = accountOf(connection);
      const ids = new Set(request.id.map((input) => (input instanceof Api.InputMessageID ? input.id : 0)));
      const found = messages.filter((m) => m.accountId === account.accountId && ids.has(m.id));
      return new Api.messages.Messages({
        messages: found.map((m) => toApiMessage(m, account)),
        chats: [],
        users: [...new Set(found.map((m) => Number(m.senderId)))].map((id) => user(id)),
      });
    }
    if (request instanceof Api.messages.SendMessage) {
      const account = accountOf(connection);
      const chatId = chatIdOf(request.peer as Api.TypeInputPeer, account); // deserialized: always an InputPeer
      // Telegram keeps every random_id an account used with a peer: the same one again sends nothing new and answers
      // with the message it made the first time.
      const sendKey = `${account.accountId}:${chatId}:${String(request.randomId)}`; // always set once deserialized
      const earlier = sentByRandomId.get(sendKey);
      if (earlier) return sentMessageAnswer(earlier);
      const bot = account.accountId === sandboxControlBot.accountId;
      const wait = flood.check({ accountId: account.accountId, bot }, chatId);
      if (wait !== undefined) throw new RpcFailure(420, `FLOOD_WAIT_${wait}`);
      // Buttons and forced replies are a bot's: a user's client sends none, and Telegram ignores them from a user.
      const markup = bot ? markupOf(request.replyMarkup) : undefined;
      const sent = append(account, {
        chatId,
        senderId: String(account.userId),
        text: request.message,
        out: true,
        ...(markup ? { markup } : {}),
      });
      sentByRandomId.set(sendKey, sent);
      // The account's other sessions learn of it as an update, as on Telegram.
      for (const other of connectionsOf(account.accountId)) if (other !== connection) other.push(liveUpdate(sent));
      return sentMessageAnswer(sent);
    }
    if (request instanceof Api.messages.EditMessage) {
      const account = accountOf(connection);
      const chatId = chatIdOf(request.peer as Api.TypeInputPeer, account);
      const message = messages.find((m) => m.accountId === account.accountId && m.id === request.id);
      if (!message || message.chatId !== chatId) throw new RpcFailure(400, 'MESSAGE_ID_INVALID');
      if (!message.out) throw new RpcFailure(403, 'MESSAGE_AUTHOR_REQUIRED');
      const bot = account.accountId === sandboxControlBot.accountId;
      // A bot's edit sets the buttons anew (none without reply_markup); a forced reply cannot be edited onto a message.
      const markup = bot ? markupOf(request.replyMarkup) : message.markup;
      if (markup && 'forceReply' in markup) throw new RpcFailure(400, 'REPLY_MARKUP_INVALID');
      const text = request.message ?? message.text;
      if (text === message.text && JSON.stringify(markup) === JSON.stringify(message.markup)) {
        throw new RpcFailure(400, 'MESSAGE_NOT_MODIFIED');
      }
      message.text = text;
      if (markup) message.markup = markup;
      else delete message.markup;
      message.editDate = now();
      message.editPts = ++account.pts;
      const update = new Api.UpdateEditMessage({
        message: toApiMessage(message, account),
        pts: message.editPts,
        ptsCount: 1,
      });
      const updates = () => new Api.Updates({ updates: [update], users: [], chats: [], date: now(), seq: 0 });
      for (const other of connectionsOf(account.accountId)) if (other !== connection) other.push(updates());
      return updates();
    }
    if (request instanceof Api.messages.SetBotCallbackAnswer) {
      const account = accountOf(connection);
      const query = callbackQueries.find(
        (q) => q.queryId === request.queryId.toString() && q.accountId === account.accountId,
      );
      if (!query || query.answer || Date.now() - query.at > callbackAnswerWithinMs) {
        throw new RpcFailure(400, 'QUERY_ID_INVALID');
      }
      query.answer = { ...(request.message ? { message: request.message } : {}), alert: Boolean(request.alert) };
      callbackAnswered.get(query.queryId)?.();
      return true;
    }
    throw new RpcFailure(400, 'METHOD_INVALID');
  }

  /**
   * auth.sendCode → auth.signIn (→ account.getPassword → auth.checkPassword when 2FA is on) on one auth key; a bot
   * logs in with its token instead.
   */
  function loginCall(connection: MtprotoConnection, request: Api.AnyRequest): RpcResult | undefined {
    if (request instanceof Api.auth.ImportBotAuthorization) {
      checkApp(request.apiId, request.apiHash);
      if (request.botAuthToken !== sandboxControlBot.token) throw new RpcFailure(400, 'ACCESS_TOKEN_INVALID');
      if (connection.dc !== DC_ID) throw new RpcFailure(303, `USER_MIGRATE_${DC_ID}`);
      return authorize(connection, sandboxControlBot.accountId);
    }
    if (request instanceof Api.auth.SendCode) {
      checkApp(request.apiId, request.apiHash);
      const account = [...accounts.values()].find((a) => a.phone === request.phoneNumber);
      if (!account) throw new RpcFailure(400, 'PHONE_NUMBER_INVALID');
      if (connection.dc !== account.dc) throw new RpcFailure(303, `PHONE_MIGRATE_${account.dc}`);
      const phoneCodeHash = randomBytes(8).toString('hex');
      const code = String(randomInt(10000, 100000));
      const keyId = authKeyId(connection.authKey).toString('hex');
      loginCodes.set(phoneCodeHash, {
        accountId: account.accountId,
        phone: account.phone,
        code,
        sentAt: Date.now(),
        keyId,
      });
      return new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeApp({ length: code.length }), phoneCodeHash });
    }
    if (request instanceof Api.auth.SignIn) {
      const sent = loginCodes.get(request.phoneCodeHash);
      if (!sent || sent.phone !== request.phoneNumber) throw new RpcFailure(400, 'PHONE_CODE_HASH_EMPTY');
      if (Date.now() - sent.sentAt > loginCodeLifetimeMs) throw new RpcFailure(400, 'PHONE_CODE_EXPIRED');
      // The code belongs to the auth key it was sent for: another connection of that key may use it, nobody else.
      if (sent.keyId !== authKeyId(connection.authKey).toString('hex')) throw new RpcFailure(400, 'PHONE_CODE_EXPIRED');
      if (request.phoneCode !== sent.code) throw new RpcFailure(400, 'PHONE_CODE_INVALID');
      loginCodes.delete(request.phoneCodeHash);
      if (passwords.has(sent.accountId)) {
        pendingPasswords.set(authKeyId(connection.authKey).toString('hex'), sent.accountId);
        throw new RpcFailure(401, 'SESSION_PASSWORD_NEEDED');
      }
      return authorize(connection, sent.accountId);
    }
    if (request instanceof Api.account.GetPassword) {
      const accountId = pendingPasswords.get(authKeyId(connection.authKey).toString('hex'));
      const record = accountId ? passwords.get(accountId) : undefined;
      if (!accountId || !record) return new Api.account.Password({ hasPassword: false, ...passwordParameters() });
      const challenge = srpChallenge(record);
      const srpId = BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`));
      challenges.set(srpId.toString(), { ...challenge, accountId });
      return new Api.account.Password({
        hasPassword: true,
        currentAlgo: algorithm(record),
        srp_B: challenge.B,
        srpId: returnBigInt(srpId.toString()),
        ...passwordParameters(),
      });
    }
    if (request instanceof Api.auth.CheckPassword) {
      const check = request.password;
      const challenge = check instanceof Api.InputCheckPasswordSRP ? challenges.get(check.srpId.toString()) : undefined;
      const record = challenge ? passwords.get(challenge.accountId) : undefined;
      if (!(check instanceof Api.InputCheckPasswordSRP) || !challenge || !record) {
        throw new RpcFailure(400, 'SRP_ID_INVALID');
      }
      challenges.delete(check.srpId.toString());
      if (!srpVerify(record, challenge, check.A, check.M1)) throw new RpcFailure(400, 'PASSWORD_HASH_INVALID');
      return authorize(connection, challenge.accountId);
    }
    return undefined;
  }

  /** Telegram refuses an api_id and api_hash that are not an app's from my.telegram.org. */
  function checkApp(apiId: number, apiHash: string): void {
    if (apiId !== sandboxTelegramApp.apiId || apiHash !== sandboxTelegramApp.apiHash) {
      throw new RpcFailure(400, 'API_ID_INVALID');
    }
  }

  function authorize(connection: MtprotoConnection, accountId: string): Api.auth.Authorization {
    const id = authKeyId(connection.authKey).toString('hex');
    keys.set(id, { authKey: connection.authKey, dc: connection.dc, accountId, state: 'authorized' });
    pendingPasswords.delete(id);
    connectionAccount.set(connection, accountId);
    return new Api.auth.Authorization({ user: user(accounts.get(accountId)!.userId, true) });
  }

  const algorithm = (record: PasswordRecord) =>
    new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
      salt1: record.salt1,
      salt2: record.salt2,
      g: srpGenerator,
      p: srpPrime,
    });
  const passwordParameters = () => ({
    newAlgo: new Api.PasswordKdfAlgoUnknown(),
    newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(),
    secureRandom: randomBytes(32),
  });

  function chatIdOf(peer: Api.TypeInputPeer, account: AccountState): string {
    if (peer instanceof Api.InputPeerSelf) return String(account.userId);
    if (peer instanceof Api.InputPeerChat) return `-${peer.chatId.toString()}`;
    if (peer instanceof Api.InputPeerUser && users.has(Number(peer.userId.toString()))) return peer.userId.toString();
    throw new RpcFailure(400, 'PEER_ID_INVALID');
  }

  const exchangeKey = keyExchange(rsa, (authKey, dc) => {
    keys.set(authKeyId(authKey).toString('hex'), { authKey, dc, state: 'unauthorized' });
    kept.changed();
  });
  const mtproto = await startMtprotoServer(
    {
      exchangeKey,
      findAuthKey: (keyId, dc) => {
        const record = keys.get(keyId.toString('hex'));
        return record?.dc === dc ? record.authKey : undefined;
      },
      admits: (authKey) => {
        const accountId = keyRecord(authKey)?.accountId;
        return !accountId || (accounts.get(accountId)?.refusedUntil ?? 0) <= Date.now();
      },
      call: async (connection, request) => {
        kept.changed();
        const record = keyRecord(connection.authKey);
        if (record?.accountId) connectionAccount.set(connection, record.accountId);
        const logged = { at: Date.now(), accountId: record?.accountId, method: request.className, result: 'no answer' };
        requests.push(logged);
        try {
          const result = await call(connection, request, logged);
          if (result !== noAnswer) logged.result = 'ok';
          return result;
        } catch (err) {
          logged.result = err instanceof RpcFailure ? err.message : String(err);
          throw err;
        }
      },
      closed: (connection) => connectionAccount.delete(connection),
    },
    options.mtprotoPort ?? 0,
    dataCentres,
  );

  const bad = (error: string): SimulatorResponse => ({ status: 400, body: { error } });
  const field = (body: unknown, name: string) => {
    const value = (body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };
  const connectionsOf = (accountId: string) =>
    mtproto.connections().filter((c) => keyRecord(c.authKey)?.accountId === accountId);

  const control = async ({
    method,
    path,
    body,
  }: {
    method: string;
    path: string;
    body: unknown;
  }): Promise<SimulatorResponse | undefined> => {
    if (method !== 'POST') return undefined;
    kept.changed();
    if (path === '/_sandbox/telegram/limits') {
      const parsed = floodLimitsSchema.safeParse(body ?? {});
      if (!parsed.success)
        return bad(`limits: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      return { status: 200, body: flood.set(parsed.data) };
    }
    const accountId = field(body, 'accountId');
    const account = accountId ? accounts.get(accountId) : undefined;
    if (path === '/_sandbox/telegram/sessions') {
      // A fresh, not yet logged-in auth key: what the key exchange gives a client before auth.signIn.
      const authKey = randomBytes(256);
      keys.set(authKeyId(authKey).toString('hex'), { authKey, dc: DC_ID, state: 'unauthorized' });
      return { status: 200, body: { session: await sessionString(authKey) } };
    }
    if (path === '/_sandbox/telegram/users') {
      // Someone with a Telegram account of their own, to log in as (the phone receives the login codes).
      const name = field(body, 'name');
      const phone = field(body, 'phone');
      if (!name || !/^\w{1,32}$/.test(name) || !phone || !/^\+\d{6,15}$/.test(phone)) {
        return bad('expected { name (letters, digits, _), phone (+ and digits) }');
      }
      if (accounts.has(name) || [...accounts.values()].some((a) => a.phone === phone)) {
        return bad(`${name} or ${phone} is taken`);
      }
      const dc = Number(field(body, 'dc') ?? DC_ID);
      if (!mtproto.dataCentres.some((served) => served.dc === dc)) {
        return bad(`dc: one of ${mtproto.dataCentres.map((served) => served.dc).join(', ')}`);
      }
      const userId = 200_000 + accounts.size;
      const firstName = field(body, 'firstName') ?? name;
      accounts.set(name, { accountId: name, userId, phone, firstName, pts: 1, nextMessageId: 1, refusedUntil: 0, dc });
      users.set(userId, { id: userId, firstName, username: name });
      return { status: 200, body: { accountId: name, userId, phone, dc } };
    }
    if (!account) return bad(`accountId: expected one of ${[...accounts.keys()].join(', ')}`);
    if (path === '/_sandbox/telegram/incoming') {
      const text = field(body, 'text');
      const chatId = field(body, 'chatId');
      if (!text || !chatId || !/^-?\d+$/.test(chatId)) return bad('expected { accountId, chatId (digits), text }');
      const senderId = field(body, 'senderId') ?? (chatId.startsWith('-') ? String(sandboxOwnerUserId) : chatId);
      if (!users.has(Number(senderId)))
        users.set(Number(senderId), { id: Number(senderId), firstName: `User ${senderId}` });
      const replyTo = Number(field(body, 'replyTo') ?? 0) || undefined;
      const message = append(account, { chatId, senderId, text, out: false, ...(replyTo ? { replyTo } : {}) });
      // `push: false` stores the message without pushing it, as when Telegram drops an update: clients find the gap.
      const push = (body as { push?: unknown }).push !== false;
      if (push) for (const connection of connectionsOf(account.accountId)) connection.push(liveUpdate(message));
      return { status: 200, body: { messageId: message.id, pts: message.pts } };
    }
    if (path === '/_sandbox/telegram/callback') {
      return await tap(account, body);
    }
    if (path === '/_sandbox/telegram/disconnect') {
      const forMs = Number(field(body, 'forMs') ?? 0);
      account.refusedUntil = Date.now() + (Number.isFinite(forMs) ? forMs : 0);
      const dropped = connectionsOf(account.accountId);
      for (const connection of dropped) connection.close();
      return { status: 200, body: { dropped: dropped.length, refusedUntil: account.refusedUntil } };
    }
    if (path === '/_sandbox/telegram/password') {
      // Turns 2FA on (a password) or off (null) for the account's next logins.
      const password = field(body, 'password');
      if (password) passwords.set(account.accountId, passwordRecord(password));
      else passwords.delete(account.accountId);
      return { status: 200, body: { twoFactor: Boolean(password) } };
    }
    if (path === '/_sandbox/telegram/revoke') {
      for (const record of keys.values()) if (record.accountId === account.accountId) record.state = 'revoked';
      for (const connection of connectionsOf(account.accountId)) connection.close();
      return { status: 200, body: { revoked: true } };
    }
    return undefined;
  };

  /**
   * A user taps a button under one of the bot's messages, as their app does (messages.getBotCallbackAnswer): only on
   * a message of the bot in a chat the user is in, and only with the data of a button it carries. The bot gets the
   * tap as an update on its live connections; the app waits for the bot's answer, then shows it.
   */
  async function tap(account: AccountState, body: unknown): Promise<SimulatorResponse> {
    const chatId = field(body, 'chatId');
    const messageId = Number(field(body, 'messageId'));
    const data = field(body, 'data');
    if (!chatId || !/^-?\d+$/.test(chatId) || !Number.isInteger(messageId) || data === undefined) {
      return bad('expected { accountId (the bot), chatId, messageId, data, senderId? }');
    }
    const senderId = field(body, 'senderId') ?? chatId;
    const message = messages.find(
      (m) => m.accountId === account.accountId && m.id === messageId && m.chatId === chatId && m.out,
    );
    if (!message) return bad('MESSAGE_ID_INVALID');
    // A private chat has two members: the bot and its user.
    if (!chatId.startsWith('-') && senderId !== chatId) return bad('PEER_ID_INVALID');
    const buttons = message.markup && 'inline' in message.markup ? message.markup.inline.flat() : [];
    if (!buttons.some((button) => button.data === data)) return bad('DATA_INVALID');
    const queryId = BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)).toString();
    const query: SimulatedCallbackQuery = {
      queryId,
      accountId: account.accountId,
      chatId,
      senderId,
      messageId,
      data,
      at: Date.now(),
    };
    callbackQueries.push(query);
    const answered = new Promise<void>((resolve) => callbackAnswered.set(queryId, resolve));
    const update = new Api.UpdateBotCallbackQuery({
      queryId: returnBigInt(queryId),
      userId: returnBigInt(senderId),
      peer: peerOf(chatId),
      msgId: messageId,
      chatInstance: returnBigInt(`${account.userId}${chatId.replace('-', '')}`.slice(0, 15)),
      data: Buffer.from(data, 'utf8'),
    });
    for (const connection of connectionsOf(account.accountId)) {
      connection.push(new Api.UpdateShort({ update, date: now() }));
    }
    const waitMs = Math.min(Number(field(body, 'waitMs') ?? 10_000), callbackAnswerWithinMs);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    callbackAnswered.delete(queryId);
    return {
      status: 200,
      body: query.answer ? { queryId, answered: true, ...query.answer } : { queryId, answered: false },
    };
  }

  const http = await startSimulator(
    {
      state: () => ({
        accounts: [...accounts.values()].map((a) => ({
          accountId: a.accountId,
          userId: a.userId,
          pts: a.pts,
          connections: connectionsOf(a.accountId).length,
          refusedUntil: a.refusedUntil,
        })),
        messages,
        // What the accounts' phones received: the sandbox's way to read a login code.
        loginCodes: [...loginCodes.values()].map(({ phone, code, sentAt }) => ({ phone, code, sentAt })),
        mtprotoPort: mtproto.port,
        rpc: requests,
        flood: flood.state(),
        callbackQueries,
      }),
      // The HTTP side only has control routes; Telegram's own faults are applied to MTProto calls below.
      rateLimited: () => ({ status: 404, body: { error: 'MTProto only' } }),
      failed: () => ({ status: 404, body: { error: 'MTProto only' } }),
      handle: ({ path }) => ({
        status: 404,
        body: { error: `No route ${path}: Telegram speaks MTProto on port ${mtproto.port}` },
      }),
      control,
      faults,
    },
    options.port ?? 0,
  );

  const sessions = new Map<string, string>();
  for (const account of sandboxTelegramAccounts) {
    sessions.set(account.accountId, await sessionString(sandboxAuthKey(account.accountId)));
  }

  const running: RunningTelegramSimulator = {
    ...http,
    mtprotoPort: mtproto.port,
    serverKey: { publicPem: rsa.publicPem, privatePem: rsa.privatePem },
    sessionFor: (accountId) => {
      const session = sessions.get(accountId);
      if (!session) throw new Error(`No sandbox Telegram account ${accountId}`);
      return session;
    },
    close: async () => {
      await Promise.all([http.close(), mtproto.close()]);
      kept.flush();
    },
  };
  return running;
}
