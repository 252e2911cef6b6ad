import { Api, errors, type TelegramClient } from 'telegram';
import { computeCheck } from 'telegram/Password';
import type { StringSession } from 'telegram/sessions';
import { returnBigInt } from 'telegram/Helpers';
import type {
  ButtonTap,
  OpenSessionRequest,
  SyncPoint,
  TelegramLogin,
  TelegramMessage,
  TelegramPort,
  TelegramSession,
} from '../../ports/telegram';
import { classifyTelegramError, TelegramTimeout } from './classify';
import { openTelegramClient, type TelegramClientSettings } from './client';
import { answerCallback, editText, sendText } from './send-text';

export interface TelegramSettings extends TelegramClientSettings {
  /** The account's GramJS session string, read from the account store: never passed through Temporal. */
  sessionFor: (accountId: string) => Promise<string>;
  /** Per request; GramJS itself waits for an answer forever. Below the activities' 15 s startToClose. */
  requestTimeoutMs?: number;
  /**
   * The control bot: an account id whose session is a bot's, logged in with its token (from @BotFather) the first
   * time and kept in the account store after that.
   */
  bot?: {
    accountId: string;
    token: string;
    storedSession: () => Promise<string | undefined>;
    saveSession: (session: string) => Promise<void>;
  };
}

/**
 * A call that Telegram may redirect to the account's own data centre (PHONE_MIGRATE_N for a login, USER_MIGRATE_N for
 * a bot's): GramJS moves the connection there when told, then reports the first call failed; the call is made once
 * more, on the new data centre. Following a redirect, not retrying: a call that fails without one fails as it is.
 */
async function followingMigration<T>(client: TelegramClient, call: () => Promise<T>): Promise<T> {
  const dc = client.session.dcId;
  try {
    return await call();
  } catch (err) {
    if (client.session.dcId === dc) throw err;
    return await call();
  }
}

/** Rejects with TelegramTimeout when `promise` has not settled within `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TelegramTimeout(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** The Telegram port over GramJS (MTProto, user sessions). Every error leaves it classified. */
export function createTelegramPort(settings: TelegramSettings): TelegramPort {
  const timeoutMs = settings.requestTimeoutMs ?? 10_000;
  /** A bot's stored session, or a new one from its token (auth.importBotAuthorization). */
  const botSession = async (bot: NonNullable<TelegramSettings['bot']>): Promise<string> => {
    const stored = await bot.storedSession();
    if (stored) return stored;
    // An empty session: GramJS makes a new auth key with the server.
    const open = await openTelegramClient(settings, '');
    try {
      await importBot(open.client, bot.token);
      const session = (open.client.session as StringSession).save();
      await bot.saveSession(session);
      return session;
    } finally {
      await open.close();
    }
  };
  /** auth.importBotAuthorization on a new key: the bot's token makes the connection the bot's. */
  const importBot = (client: TelegramClient, botAuthToken: string) => {
    const { apiId, apiHash } = settings;
    return followingMigration(client, () =>
      within(
        timeoutMs,
        'auth.importBotAuthorization',
        client.invoke(new Api.auth.ImportBotAuthorization({ flags: 0, apiId, apiHash, botAuthToken })),
      ),
    );
  };
  const connectWith = async (session: string, onUpdate?: (update: Api.TypeUpdate) => void) => {
    const open = await openTelegramClient(settings, session, onUpdate);
    // Proves the session is still authorized (AUTH_KEY_UNREGISTERED, SESSION_REVOKED surface here).
    await within(timeoutMs, 'users.getMe', open.client.getMe()).catch(async (err: unknown) => {
      await open.close();
      throw err;
    });
    return open;
  };
  const connect: Connect = async (accountId, onUpdate) => {
    const { bot } = settings;
    try {
      if (bot?.accountId !== accountId) return await connectWith(await settings.sessionFor(accountId), onUpdate);
      const stored = await bot.storedSession();
      try {
        return await connectWith(stored ?? (await botSession(bot)), onUpdate);
      } catch (err) {
        if (!stored || classifyTelegramError(err).type !== 'auth') throw err;
        // The bot's stored session was revoked: its token makes a new one (once; a refused token is final).
        await bot.saveSession('');
        return await connectWith(await botSession(bot), onUpdate);
      }
    } catch (err) {
      throw classifyTelegramError(err);
    }
  };

  return {
    async sendMessage({ accountId, chatId, text, idempotencyKey, markup }) {
      const open = await connect(accountId);
      const { client } = open;
      try {
        const messageId = await within(
          timeoutMs,
          'messages.sendMessage',
          sendText(client, chatId, text, idempotencyKey, markup),
        );
        return { messageId };
      } catch (err) {
        throw classifyTelegramError(err);
      } finally {
        await open.close();
      }
    },
    async editMessage({ accountId, chatId, messageId, text, markup }) {
      const open = await connect(accountId);
      try {
        return await within(timeoutMs, 'messages.editMessage', editText(open.client, chatId, messageId, text, markup));
      } catch (err) {
        throw classifyTelegramError(err);
      } finally {
        await open.close();
      }
    },
    openSession: (request) => openSession(connect, request, timeoutMs),
    async whoIs(accountId) {
      const open = await connect(accountId);
      try {
        return userView(await within(timeoutMs, 'users.getMe', open.client.getMe()));
      } catch (err) {
        throw classifyTelegramError(err);
      } finally {
        await open.close();
      }
    },
    async checkBot() {
      const { bot } = settings;
      if (!bot) throw classifyTelegramError(new Error('No control bot is configured'));
      try {
        const open = await openTelegramClient(settings, '');
        try {
          await importBot(open.client, bot.token);
          const me = userView(await within(timeoutMs, 'users.getMe', open.client.getMe()));
          // This check's own session ends here; the bot's live one is another.
          await within(timeoutMs, 'auth.logOut', open.client.invoke(new Api.auth.LogOut())).catch(() => undefined);
          return me;
        } finally {
          await open.close();
        }
      } catch (err) {
        throw classifyTelegramError(err);
      }
    },
    async startLogin({ phone, resume }) {
      try {
        const session = resume?.session ?? '';
        const open = await openTelegramClient(settings, session);
        return login(open, phone, settings, timeoutMs, resume?.phoneCodeHash);
      } catch (err) {
        throw classifyTelegramError(err);
      }
    },
  };
}

function userView(user: Api.User): { username?: string; name: string } {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.id.toString();
  return user.username ? { username: user.username, name } : { name };
}

/** Telegram's answers to a wrong code and a stale one: outcomes the owner can act on, not failures. */
const codeInvalid = new Set(['PHONE_CODE_INVALID', 'PHONE_CODE_EMPTY']);
const codeExpired = new Set(['PHONE_CODE_EXPIRED', 'PHONE_CODE_HASH_EMPTY']);
const rpcErrorOf = (err: unknown) => (err instanceof errors.RPCError ? err.errorMessage : undefined);

function login(
  open: Awaited<ReturnType<typeof openTelegramClient>>,
  phoneNumber: string,
  { apiId, apiHash }: TelegramSettings,
  timeoutMs: number,
  resumedCodeHash?: string,
): TelegramLogin {
  const { client } = open;
  let phoneCodeHash = resumedCodeHash ?? '';
  const step = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await within(timeoutMs, what, call());
    } catch (err) {
      throw classifyTelegramError(err);
    }
  };
  return {
    async sendCode() {
      const sent = await followingMigration(client, () =>
        step('auth.sendCode', () =>
          client.invoke(new Api.auth.SendCode({ phoneNumber, apiId, apiHash, settings: new Api.CodeSettings({}) })),
        ),
      );
      if (!(sent instanceof Api.auth.SentCode)) throw classifyTelegramError(new Error('Telegram sent no login code'));
      phoneCodeHash = sent.phoneCodeHash;
    },
    async signIn(phoneCode) {
      try {
        await within(
          timeoutMs,
          'auth.signIn',
          client.invoke(new Api.auth.SignIn({ phoneNumber, phoneCodeHash, phoneCode })),
        );
        return 'logged-in';
      } catch (err) {
        const rpcError = rpcErrorOf(err);
        if (rpcError === 'SESSION_PASSWORD_NEEDED') return 'password-needed';
        if (rpcError && codeInvalid.has(rpcError)) return 'code-invalid';
        if (rpcError && codeExpired.has(rpcError)) return 'code-expired';
        throw classifyTelegramError(err);
      }
    },
    async checkPassword(password) {
      const parameters = await step('account.getPassword', () => client.invoke(new Api.account.GetPassword()));
      const proof = await step('computing the password proof', () => computeCheck(parameters, password));
      try {
        await within(timeoutMs, 'auth.checkPassword', client.invoke(new Api.auth.CheckPassword({ password: proof })));
        return 'logged-in';
      } catch (err) {
        if (rpcErrorOf(err) === 'PASSWORD_HASH_INVALID') return 'password-invalid';
        throw classifyTelegramError(err);
      }
    },
    session: () => (client.session as StringSession).save(),
    pending: () => (phoneCodeHash ? { session: (client.session as StringSession).save(), phoneCodeHash } : undefined),
    close: () => open.close(),
  };
}

type Connect = (
  accountId: string,
  onUpdate?: (update: Api.TypeUpdate) => void,
) => ReturnType<typeof openTelegramClient>;

/**
 * The account's update stream made gap-free, as Telegram expects of its clients: each update carries `pts` and
 * `ptsCount`; one that does not follow the last handed-over point means updates were missed, and getDifference
 * fetches them. Updates are handled one at a time, in arrival order.
 */
async function openSession(connect: Connect, request: OpenSessionRequest, timeoutMs: number): Promise<TelegramSession> {
  const { onMessage } = request;
  let point: SyncPoint = request.from ?? { pts: 0, date: 0 };
  let failed: (reason: Error) => void = () => undefined;
  const processingFailed = new Promise<Error>((resolve) => (failed = resolve));
  let started: () => void = () => undefined;
  let queue = new Promise<void>((resolve) => (started = resolve));
  const enqueue = (task: () => Promise<void>) => {
    queue = queue.then(task).catch((err: unknown) => failed(classifyTelegramError(err)));
  };

  const open = await connect(request.accountId, (update) => {
    const tap = buttonTap(update);
    if (tap) return request.onTap?.(tap);
    const live = liveMessage(update);
    if (live === 'too-long') return enqueue(() => catchUp());
    if (!live) return;
    enqueue(async () => {
      if (live.pts <= point.pts) return; // already handed over (e.g. by a catch-up)
      if (live.pts - live.ptsCount > point.pts) return catchUp();
      // The point moves past a message only once it is handed over: a session closed meanwhile resumes before it.
      const next = { pts: live.pts, date: live.message.date };
      if (!live.out) await onMessage(live.message, next);
      point = next;
    });
  });
  const { client } = open;

  async function catchUp(): Promise<void> {
    for (;;) {
      const difference = await client.invoke(
        new Api.updates.GetDifference({ pts: point.pts, date: point.date, qts: 0 }),
      );
      if (difference instanceof Api.updates.DifferenceEmpty) return;
      if (difference instanceof Api.updates.DifferenceTooLong) {
        point = { pts: difference.pts, date: point.date }; // too far behind to replay: Telegram's own limit
        return;
      }
      const state = difference instanceof Api.updates.Difference ? difference.state : difference.intermediateState;
      const incoming = difference.newMessages.filter((m): m is Api.Message => m instanceof Api.Message && !m.out);
      // Only the batch's end point is known; a crash mid-batch replays it, which idempotent syncs absorb.
      for (const [i, message] of incoming.entries()) {
        await onMessage(toMessage(message), i === incoming.length - 1 ? { pts: state.pts, date: state.date } : point);
      }
      point = { pts: state.pts, date: state.date };
      if (difference instanceof Api.updates.Difference) return;
    }
  }

  try {
    if (!request.from) {
      const state = await within(timeoutMs, 'updates.getState', client.invoke(new Api.updates.GetState()));
      point = { pts: state.pts, date: state.date };
    }
  } catch (err) {
    await open.close();
    throw classifyTelegramError(err);
  }
  if (request.from) enqueue(() => catchUp());
  started();

  return {
    lost: Promise.race([open.lost.then((reason) => classifyTelegramError(reason)), processingFailed]),
    point: () => ({ ...point }),
    ping: () => ping(client, timeoutMs),
    async send(chatId, text, idempotencyKey, markup) {
      try {
        return await within(timeoutMs, 'messages.sendMessage', sendText(client, chatId, text, idempotencyKey, markup));
      } catch (err) {
        throw classifyTelegramError(err);
      }
    },
    async edit(chatId, messageId, text, markup) {
      try {
        return await within(timeoutMs, 'messages.editMessage', editText(client, chatId, messageId, text, markup));
      } catch (err) {
        throw classifyTelegramError(err);
      }
    },
    async answerTap(queryId, text) {
      try {
        await within(timeoutMs, 'messages.setBotCallbackAnswer', answerCallback(client, queryId, text));
      } catch (err) {
        throw classifyTelegramError(err);
      }
    },
    async messageText(messageId) {
      try {
        const found = await within(
          timeoutMs,
          'messages.getMessages',
          client.invoke(new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: messageId })] })),
        );
        const message = 'messages' in found ? found.messages[0] : undefined;
        return message instanceof Api.Message ? message.message : undefined;
      } catch (err) {
        throw classifyTelegramError(err);
      }
    },
    close: () => open.close(),
  };
}

async function ping(client: TelegramClient, timeoutMs: number): Promise<number> {
  const started = performance.now();
  try {
    const pingId = returnBigInt(Math.floor(Math.random() * 2 ** 48));
    await within(timeoutMs, 'ping', client.invoke(new Api.Ping({ pingId })));
  } catch (err) {
    throw classifyTelegramError(err);
  }
  return Math.round(performance.now() - started);
}

interface LiveMessage {
  pts: number;
  ptsCount: number;
  out: boolean;
  message: TelegramMessage;
}

/** A tap on a button under one of the bot's messages in a private chat (a callback query); data as UTF-8. */
function buttonTap(update: Api.TypeUpdate | Api.TypeUpdates): ButtonTap | undefined {
  if (!(update instanceof Api.UpdateBotCallbackQuery) || !update.data) return undefined;
  return {
    queryId: update.queryId.toString(),
    senderId: update.userId.toString(),
    chatId: peerIdOf(update.peer),
    messageId: update.msgId,
    data: update.data.toString('utf8'),
  };
}

/** The new-message updates Telegram pushes, in their short and full forms. */
function liveMessage(update: Api.TypeUpdate | Api.TypeUpdates): LiveMessage | 'too-long' | undefined {
  if (update instanceof Api.UpdatesTooLong) return 'too-long';
  if (update instanceof Api.UpdateShortMessage) {
    const userId = update.userId.toString();
    return {
      pts: update.pts,
      ptsCount: update.ptsCount,
      out: update.out ?? false,
      message: {
        chatId: userId,
        messageId: update.id,
        senderId: userId,
        text: update.message,
        date: update.date,
        ...replyToOf(update.replyTo),
      },
    };
  }
  if (update instanceof Api.UpdateShortChatMessage) {
    return {
      pts: update.pts,
      ptsCount: update.ptsCount,
      out: update.out ?? false,
      message: {
        chatId: `-${update.chatId.toString()}`,
        messageId: update.id,
        senderId: update.fromId.toString(),
        text: update.message,
        date: update.date,
        ...replyToOf(update.replyTo),
      },
    };
  }
  if (update instanceof Api.UpdateNewMessage && update.message instanceof Api.Message) {
    return {
      pts: update.pts,
      ptsCount: update.ptsCount,
      out: update.message.out ?? false,
      message: toMessage(update.message),
    };
  }
  return undefined;
}

function peerIdOf(peer: Api.TypePeer): string {
  if (peer instanceof Api.PeerUser) return peer.userId.toString();
  if (peer instanceof Api.PeerChat) return `-${peer.chatId.toString()}`;
  return `-100${peer.channelId.toString()}`;
}

function toMessage(message: Api.Message): TelegramMessage {
  const chatId = peerIdOf(message.peerId);
  return {
    chatId,
    messageId: message.id,
    senderId: message.fromId ? peerIdOf(message.fromId) : chatId,
    text: message.message,
    date: message.date,
    ...replyToOf(message.replyTo),
  };
}

/** The id of the message a reply answers (absent from the message when it answers none). */
function replyToOf(header: Api.TypeMessageReplyHeader | undefined): { replyToMessageId?: number } {
  return header instanceof Api.MessageReplyHeader && header.replyToMsgId
    ? { replyToMessageId: header.replyToMsgId }
    : {};
}
