import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFaultInjector, faultsSchema, type FaultInjector, type Faults } from './faults';

export { faultsSchema, type Faults } from './faults';

/**
 * What every simulator shares: loopback HTTP, the control API of docs/sandbox.md (`GET /_sandbox/state`,
 * `POST /_sandbox/faults`) and seeded fault injection, so a run with the same faults fails the same way.
 */

export interface SimulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}
export interface SimulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON; a string is sent as it is when `headers` name its content type. */
  body: unknown;
}

/** Every service request the simulator saw (control calls excluded), for tests and the demo's accounting. */
export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  status: number | 'no answer' | 'answer lost';
}

export interface SimulatorSpec {
  handle: (request: SimulatorRequest) => SimulatorResponse | Promise<SimulatorResponse>;
  state: () => unknown;
  /** The service's own rate-limit answer (its headers differ per service). */
  rateLimited: (resetSeconds: number) => SimulatorResponse;
  /** The service's own error envelope. */
  failed: (status: number) => SimulatorResponse;
  /** The service's own control routes under /_sandbox/ (e.g. injecting someone else's tweet); undefined: no route. */
  control?: (request: SimulatorRequest) => SimulatorResponse | undefined | Promise<SimulatorResponse | undefined>;
  /** The fault injector behind `POST /_sandbox/faults`, when the simulator applies faults elsewhere too. */
  faults?: FaultInjector;
}

export interface RunningSimulator {
  url: string;
  requests: () => LoggedRequest[];
  setFaults: (faults: Partial<Faults>) => Faults;
  close: () => Promise<void>;
}

/** `tls`: serve HTTPS with this key and certificate (for clients such as twitter-api-v2 that only speak HTTPS). */
export async function startSimulator(
  spec: SimulatorSpec,
  port = 0,
  tls?: { key: string; cert: string },
): Promise<RunningSimulator> {
  const faults = spec.faults ?? createFaultInjector();
  const requests: LoggedRequest[] = [];
  const setFaults = (next: Partial<Faults>) => faults.set(next);

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res).catch((err: unknown) => send(res, { status: 500, body: { error: String(err) } }));
  };
  const server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname: path, searchParams: query } = new URL(req.url ?? '/', 'http://sandbox');
    const raw = await readBody(req);
    let body: unknown;
    try {
      // OAuth 2.0 token requests are form-encoded; everything else is JSON.
      const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded');
      body = !raw ? undefined : form ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
    } catch {
      return send(res, { status: 400, body: { error: 'the request body is not JSON' } });
    }
    if (path === '/_sandbox/state' && req.method === 'GET') {
      return send(res, { status: 200, body: { ...((await spec.state()) as object), requests } });
    }
    if (path === '/_sandbox/faults' && req.method === 'POST') {
      const parsed = faultsSchema.safeParse(body ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return send(res, { status: 400, body: { error: `${issue?.path.join('.')}: ${issue?.message}` } });
      }
      return send(res, { status: 200, body: setFaults(parsed.data) });
    }
    if (path.startsWith('/_sandbox/')) {
      const answer = await spec.control?.({ method: req.method ?? 'GET', path, query, headers: req.headers, body });
      return send(res, answer ?? { status: 404, body: { error: `No sandbox route ${path}` } });
    }

    const logged: LoggedRequest = { at: Date.now(), method: req.method ?? 'GET', path, status: 'no answer' };
    requests.push(logged);
    const outcome = await faults.next(`${logged.method} ${path}`);
    let response: SimulatorResponse | undefined;
    if (outcome.kind === 'no-answer')
      response = undefined; // never answered: the client's own timeout decides
    else if (outcome.kind === 'rate-limit') response = spec.rateLimited(outcome.resetSeconds);
    else if (outcome.kind === 'error') response = spec.failed(outcome.status);
    else response = await spec.handle({ method: logged.method, path, query, headers: req.headers, body });
    if (!response) return;
    logged.status = response.status;
    if (outcome.kind === 'answer-lost') {
      logged.status = 'answer lost';
      return; // carried out, never answered: the client's own timeout decides
    }
    send(res, response);
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${bound}`,
    requests: () => [...requests],
    setFaults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** JSON, unless the response names another content type for a text body (a page, a form-encoded answer). */
function send(res: ServerResponse, { status, headers = {}, body }: SimulatorResponse): void {
  if (res.headersSent) return;
  const text = typeof body === 'string' && headers['content-type'] !== undefined;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text ? body : body === undefined ? '' : JSON.stringify(body));
}
