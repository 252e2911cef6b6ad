import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { keyRingOf } from './key-ring';
import { EncryptionCodec } from './payload-codec';

/**
 * Temporal's remote codec protocol (what the Web UI and `temporal … --codec-endpoint` speak): `POST /encode` and
 * `POST /decode` with `{"payloads": [...]}` in the proto3 JSON of Payloads (metadata values and data in base64),
 * answered in kind. It serves this process's codec to the owner's browser and terminal, so it listens on loopback
 * only, grants CORS to the Web UI's origin alone, refuses any request whose browser says it came from another
 * origin (the browser would hide the answer, not the request), and asks for a bearer token when one is configured.
 */
export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  /** The Web UI's origin, such as http://localhost:8233: the one origin a browser may call from. */
  allowedOrigin: string;
  /** When set, every POST must carry `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Where it listens: loopback (the default), or beyond it only with a token (config.ts refuses otherwise). */
  host?: string;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

/** Larger than any request Temporal sends: its payloads are at most 2 MB, and a history page carries a few. */
const maxBody = 16 * 1024 * 1024;

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

const { Payloads } = temporal.api.common.v1;

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const allowedOrigin = new URL(options.allowedOrigin).origin;
  const listenOn = options.host ?? '127.0.0.1';
  const onLoopback = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(listenOn);
  if (!onLoopback && options.token === undefined) {
    throw new Error(`a codec server beyond loopback (${listenOn}) needs a token`);
  }
  const server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      reply(response, 500, { message: err instanceof Error ? err.message : String(err) });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = request.headers.origin;
    // A name that resolves to loopback only for an attacker's page (DNS rebinding) reaches us with its own Host. Beyond
    // loopback the token is what guards it: a rebinding page cannot know it.
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (onLoopback && !loopbackHosts.has(host)) {
      return reply(response, 403, { message: `Host ${host} is not this loopback server` });
    }
    if (origin !== undefined && origin !== allowedOrigin) {
      return reply(response, 403, { message: `Origin ${origin} may not use this codec server` });
    }
    if (origin !== undefined) {
      response.setHeader('Access-Control-Allow-Origin', allowedOrigin);
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Methods', 'POST');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      response.setHeader('Access-Control-Max-Age', '600');
      response.writeHead(204).end();
      return;
    }
    const path = new URL(request.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    const operation = path === '/encode' ? 'encode' : path === '/decode' ? 'decode' : undefined;
    if (!operation) return reply(response, 404, { message: 'POST /encode or /decode' });
    if (request.method !== 'POST') return reply(response, 405, { message: `${request.method} ${path}: expected POST` });
    if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return reply(response, 401, { message: 'expected Authorization: Bearer <STEADFAST_CODEC_TOKEN>' });
    }
    if (Number(request.headers['content-length'] ?? 0) > maxBody) {
      response.setHeader('Connection', 'close');
      return reply(response, 413, { message: `the body is larger than ${maxBody} bytes` });
    }
    const body = await readBody(request);
    if (body === undefined) {
      response.setHeader('Connection', 'close');
      return reply(response, 413, { message: `the body is larger than ${maxBody} bytes` });
    }
    let payloads: Payload[];
    try {
      payloads = Payloads.fromObject(JSON.parse(body) as object).payloads;
    } catch (err) {
      return reply(response, 400, {
        message: `expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${(err as Error).message}`,
      });
    }
    let result: Payload[];
    try {
      result = await options.codec[operation](payloads);
    } catch (err) {
      return reply(response, 400, { message: (err as Error).message });
    }
    reply(response, 200, Payloads.toObject(Payloads.create({ payloads: result }), { bytes: String }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, listenOn, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${onLoopback ? '127.0.0.1' : listenOn}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        chunks.length = 0;
        resolve(undefined); // the rest is read and dropped
        return;
      }
      if (size <= maxBody) chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: object): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * The owner's codec server, as the configuration says: the payload codec of every client and worker, on
 * STEADFAST_CODEC_PORT, for the Web UI at TEMPORAL_UI_URL. Undefined when encryption is off: there is nothing to decode.
 */
export function startOwnersCodecServer(config: Config, port = config.codecServer.port) {
  const keys = keyRingOf(config.temporal.encryption);
  if (!keys) return undefined;
  return startCodecServer({
    // It shows what Temporal holds, plain payloads included (patch markers, histories from before encryption).
    codec: new EncryptionCodec(keys, { acceptPlain: true }),
    port,
    allowedOrigin: config.temporal.webUiUrl,
    token: config.codecServer.token,
    host: config.codecServer.host,
  });
}

/** Where the Web UI and the CLI reach the owner's codec server; undefined when encryption is off. */
export function codecEndpoint(config: Config): string | undefined {
  return config.temporal.encryption.mode === 'off' ? undefined : `http://127.0.0.1:${config.codecServer.port}`;
}
