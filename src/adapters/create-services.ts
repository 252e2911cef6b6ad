import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createConvexAccountStore } from './account-store/convex-account-store';
import { createFileAccountStore } from './account-store/file-account-store';
import { createConvexStore } from './convex/convex-store';
import { createOpenAiPort } from './openai/openai-ai';
import { createTelegramPort } from './telegram/telegram-port';
import { createXPort } from './x/x-api';
import { createXTokenRefresher } from './x/x-token-refresh';
import { createXConnector, type XConnector } from './x/x-connect';
import { CircuitBreaker, guardPort } from './circuit-breaker';
import type { Config } from '../config';
import { MissingAccountSecret, type AccountStore } from '../ports/account-store';
import { sandboxControlBot, sandboxTelegramAccounts, sandboxTelegramApp } from '../sandbox/telegram/sandbox-accounts';
import { keyRingOf } from '../encryption/key-ring';
import { controlBotAccount, type BreakerChange, type GuardedService } from '../domain/contracts';
import type { Services } from '../ports/services';
import { isSandboxUp, sandboxConvexSecret, sandboxEndpoints } from '../sandbox/endpoints';
import { sandboxXApp } from '../sandbox/x-oauth1';
import { sandboxXClient } from '../sandbox/x-oauth2';
import { sandboxOpenAiKey } from '../sandbox/openai-simulator';

export interface WiredServices {
  services: Services;
  accounts: AccountStore;
  /** The breakers guarding X, the AI and Convex in this process (those configured). */
  breakers: CircuitBreaker[];
}

export interface ServiceOptions {
  /** Hears each breaker's opening and closing (src/workers/breaker-reports.ts); default: nobody. */
  onBreakerChange?: (change: BreakerChange) => void;
  /**
   * Asks an account's X token refresher to refresh now (src/temporal/signal-x-refresher.ts); default: nobody, and an expired
   * token waits for the refresher's own timer.
   */
  askXRefresh?: (accountId: string) => Promise<void>;
}

/** The sandbox is not running where the config says: names the ports and how to start it. */
export class SandboxNotRunning extends Error {
  override name = 'SandboxNotRunning';
}

/**
 * The real adapters, pointed at the real services, or — with no credentials — at the sandbox's simulators: the same
 * client libraries either way, so the sandbox exercises what production runs.
 */
export async function createServices(config: Config, options: ServiceOptions = {}): Promise<WiredServices> {
  const askRefresh = options.askXRefresh;
  const selected = config.sandbox ? await sandboxServices(config, askRefresh) : realServices(config, askRefresh);
  return { ...selected, ...guarded(selected.services, config.breakers, options.onBreakerChange) };
}

/** X (its token endpoint too), the AI and Convex, each behind its circuit breaker where one is configured. */
function guarded(
  services: Services,
  settings: Config['breakers'],
  onChange: ServiceOptions['onBreakerChange'],
): { services: Services; breakers: CircuitBreaker[] } {
  const breakers = new Map<GuardedService, CircuitBreaker>();
  for (const [service, breakerSettings] of Object.entries(settings) as [GuardedService, Config['breakers']['x']][]) {
    if (breakerSettings) breakers.set(service, new CircuitBreaker(service, breakerSettings, onChange));
  }
  const guard = <T extends object>(port: T, service: GuardedService): T => {
    const breaker = breakers.get(service);
    return breaker ? guardPort(port, breaker) : port;
  };
  return {
    services: {
      ...services,
      x: guard(services.x, 'x'),
      xTokens: guard(services.xTokens, 'x'),
      ai: guard(services.ai, 'ai'),
      store: guard(services.store, 'convex'),
    },
    breakers: [...breakers.values()],
  };
}

type Unguarded = Omit<WiredServices, 'breakers'>;

type AskRefresh = ServiceOptions['askXRefresh'];

async function sandboxServices(config: Config, askRefresh: AskRefresh): Promise<Unguarded> {
  const basePort = config.sandboxPort;
  if (!(await isSandboxUp(basePort))) {
    throw new SandboxNotRunning(
      `The sandbox is not running on ports ${basePort}-${basePort + 4} (STEADFAST_SANDBOX_PORT): start it with \`npm run sandbox\`, or use \`npm start\` or \`npm run demo\`, which start it`,
    );
  }
  const endpoints = sandboxEndpoints(basePort);
  const convex = { url: endpoints.convexUrl, secret: sandboxConvexSecret };
  const accounts = await sandboxAccountStore(config, endpoints.accountStorePath, convex);
  const xAt = { baseUrl: `${endpoints.xUrl}/2/`, ca: readFileSync(endpoints.caPath, 'utf8') };
  const services: Services = {
    ai: createOpenAiPort({ apiKey: sandboxOpenAiKey, baseUrl: `${endpoints.openaiUrl}/v1`, model: 'sandbox-model' }),
    x: createXPort({ appKey: sandboxXApp.apiKey, appSecret: sandboxXApp.apiSecret, accounts, askRefresh, ...xAt }),
    xTokens: createXTokenRefresher({ accounts, ...xAt }),
    store: createConvexStore(convex),
    telegram: createTelegramPort({
      ...sandboxTelegramApp,
      server: { host: '127.0.0.1', port: endpoints.telegramMtprotoPort },
      publicKey: readFileSync(endpoints.telegramPublicKeyPath, 'utf8'),
      sessionFor: (accountId) => accounts.telegramSession(accountId),
      bot: controlBot(accounts, sandboxControlBot.token),
    }),
  };
  return { services, accounts };
}

function realServices(config: Config, askRefresh: AskRefresh): Unguarded {
  // loadConfig has checked that every credential is set when the sandbox is off.
  const required = (value: string | undefined, name: string) => {
    if (!value) throw new Error(`${name} is required with real services`);
    return value;
  };
  const convex = {
    url: required(config.convex.url, 'CONVEX_URL'),
    secret: required(config.convex.secret, 'STEADFAST_CONVEX_SECRET'),
  };
  const accounts = accountStore(config, '.steadfast/accounts.json', convex);
  const services: Services = {
    ai: createOpenAiPort({
      apiKey: required(config.openai.apiKey, 'OPENAI_API_KEY'),
      baseUrl: config.openai.baseUrl,
      model: config.openai.model,
    }),
    x: createXPort({
      appKey: config.x.apiKey,
      appSecret: config.x.apiSecret,
      accounts,
      askRefresh,
      baseUrl: config.x.baseUrl,
    }),
    xTokens: createXTokenRefresher({ accounts, baseUrl: config.x.baseUrl }),
    store: createConvexStore(convex),
    telegram: createTelegramPort({
      apiId: Number(required(config.telegram.apiId, 'TELEGRAM_API_ID')),
      apiHash: required(config.telegram.apiHash, 'TELEGRAM_API_HASH'),
      server: config.telegram.server,
      publicKey: config.telegram.publicKeyPath && readFileSync(config.telegram.publicKeyPath, 'utf8'),
      sessionFor: (accountId) => accounts.telegramSession(accountId),
      bot: controlBot(accounts, required(config.telegram.botToken, 'TELEGRAM_BOT_TOKEN')),
    }),
  };
  return { services, accounts };
}

/**
 * What `account connect-x` talks to: X's OAuth endpoints with the configured app, or on the sandbox its X simulator
 * with the sandbox's app (unless an app of its own is configured, as a test of public clients does).
 */
export function xConnector(config: Config): XConnector {
  if (!config.sandbox) return createXConnector(config.x);
  const { xUrl, caPath } = sandboxEndpoints(config.sandboxPort);
  const oauth2 = config.x.clientId ? config.x : sandboxXClient;
  const oauth1 = config.x.apiKey ? config.x : sandboxXApp;
  return createXConnector({
    clientId: oauth2.clientId,
    clientSecret: oauth2.clientSecret,
    apiKey: oauth1.apiKey,
    apiSecret: oauth1.apiSecret,
    baseUrl: `${xUrl}/2/`,
    ca: readFileSync(caPath, 'utf8'),
  });
}

/** The store STEADFAST_ACCOUNT_STORE names: a file (by default `defaultFile`), or the deployment's Convex. */
function accountStore(config: Config, defaultFile: string, convex: ConvexDeployment): AccountStore {
  const settings = config.accountStore ?? { kind: 'file', path: defaultFile };
  if (settings.kind === 'file') return createFileAccountStore(settings.path);
  // loadConfig refuses the Convex store with encryption off, so there is a key ring.
  const keys = keyRingOf(config.temporal.encryption);
  if (!keys) throw new Error('STEADFAST_ACCOUNT_STORE=convex needs encryption on');
  return createConvexAccountStore({ ...convex, keys });
}

/**
 * Where this configuration's Convex and file account store are, as the workers use them: what `npm run backup` and
 * `npm run restore` read and write. No file when the account store is Convex's (its documents are Convex's).
 */
export function deploymentStores(config: Config): { convex: ConvexDeployment; accountStoreFile?: string } {
  const endpoints = sandboxEndpoints(config.sandboxPort);
  const convex = config.sandbox
    ? { url: endpoints.convexUrl, secret: sandboxConvexSecret }
    : { url: config.convex.url ?? '', secret: config.convex.secret ?? '' };
  const settings =
    config.accountStore ??
    ({ kind: 'file', path: config.sandbox ? endpoints.accountStorePath : '.steadfast/accounts.json' } as const);
  return { convex, ...(settings.kind === 'file' ? { accountStoreFile: resolve(settings.path) } : {}) };
}

/** Where Convex is, and the secret its functions require of the backend. */
interface ConvexDeployment {
  url: string;
  secret: string;
}

/**
 * On the sandbox, either store: the sandbox's own file (seeded with its accounts when it starts), or another one,
 * given the sandbox accounts' sessions and tokens from that file where it lacks them, so they are logged in there too.
 */
async function sandboxAccountStore(
  config: Config,
  sandboxFile: string,
  convex: ConvexDeployment,
): Promise<AccountStore> {
  const accounts = accountStore(config, sandboxFile, convex);
  if (config.accountStore === undefined) return accounts;
  const seeded = createFileAccountStore(sandboxFile);
  const has = (read: () => Promise<unknown>) =>
    read().then(
      () => true,
      (err: unknown) => {
        if (err instanceof MissingAccountSecret) return false;
        throw err;
      },
    );
  for (const { accountId } of sandboxTelegramAccounts) {
    if (!(await has(() => accounts.telegramSession(accountId)))) {
      await accounts.saveTelegramSession(accountId, await seeded.telegramSession(accountId));
    }
    if (!(await has(() => accounts.xTokens(accountId)))) {
      await accounts.saveXTokens(accountId, await seeded.xTokens(accountId));
    }
  }
  return accounts;
}

/** The control bot's session: logged in with the token once, then kept in the account store like an account's. */
function controlBot(accounts: AccountStore, token: string) {
  return {
    accountId: controlBotAccount,
    token,
    storedSession: () =>
      accounts.telegramSession(controlBotAccount).catch((err: unknown) => {
        if (err instanceof MissingAccountSecret) return undefined;
        throw err;
      }),
    saveSession: (session: string) => accounts.saveTelegramSession(controlBotAccount, session),
  };
}

/** The services' addresses: the sandbox's simulators, or the real services' hosts (Telegram: a data centre). */
export function serviceAddresses(config: Config): { name: string; url: string }[] {
  if (config.sandbox) {
    const sandbox = sandboxEndpoints(config.sandboxPort);
    return [
      { name: 'OpenAI (sandbox)', url: sandbox.openaiUrl },
      { name: 'X (sandbox)', url: sandbox.xUrl },
      { name: 'Convex (sandbox)', url: sandbox.convexUrl },
      { name: 'Telegram (sandbox)', url: `tcp://127.0.0.1:${sandbox.telegramMtprotoPort}` },
    ];
  }
  return [
    { name: 'OpenAI', url: config.openai.baseUrl ?? 'https://api.openai.com/v1' },
    { name: 'X', url: config.x.baseUrl ?? 'https://api.x.com/2/' },
    { name: 'Convex', url: config.convex.url ?? '' },
    { name: 'Telegram', url: 'tcp://149.154.167.50:443' },
  ];
}
