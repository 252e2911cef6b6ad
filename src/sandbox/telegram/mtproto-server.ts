import { createServer, type AddressInfo, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions';
import { returnBigInt } from 'telegram/Helpers';
import { authKeyId, decryptFromClient, encryptForClient } from './mtproto-crypto';

/**
 * A loopback MTProto server: the TCP "full" transport GramJS uses in Node, the auth key exchange in unencrypted
 * messages (key-exchange.ts, under the simulator's own RSA key), MTProto 2.0 encryption, containers, gzip, pings,
 * rpc_result / rpc_error and pushed updates. The TL objects themselves are GramJS's (`Api`): writing Telegram's
 * 200-layer schema again would only add mistakes.
 */
export interface MtprotoConnection {
  readonly id: number;
  /** The data centre it connected to: each listens on an address of its own, as Telegram's do. */
  readonly dc: number;
  readonly authKey: Buffer;
  /** Sends an update (`Api.Updates` and friends) as Telegram does: unrequested, outside any rpc_result. */
  push(update: Api.TypeUpdates): void;
  /** Drops the TCP connection, as a network failure would. */
  close(): void;
}

/** An error answered as `rpc_error`, e.g. 420 FLOOD_WAIT_30 or 401 AUTH_KEY_UNREGISTERED. */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    readonly errorMessage: string,
  ) {
    super(`${code} ${errorMessage}`);
  }
}

/** What a request answers: a TL object, a vector of them, a Bool; `noAnswer` leaves the client waiting. */
export type RpcResult = { getBytes(): Buffer } | { getBytes(): Buffer }[] | boolean;
export const noAnswer = Symbol('no answer');

export interface MtprotoHandler {
  /** An unencrypted message of the key exchange, answered unencrypted; undefined drops the connection. */
  exchangeKey?(request: unknown, dc: number): { getBytes(): Buffer } | undefined;
  /** The auth key with this id on that data centre, or undefined: transport error -404, as Telegram answers. */
  findAuthKey(keyId: Buffer, dc: number): Buffer | undefined;
  /** Whether a connection with this key may be opened now (false: closed at once, like an unreachable network). */
  admits(authKey: Buffer): boolean;
  call(connection: MtprotoConnection, request: Api.AnyRequest): Promise<RpcResult | typeof noAnswer>;
  closed?(connection: MtprotoConnection): void;
}

export interface RunningMtprotoServer {
  port: number;
  connections(): MtprotoConnection[];
  close(): Promise<void>;
}

const CONTAINER = 0x73f1f8dc;
const GZIP_PACKED = 0x3072cfa1;
const RPC_RESULT = 0xf35c6d01;
const RPC_ERROR = 0x2144ca19;
const VECTOR = 0x1cb5c415;

/**
 * One listener per data centre, on the same port: `dataCentres` maps an address to its DC id (GramJS dials a DC's
 * address on a fixed port, so DCs differ by address, as Telegram's do). The first is required; one whose address
 * cannot be bound (a loopback alias the system lacks) is left out.
 */
export async function startMtprotoServer(
  handler: MtprotoHandler,
  port = 0,
  dataCentres: { host: string; dc: number }[] = [{ host: '127.0.0.1', dc: 2 }],
): Promise<RunningMtprotoServer & { dataCentres: { host: string; dc: number }[] }> {
  const open = new Set<ServerConnection>();
  let nextId = 1;
  const listen = async (host: string, dc: number, at: number) => {
    const server = createServer((socket) => {
      const connection = new ServerConnection(nextId++, dc, socket, handler);
      open.add(connection);
      socket.once('close', () => {
        open.delete(connection);
        if (connection.authKey.length > 0) handler.closed?.(connection);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, host, resolve);
    });
    return server;
  };
  const [main, ...others] = dataCentres;
  const first = await listen(main!.host, main!.dc, port);
  const bound = (first.address() as AddressInfo).port;
  const servers = [first];
  const serving = [main!];
  for (const other of others) {
    const server = await listen(other.host, other.dc, bound).catch(() => undefined);
    if (server) {
      servers.push(server);
      serving.push(other);
    }
  }
  return {
    port: bound,
    dataCentres: serving,
    connections: () => [...open].filter((c) => c.authKey.length > 0),
    close: async () => {
      for (const connection of open) connection.close();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

class ServerConnection implements MtprotoConnection {
  authKey: Buffer = Buffer.alloc(0);
  private received: Buffer = Buffer.alloc(0);
  private sendCounter = 0;
  private salt: Buffer = Buffer.alloc(8);
  private sessionId: Buffer = Buffer.alloc(8);
  private lastMsgId = 0n;
  private seqNo = 0;

  constructor(
    readonly id: number,
    readonly dc: number,
    private readonly socket: Socket,
    private readonly handler: MtprotoHandler,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
  }

  push(update: Api.TypeUpdates): void {
    this.send(update.getBytes(), true);
  }

  close(): void {
    this.socket.destroy();
  }

  /** TCP full transport: length (4), sequence (4), payload, CRC32 (4); a negative length is a transport error. */
  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    while (this.received.length >= 4) {
      const length = this.received.readInt32LE(0);
      if (length < 12 || length > 16 * 1024 * 1024) return this.close();
      if (this.received.length < length) return;
      const packet = this.received.subarray(0, length);
      this.received = this.received.subarray(length);
      if (crc32(packet.subarray(0, length - 4)) !== packet.readUInt32LE(length - 4)) return this.close();
      this.onPacket(packet.subarray(8, length - 4));
    }
  }

  private onPacket(payload: Buffer): void {
    const keyId = payload.subarray(0, 8);
    if (keyId.every((byte) => byte === 0)) return this.onPlain(payload);
    const authKey = this.handler.findAuthKey(keyId, this.dc);
    if (!authKey || (this.authKey.length > 0 && !authKeyId(this.authKey).equals(keyId))) {
      return this.transportError(-404);
    }
    if (this.authKey.length === 0) {
      if (!this.handler.admits(authKey)) return this.close();
      this.authKey = authKey;
    }
    let plaintext: Buffer;
    try {
      plaintext = decryptFromClient(authKey, payload);
    } catch {
      return this.transportError(-404);
    }
    this.salt = Buffer.from(plaintext.subarray(0, 8));
    this.sessionId = Buffer.from(plaintext.subarray(8, 16));
    const msgId = plaintext.readBigInt64LE(16);
    const bodyLength = plaintext.readInt32LE(28);
    this.onMessage(msgId, plaintext.subarray(32, 32 + bodyLength));
  }

  /** auth_key_id 0, msg_id, length, body: the key exchange, before there is a key to encrypt with. */
  private onPlain(payload: Buffer): void {
    const length = payload.readInt32LE(16);
    let request: unknown;
    try {
      request = new BinaryReader(payload.subarray(20, 20 + length)).tgReadObject();
    } catch {
      return this.close();
    }
    const answer = this.handler.exchangeKey?.(request, this.dc);
    if (!answer) return this.close();
    const body = answer.getBytes();
    const header = Buffer.alloc(20);
    header.writeBigInt64LE(this.newMsgId(), 8);
    header.writeInt32LE(body.length, 16);
    this.write(Buffer.concat([header, body]));
  }

  private onMessage(msgId: bigint, body: Buffer): void {
    const constructorId = body.readUInt32LE(0);
    if (constructorId === CONTAINER) {
      const count = body.readInt32LE(4);
      let offset = 8;
      for (let i = 0; i < count; i++) {
        const innerId = body.readBigInt64LE(offset);
        const length = body.readInt32LE(offset + 12);
        this.onMessage(innerId, body.subarray(offset + 16, offset + 16 + length));
        offset += 16 + length;
      }
      return;
    }
    if (constructorId === GZIP_PACKED) {
      const packed = new BinaryReader(body.subarray(4)).tgReadBytes();
      return this.onMessage(msgId, gunzipSync(packed));
    }
    const object = new BinaryReader(body).tgReadObject() as Api.AnyRequest | Api.MsgsAck;
    if (object instanceof Api.MsgsAck) return;
    if (object instanceof Api.Ping || object instanceof Api.PingDelayDisconnect) {
      const pong = new Api.Pong({ msgId: toLong(msgId), pingId: object.pingId });
      return this.send(pong.getBytes(), false);
    }
    void this.answer(msgId, unwrap(object));
  }

  private async answer(msgId: bigint, request: Api.AnyRequest): Promise<void> {
    let body: Buffer;
    try {
      const result = await this.handler.call(this, request);
      if (result === noAnswer) return;
      body = serializeResult(result);
    } catch (err) {
      const failure = err instanceof RpcFailure ? err : new RpcFailure(500, 'INTERNAL_SERVER_ERROR');
      body = Buffer.concat([int32(RPC_ERROR), int32(failure.code), tlString(failure.errorMessage)]);
    }
    const header = Buffer.alloc(12);
    header.writeUInt32LE(RPC_RESULT, 0);
    header.writeBigInt64LE(msgId, 4);
    this.send(Buffer.concat([header, body]), true);
  }

  private send(body: Buffer, contentRelated: boolean): void {
    if (this.socket.destroyed || this.authKey.length === 0) return;
    const header = Buffer.alloc(16);
    header.writeBigInt64LE(this.newMsgId(), 0);
    header.writeInt32LE(contentRelated ? this.seqNo++ * 2 + 1 : this.seqNo * 2, 8);
    header.writeInt32LE(body.length, 12);
    const plaintext = Buffer.concat([this.salt, this.sessionId, header, body]);
    this.write(encryptForClient(this.authKey, plaintext));
  }

  /** Server message ids: time-based, increasing, and ≡ 1 (mod 4) as for responses. */
  private newMsgId(): bigint {
    const now = BigInt(Math.floor(Date.now() / 1000)) << 32n;
    this.lastMsgId = now > this.lastMsgId ? now + 1n : this.lastMsgId + 4n;
    return this.lastMsgId;
  }

  private transportError(code: number): void {
    const packet = Buffer.alloc(4);
    packet.writeInt32LE(code, 0);
    this.socket.write(Buffer.concat([int32(code), int32(0), packet]));
    this.close();
  }

  private write(payload: Buffer): void {
    const head = Buffer.alloc(8);
    head.writeInt32LE(payload.length + 12, 0);
    head.writeInt32LE(this.sendCounter++, 4);
    const framed = Buffer.concat([head, payload]);
    this.socket.write(Buffer.concat([framed, uint32(crc32(framed))]));
  }
}

/** invokeWithLayer(initConnection(query)) and friends carry the real request inside. */
function unwrap(request: Api.AnyRequest): Api.AnyRequest {
  if (
    request instanceof Api.InvokeWithLayer ||
    request instanceof Api.InitConnection ||
    request instanceof Api.InvokeWithoutUpdates ||
    request instanceof Api.InvokeAfterMsg
  ) {
    return unwrap(request.query as Api.AnyRequest);
  }
  return request;
}

function serializeResult(result: RpcResult): Buffer {
  if (typeof result === 'boolean') return uint32(result ? 0x997275b5 : 0xbc799737);
  if (Array.isArray(result))
    return Buffer.concat([uint32(VECTOR), int32(result.length), ...result.map((o) => o.getBytes())]);
  return result.getBytes();
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}
function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

/** TL `string`: a length byte (or 254 + 3-byte length), the bytes, padding to 4. */
function tlString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const head =
    bytes.length < 254 ? Buffer.from([bytes.length]) : Buffer.from([254, ...int32(bytes.length).subarray(0, 3)]);
  const padding = (4 - ((head.length + bytes.length) % 4)) % 4;
  return Buffer.concat([head, bytes, Buffer.alloc(padding)]);
}

/** GramJS's TL longs are big-integer values. */
function toLong(value: bigint): Api.long {
  return returnBigInt(BigInt.asIntN(64, value).toString());
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
