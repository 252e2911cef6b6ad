import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { createFileAccountStore } from '../adapters/account-store/file-account-store';
import { startConvexSimulator } from './convex-simulator';
import { startOpenAiSimulator } from './openai-simulator';
import { sandboxTelegramAccounts, startTelegramSimulator } from './telegram/telegram-simulator';
import { startXSimulator, type XSimulatorTls } from './x-simulator';
import { sandboxUserTokenSecret } from './x-oauth1';
import { sandboxEndpoints, type SandboxEndpoints } from './endpoints';

export { isSandboxUp, sandboxEndpoints, type SandboxEndpoints } from './endpoints';

const keyPathOf = (endpoints: SandboxEndpoints) => join(endpoints.dir, 'x-key.pem');
const telegramPrivateKeyOf = (endpoints: SandboxEndpoints) => join(endpoints.dir, 'telegram-server-private.pem');

/**
 * The X simulator's key and certificate from an earlier start, while the certificate is good for another day: a
 * worker that trusted it before a restart of the sandbox still does after.
 */
function keptTls(endpoints: SandboxEndpoints): XSimulatorTls | undefined {
  if (!existsSync(endpoints.caPath) || !existsSync(keyPathOf(endpoints))) return undefined;
  const cert = readFileSync(endpoints.caPath, 'utf8');
  if (Date.parse(new X509Certificate(cert).validTo) < Date.now() + 24 * 3600 * 1000) return undefined;
  return { key: readFileSync(keyPathOf(endpoints), 'utf8'), cert };
}

export interface RunningSandbox {
  endpoints: SandboxEndpoints;
  close(): Promise<void>;
}

export async function startSandbox(basePort: number): Promise<RunningSandbox> {
  const endpoints = sandboxEndpoints(basePort);
  mkdirSync(endpoints.dir, { recursive: true });
  const openai = await startOpenAiSimulator(basePort);
  // Each keeps what its service never forgets in the sandbox's folder, so a restart loses no work and reuses no id.
  const x = await startXSimulator(basePort + 1, keptTls(endpoints), { dataFile: join(endpoints.dir, 'x.json') });
  writeFileSync(keyPathOf(endpoints), x.tls.key, { mode: 0o600 });
  const convex = await startConvexSimulator({ port: basePort + 2, dataFile: join(endpoints.dir, 'convex.json') });
  // Its RSA key is kept, as the X certificate is, so clients that trusted it before a restart still do.
  const telegramKey = telegramPrivateKeyOf(endpoints);
  const telegram = await startTelegramSimulator({
    port: basePort + 3,
    mtprotoPort: basePort + 4,
    serverKeyPem: existsSync(telegramKey) ? readFileSync(telegramKey, 'utf8') : undefined,
    dataFile: join(endpoints.dir, 'telegram.json'),
  });
  writeFileSync(telegramKey, telegram.serverKey.privatePem, { mode: 0o600 });
  writeFileSync(endpoints.telegramPublicKeyPath, telegram.serverKey.publicPem);
  writeFileSync(endpoints.caPath, x.ca);

  // The sandbox accounts are logged in from the start (docs/sandbox.md): their sessions and tokens are seeded.
  const accounts = createFileAccountStore(endpoints.accountStorePath);
  for (const { accountId } of sandboxTelegramAccounts) {
    await accounts.saveTelegramSession(accountId, telegram.sessionFor(accountId));
    await accounts.saveXTokens(accountId, {
      accessToken: `sandbox-token-${accountId}`,
      accessSecret: sandboxUserTokenSecret,
    });
  }
  return {
    endpoints,
    close: async () => {
      await Promise.all([openai.close(), x.close(), convex.close(), telegram.close()]);
    },
  };
}

/** A JSON call to a simulator's control API (the X simulator's over HTTPS, trusting its own certificate). */
export function controlCall<T>(url: string, method: 'GET' | 'POST', ca?: string, body?: unknown): Promise<T> {
  const request = url.startsWith('https') ? httpsRequest : httpRequest;
  return new Promise((done, fail) => {
    // A connection per call (they are few): a restarted simulator is never asked over a socket its predecessor closed.
    const options = { method, ca, agent: false as const, headers: { 'content-type': 'application/json' } };
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        (res.statusCode ?? 500) < 300
          ? done(JSON.parse(text) as T)
          : fail(new Error(`${url} answered ${res.statusCode}: ${text}`)),
      );
    });
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Someone else's tweet on the sandbox's X, for the pipeline to answer (POST /_sandbox/x/tweets). */
export async function postTargetTweet(
  basePort: number,
  tweet: { authorUsername: string; text: string },
): Promise<string> {
  const { xUrl, caPath } = sandboxEndpoints(basePort);
  const posted = await controlCall<{ id: string }>(
    `${xUrl}/_sandbox/x/tweets`,
    'POST',
    readFileSync(caPath, 'utf8'),
    tweet,
  );
  return posted.id;
}

/** Every tweet the sandbox's X holds, with what each replies to. */
export async function sandboxTweets(
  basePort: number,
): Promise<{ id: string; text: string; authorUsername: string; in_reply_to?: string }[]> {
  const { xUrl, caPath } = sandboxEndpoints(basePort);
  const state = await controlCall<{
    tweets: { id: string; text: string; authorUsername: string; in_reply_to?: string }[];
  }>(`${xUrl}/_sandbox/state`, 'GET', readFileSync(caPath, 'utf8'));
  return state.tweets;
}

export type SandboxService = 'openai' | 'x' | 'convex' | 'telegram';

/** A service's control API URL, and the certificate to trust for it. */
export function controlEndpoint(basePort: number, service: SandboxService): { url: string; ca?: string } {
  const endpoints = sandboxEndpoints(basePort);
  if (service === 'x') return { url: endpoints.xUrl, ca: readFileSync(endpoints.caPath, 'utf8') };
  const url = { openai: endpoints.openaiUrl, convex: endpoints.convexUrl, telegram: endpoints.telegramControlUrl }[
    service
  ];
  return { url };
}

/** POST /_sandbox/faults on one simulator. */
export async function setSandboxFaults(basePort: number, service: SandboxService, faults: object): Promise<void> {
  const { url, ca } = controlEndpoint(basePort, service);
  await controlCall(`${url}/_sandbox/faults`, 'POST', ca, faults);
}

/** How many requests a simulator answered with an injected failure (or not at all), so far. */
export async function failedRequests(basePort: number, service: SandboxService): Promise<number> {
  const { url, ca } = controlEndpoint(basePort, service);
  if (service === 'telegram') {
    const state = await controlCall<{ rpc: { result: string }[] }>(`${url}/_sandbox/state`, 'GET', ca);
    return state.rpc.filter((call) => call.result !== 'ok').length;
  }
  const state = await controlCall<{ requests: { status: number | string }[] }>(`${url}/_sandbox/state`, 'GET', ca);
  return state.requests.filter((r) => typeof r.status !== 'number' || r.status === 429 || r.status >= 500).length;
}
