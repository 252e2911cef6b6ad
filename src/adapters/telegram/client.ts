import { type Api, errors, TelegramClient } from 'telegram';
import { Raw } from 'telegram/events';
import { Logger, LogLevel } from 'telegram/extensions/Logger';
import { ConnectionTCPFull } from 'telegram/network';
import { StringSession } from 'telegram/sessions';
import { TelegramAuthKeyUnknown, TelegramConnectionLost } from './classify';
import { trustServerKey } from './server-key';

export interface TelegramClientSettings {
  apiId: number;
  apiHash: string;
  /**
   * Where new sessions start (a login, the bot's first connection), and the port every connection dials: Telegram's
   * test servers, or a simulator. Unset: Telegram's production data centres, on port 80 as GramJS dials them.
   */
  server?: { host: string; port: number };
  /** The RSA public key (PEM) that server signs the key exchange with, when GramJS does not know it (server-key.ts). */
  publicKey?: string;
  /** How long connecting may take before the attempt counts as a network failure; below the activities' timeouts. */
  connectTimeoutMs?: number;
}

export interface OpenClient {
  client: TelegramClient;
  /**
   * Settles when the connection drops (never after `close`): the caller fails and Temporal's policy reconnects; or
   * when Telegram does not know the session's auth key, which no reconnect cures.
   */
  lost: Promise<TelegramConnectionLost | TelegramAuthKeyUnknown>;
  close(): Promise<void>;
}

/**
 * A connected GramJS client whose own recovery is turned off so that Temporal decides: one connection attempt, no
 * reconnects, no request retries, no flood sleeps. Its connection class reports a dropped socket at once and refuses
 * to reopen after `close`, because GramJS schedules a reconnect of its own a second after a drop, and a second live
 * connection with the same session is what Telegram punishes with AUTH_KEY_DUPLICATED.
 */
export async function openTelegramClient(
  settings: TelegramClientSettings,
  session: string,
  /** Receives pushed updates; registered before connecting so that none is missed. */
  onUpdate?: (update: Api.TypeUpdate) => void,
): Promise<OpenClient> {
  const { connectTimeoutMs = 10_000 } = settings;
  const port = settings.server?.port;
  if (settings.publicKey) trustServerKey(settings.publicKey);
  let closing = false;
  let reportLost: (reason: TelegramConnectionLost | TelegramAuthKeyUnknown) => void = () => undefined;
  const lost = new Promise<TelegramConnectionLost | TelegramAuthKeyUnknown>((resolve) => (reportLost = resolve));

  class ReportingConnection extends ConnectionTCPFull {
    constructor(params: ConstructorParameters<typeof ConnectionTCPFull>[0]) {
      super(port === undefined ? params : { ...params, port });
    }
    override async connect(): Promise<void> {
      if (closing) throw new TelegramConnectionLost('the client is closed');
      await super.connect();
    }
    /**
     * Telegram answers a packet under an auth key it does not know (one it forgot, or a restarted server's) with the
     * 4-byte transport error -404 and drops the connection; GramJS would then make a new key, which is a new,
     * logged-out session. Reported before the drop, so that the caller logs in again instead of reconnecting.
     */
    override async _recv(): Promise<Buffer> {
      const unknownKey = () =>
        closing || reportLost(new TelegramAuthKeyUnknown('Telegram does not know this session (transport error -404)'));
      try {
        // Sent as a 4-byte packet, or (full transport) with -404 in place of the length: GramJS throws then.
        const packet = (await super._recv()) as Buffer;
        if (packet.length === 4 && packet.readInt32LE(0) === -404) unknownKey();
        return packet;
      } catch (err) {
        if (err instanceof errors.InvalidBufferError && err.code === 404) unknownKey();
        throw err;
      }
    }
    override async disconnect(): Promise<void> {
      const wasConnected = this._connected;
      await super.disconnect();
      if (wasConnected && !closing) reportLost(new TelegramConnectionLost('the connection to Telegram dropped'));
    }
  }

  const stored = new StringSession(session);
  // A new session (an empty one) starts on the configured data centre; a stored one knows its own. The port kept in
  // the session is not the one dialled (above), and GramJS stores it in 16 signed bits: Telegram's 443.
  if (!session && settings.server) stored.setDC(2, settings.server.host, 443);
  const client = new TelegramClient(stored, settings.apiId, settings.apiHash, {
    connection: ReportingConnection,
    connectionRetries: 1,
    retryDelay: 0,
    reconnectRetries: 0,
    autoReconnect: false,
    // One attempt: a 5xx then surfaces as "Request was unsuccessful" and a FLOOD_WAIT as itself, to be classified.
    requestRetries: 1,
    floodSleepThreshold: 0,
    baseLogger: new Logger(LogLevel.NONE),
  });
  if (onUpdate) client.addEventHandler(onUpdate, new Raw({}));
  const close = async () => {
    closing = true;
    await client.destroy().catch(() => undefined);
  };

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TelegramConnectionLost(`no connection to Telegram within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
  });
  try {
    const connected = await Promise.race([client.connect(), lost.then((reason) => Promise.reject(reason)), timedOut]);
    if (!connected) throw new TelegramConnectionLost('Telegram could not be reached');
  } catch (err) {
    await close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { client, lost, close };
}
