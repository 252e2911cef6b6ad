import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { loadClientConfigProfile, type ClientConfigProfile } from '@temporalio/envconfig';
import { z } from 'zod';
import type { BreakerSettings, GuardedService } from './domain/contracts';
import { durationHint, durationMs } from './domain/duration';
import { InvalidKey, parseKey, type EncryptionKey } from './encryption/keys';
import { sandboxOwnerUserId } from './sandbox/telegram/sandbox-accounts';

/**
 * The one typed configuration, read from the environment. Every variable is documented in `.env.example`.
 * Temporal's variables use Temporal's own names so the `temporal` CLI and this project agree on one environment.
 */

const unset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const text = () => z.preprocess(unset, z.string().trim().optional());
const duration = (fallback: string) =>
  z.preprocess(
    unset,
    z
      .string()
      .trim()
      .default(fallback)
      .refine(isDuration, { message: `expected ${durationHint}` }),
  );
const flag = () =>
  z.preprocess(
    unset,
    z
      .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .optional()
      .transform((value) => value === 'true' || value === '1'),
  );

function isDuration(value: string): boolean {
  return durationMs(value) !== undefined;
}

/** `failures/open/half-open calls`, such as `5/120s/3`, or `off`: a service's circuit breaker (docs/reliability.md). */
const breaker = (fallback: string) =>
  z.preprocess(
    unset,
    z
      .string()
      .trim()
      .default(fallback)
      .transform((value, ctx): BreakerSettings | undefined => {
        if (value === 'off') return undefined;
        const [failures, open, calls, ...rest] = value.split('/');
        const openMs = open === undefined ? undefined : durationMs(open);
        const count = (part: string | undefined) => (part && /^\d+$/.test(part) ? Number(part) : 0);
        if (rest.length || count(failures) < 1 || !openMs || count(calls) < 1) {
          ctx.addIssue({
            code: 'custom',
            message: `expected failures/open time/half-open calls, such as ${fallback}, or off`,
          });
          return z.NEVER;
        }
        return { failures: count(failures), openMs, halfOpenCalls: count(calls) };
      }),
  );

/** `id:base64` keys (src/encryption/keys.ts), comma-separated where several are allowed. */
const keys = () =>
  z.preprocess(
    unset,
    z
      .string()
      .optional()
      .transform((value, ctx): EncryptionKey[] => {
        try {
          return (value ?? '')
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean)
            .map(parseKey);
        } catch (err) {
          if (!(err instanceof InvalidKey)) throw err;
          ctx.addIssue({ code: 'custom', message: `${err.message}; make one with \`npm run cli -- key new\`` });
          return z.NEVER;
        }
      }),
  );

/** A port in [min, max]; 0, where allowed, is any free one. */
const port = (fallback: number, min = 0, max = 65535) => {
  const range = { message: `expected a port from ${min === 0 ? '0 (any free one)' : min} to ${max}` };
  return z.preprocess(
    unset,
    z.coerce
      .number({ message: 'expected a port number' })
      .int({ message: 'expected a port number' })
      .min(min, range)
      .max(max, range)
      .default(fallback),
  );
};

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/]+:\d{1,5}$/, { message: 'expected host:port, for example localhost:7233' });
const url = z.url({ message: 'expected a URL such as https://api.example.com' });

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.preprocess(unset, hostPort.default('localhost:7233')),
  TEMPORAL_NAMESPACE: z.preprocess(unset, z.string().trim().default('default')),
  TEMPORAL_TASK_QUEUE: z.preprocess(unset, z.string().trim().default('steadfast')),
  TEMPORAL_API_KEY: text(),
  TEMPORAL_TLS: flag(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: text(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: text(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: text(),
  TEMPORAL_TLS_SERVER_NAME: text(),
  TEMPORAL_UI_URL: z.preprocess(unset, url.default('http://localhost:8233')),
  /** How long the namespace keeps a closed workflow, a dead letter included: setup-namespace.sh sets it. */
  TEMPORAL_NAMESPACE_RETENTION: duration('30d'),
  TEMPORAL_PROFILE: text(),
  TEMPORAL_CONFIG_FILE: text(),

  STEADFAST_SANDBOX: z.preprocess(
    unset,
    z.enum(['auto', 'on', 'off'], { message: 'expected auto, on or off' }).default('auto'),
  ),
  STEADFAST_LOG_LEVEL: z.preprocess(
    unset,
    z
      .enum(['trace', 'debug', 'info', 'warn', 'error'], { message: 'expected trace, debug, info, warn or error' })
      .default('info'),
  ),
  STEADFAST_SHUTDOWN_GRACE: duration('10s'),
  STEADFAST_APPROVAL_TIMEOUT: duration('24h'),
  // Its simulators take this port and the next four, all unprivileged.
  STEADFAST_SANDBOX_PORT: port(4310, 1024, 65000),
  STEADFAST_WATCH_INTERVAL: duration('2m'),
  STEADFAST_CHAT_FIRST_WAIT: duration('1s'),
  STEADFAST_CHAT_QUIET: duration('4s'),
  STEADFAST_CHAT_MAX_WAIT: duration('30s'),
  STEADFAST_WORKER_ID: z.preprocess(
    unset,
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, { message: 'expected letters, digits, dots, dashes or underscores' })
      .optional(),
  ),
  STEADFAST_ACCOUNT_STORE: text(),
  STEADFAST_ENCRYPTION: z.preprocess(
    unset,
    z
      .enum(['on', 'off'], { message: 'expected on or off (off leaves private text readable in Temporal)' })
      .default('on'),
  ),
  STEADFAST_ENCRYPTION_KEY: keys(),
  STEADFAST_DECRYPTION_KEYS: keys(),
  STEADFAST_ENCRYPTION_ACCEPT_PLAIN: flag(),
  STEADFAST_CODEC_PORT: port(8235),
  STEADFAST_CODEC_HOST: z.preprocess(
    unset,
    z
      .string()
      .trim()
      .regex(/^[\w.:-]+$/, { message: 'expected an address to listen on, such as 127.0.0.1 or 0.0.0.0' })
      .default('127.0.0.1'),
  ),
  STEADFAST_POSTGRES_PORT: port(55432, 1024),
  STEADFAST_PRODUCTION_STATE: text(),
  STEADFAST_PRODUCTION_TLS: text(),
  STEADFAST_HISTORY_SHARDS: z.preprocess(
    unset,
    z.coerce
      .number({ message: 'expected a number of history shards, such as 4' })
      .int({ message: 'expected a whole number of history shards, such as 4' })
      .min(1, { message: 'expected at least 1 history shard' })
      .max(16384, { message: 'expected at most 16384 history shards' })
      .optional(),
  ),
  STEADFAST_PRODUCTION_BIND_IP: z.preprocess(
    unset,
    z
      .string()
      .trim()
      .regex(/^[\d.]+$|^::?[\da-f:]*$/i, {
        message: 'expected an IP address to listen on, such as 127.0.0.1 or 0.0.0.0',
      })
      .default('127.0.0.1'),
  ),
  STEADFAST_CODEC_TOKEN: text(),
  STEADFAST_WORKFLOW_BUNDLE: text(),
  STEADFAST_WORKFLOW_CACHE: z.preprocess(
    unset,
    z.coerce
      .number({ message: 'expected a number of workflows, such as 500' })
      .int({ message: 'expected a whole number of workflows, such as 500' })
      .min(2, { message: 'expected at least 2 workflows' })
      .default(500),
  ),
  STEADFAST_BREAKER_X: breaker('5/120s/3'),
  STEADFAST_BREAKER_AI: breaker('3/60s/2'),
  STEADFAST_BREAKER_CONVEX: breaker('3/30s/2'),
  STEADFAST_METRICS_PORT: z.preprocess(
    unset,
    z
      .union([
        z.literal('off'),
        z.coerce
          .number({ message: 'expected a port number, or off' })
          .int({ message: 'expected a port number, or off' })
          .min(0, { message: 'expected a port from 0 (any free one) to 65535, or off' })
          .max(65535, { message: 'expected a port from 0 (any free one) to 65535, or off' }),
      ])
      .default(9464),
  ),
  STEADFAST_OWNER_TELEGRAM_ID: z.preprocess(
    unset,
    z.string().regex(/^\d+$/, { message: 'expected a numeric Telegram user id' }).optional(),
  ),

  STEADFAST_ADMIN_TELEGRAM_IDS: z.preprocess(
    unset,
    z
      .string()
      .regex(/^\d+(\s*,\s*\d+)*$/, { message: 'expected numeric Telegram user ids, separated by commas' })
      .optional(),
  ),
  STEADFAST_CONTROL_BOT: z.preprocess(unset, z.enum(['on', 'off'], { message: 'expected on or off' }).default('on')),

  OPENAI_API_KEY: text(),
  OPENAI_BASE_URL: z.preprocess(unset, url.optional()),
  OPENAI_MODEL: z.preprocess(unset, z.string().trim().default('gpt-4o-mini')),
  X_API_KEY: text(),
  X_API_SECRET: text(),
  X_CLIENT_ID: text(),
  X_CLIENT_SECRET: text(),
  X_API_BASE_URL: z.preprocess(unset, url.optional()),
  CONVEX_URL: z.preprocess(unset, url.optional()),
  STEADFAST_CONVEX_SECRET: text(),
  TELEGRAM_API_ID: z.preprocess(unset, z.string().regex(/^\d+$/, { message: 'expected a numeric api_id' }).optional()),
  TELEGRAM_API_HASH: text(),
  TELEGRAM_BOT_TOKEN: text(),
  TELEGRAM_SERVER: z.preprocess(unset, hostPort.optional()),
  TELEGRAM_SERVER_PUBLIC_KEY: text(),
});

type Env = z.infer<typeof envSchema>;

/** The credentials every deployment on real services needs. */
const requiredCredentials = [
  'OPENAI_API_KEY',
  'CONVEX_URL',
  'STEADFAST_CONVEX_SECRET',
  'TELEGRAM_API_ID',
  'TELEGRAM_API_HASH',
  'TELEGRAM_BOT_TOKEN',
] as const satisfies readonly (keyof Env)[];

/**
 * Any of these set means real services; with none, Steadfast runs on its sandbox. X's app credentials are not
 * required: an account connected with OAuth 2.0 carries its app's client id in the account store, and OAuth 1.0a's
 * consumer key is needed only by accounts that sign in that way.
 */
const serviceCredentials = [
  // Not the Convex secret: the sandbox's Convex simulator sets it in the process that runs it (and its children).
  ...requiredCredentials.filter((name) => name !== 'STEADFAST_CONVEX_SECRET'),
  'X_API_KEY',
  'X_API_SECRET',
  'X_CLIENT_ID',
  'X_CLIENT_SECRET',
] as const satisfies readonly (keyof Env)[];

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /**
   * The connection as Temporal's own envconfig reads it (src/temporal/connection.ts turns it into options): a profile
   * of the TOML file (`TEMPORAL_CONFIG_FILE`, else ~/.config/temporalio/temporal.toml; `TEMPORAL_PROFILE`), with
   * Temporal's variables over it. It holds the API key: never log it.
   */
  profile: ClientConfigProfile;
  webUiUrl: string;
  /** What encrypts the payloads of every client and worker (src/encryption/key-ring.ts resolves it to keys). */
  encryption: EncryptionSettings;
  /**
   * Payloads that are not encrypted are taken as they are, not refused (src/encryption/payload-codec.ts): only while a
   * workflow started before encryption is open.
   */
  acceptPlainPayloads: boolean;
  /**
   * How long the namespace keeps closed workflows (TEMPORAL_NAMESPACE_RETENTION, default 30 days): a dead letter can be
   * retried until then. The namespace setup (and `npm run server`'s) sets it on the namespace.
   */
  retention: string;
}

/**
 * `keys`: the configured ones, the first to encrypt with; `sandbox`: the sandbox's own, generated once into
 * .steadfast/; `off`: payloads in plain text (chosen by name only).
 */
export type EncryptionSettings =
  { mode: 'keys'; current: EncryptionKey; previous: EncryptionKey[] } | { mode: 'sandbox' } | { mode: 'off' };

/** One file per host, or documents in Convex that every host reaches (src/adapters/account-store/). */
export type AccountStoreSettings = { kind: 'file'; path: string } | { kind: 'convex' };

export interface Config {
  temporal: TemporalConfig;
  sandbox: boolean;
  /** The simulators listen on this port and the next four (OpenAI, X, Convex, Telegram control, MTProto). */
  sandboxPort: number;
  logLevel: Env['STEADFAST_LOG_LEVEL'];
  shutdownGraceTime: string;
  approvalTimeout: string;
  /** How often each account's Schedule polls its watched X users. */
  watchInterval: string;
  /** How the messages of a chat answered with AI are batched into one answer (chatWorkflow). */
  chatBatching: { firstWait: string; quiet: string; maxWait: string };
  /** This worker's stable name (default: the host name): its own task queue for the logins it holds is named after it. */
  workerId: string;
  /** A workflow bundle made beforehand (scripts/bundle-workflows.ts): the worker starts without bundling. */
  workflowBundle: string | undefined;
  /** The loopback port of `npm run server:production`'s PostgreSQL (scripts/lib/production-stack.ts). */
  postgresPort: number;
  /** Where `npm run server:production` keeps PostgreSQL's data and the server's log (default .temporal/production). */
  productionState: string | undefined;
  /**
   * The production engine's mutual TLS: the folder of `npm run tls:generate`, whose client certificate every client
   * must show; and the address it listens on, beyond loopback only with TLS (workers on other hosts).
   */
  productionTls: string | undefined;
  productionBindIp: string;
  /**
   * The history shards `npm run server:production` makes a new cluster with (4 when unset). A cluster keeps the count
   * it was made with: set to another, the command refuses to go on.
   */
  historyShards: number | undefined;
  /**
   * How many workflows a worker keeps in memory between their tasks. One that is not is replayed from its history on
   * its next task (which costs no billed action): a reply waiting a day for its owner needs no place in memory.
   */
  workflowCache: number;
  /** Each guarded service's circuit breaker; undefined: none (src/adapters/circuit-breaker.ts). */
  breakers: Record<GuardedService, BreakerSettings | undefined>;
  /** Where the worker serves /metrics, /healthz and /readyz; undefined: nowhere. */
  metricsPort: number | undefined;
  /** The port is the default (9464), not chosen: a worker finding it taken takes the next free one, and says so. */
  metricsPortIsDefault: boolean;
  /**
   * The owner's Telegram user id when it is configured (STEADFAST_OWNER_TELEGRAM_ID, or the sandbox's user 1000);
   * undefined: the owner pairs with the control bot (`steadfast owner pair`), and the account store keeps who it is.
   */
  ownerTelegramId: string | undefined;
  /** Who may command the control bot besides the owner. */
  adminTelegramIds: string[];
  /** Whether workers start the control bot's workflow (one for the deployment). */
  controlBot: boolean;
  /**
   * The accounts' secrets (sessions, tokens). Undefined: a file, `.steadfast/accounts.json` (the sandbox keeps its own,
   * next to its simulators); `convex`: encrypted documents in the deployment's Convex.
   */
  accountStore: AccountStoreSettings | undefined;
  /** The codec server (`npm run codec-server`): its loopback port, and the bearer token it asks for, if any. */
  codecServer: { port: number; host: string; token: string | undefined };
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  /**
   * X's app: its OAuth 1.0a consumer key and secret (for accounts that sign in that way), its OAuth 2.0 client id and
   * secret (for `account connect-x`; no secret for a public client), and where X is (a simulator's or proxy's origin).
   */
  x: {
    apiKey: string | undefined;
    apiSecret: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    baseUrl: string | undefined;
  };
  /** The deployment, and the secret its functions take from the backend alone (convex/backend.ts). */
  convex: { url: string | undefined; secret: string | undefined };
  /**
   * The app's api_id and api_hash, the control bot's token, and the data centre new sessions start on: Telegram's
   * own unless `server` is set (Telegram's test servers), with the RSA public key it signs with when GramJS does not
   * know it (`publicKeyPath`).
   */
  telegram: {
    apiId: string | undefined;
    apiHash: string | undefined;
    botToken: string | undefined;
    server: { host: string; port: number } | undefined;
    publicKeyPath: string | undefined;
  };
}

const secretVariables = new Set([
  'TEMPORAL_API_KEY',
  'STEADFAST_ENCRYPTION_KEY',
  'STEADFAST_DECRYPTION_KEYS',
  'STEADFAST_CODEC_TOKEN',
  'OPENAI_API_KEY',
  'X_API_KEY',
  'X_API_SECRET',
  'X_CLIENT_SECRET',
  'STEADFAST_CONVEX_SECRET',
  'TELEGRAM_API_HASH',
  'TELEGRAM_BOT_TOKEN',
]);

/** A configuration problem, worded for the person who has to fix it: the variable, and what is expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    // A secret's value is never repeated: error lines reach terminals and logs.
    const got = secretVariables.has(variable) ? undefined : environment[variable];
    throw new ConfigError(
      `${variable}: ${issue?.message ?? 'invalid value'}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`,
    );
  }
  const env = parsed.data;
  const x = xApp(env);
  const telegram = telegramApp(env);
  const sandbox = resolveSandbox(env);
  return {
    temporal: {
      ...temporalConfig(env, environment),
      encryption: encryptionSettings(env, sandbox),
      acceptPlainPayloads: env.STEADFAST_ENCRYPTION_ACCEPT_PLAIN,
      retention: env.TEMPORAL_NAMESPACE_RETENTION,
    },
    sandbox,
    sandboxPort: env.STEADFAST_SANDBOX_PORT,
    logLevel: env.STEADFAST_LOG_LEVEL,
    shutdownGraceTime: env.STEADFAST_SHUTDOWN_GRACE,
    approvalTimeout: env.STEADFAST_APPROVAL_TIMEOUT,
    watchInterval: env.STEADFAST_WATCH_INTERVAL,
    chatBatching: {
      firstWait: env.STEADFAST_CHAT_FIRST_WAIT,
      quiet: env.STEADFAST_CHAT_QUIET,
      maxWait: env.STEADFAST_CHAT_MAX_WAIT,
    },
    workerId: env.STEADFAST_WORKER_ID ?? hostname().replace(/[^A-Za-z0-9._-]/g, '-'),
    workflowBundle: env.STEADFAST_WORKFLOW_BUNDLE,
    workflowCache: env.STEADFAST_WORKFLOW_CACHE,
    breakers: { x: env.STEADFAST_BREAKER_X, ai: env.STEADFAST_BREAKER_AI, convex: env.STEADFAST_BREAKER_CONVEX },
    metricsPort: env.STEADFAST_METRICS_PORT === 'off' ? undefined : env.STEADFAST_METRICS_PORT,
    metricsPortIsDefault: unset(environment.STEADFAST_METRICS_PORT) === undefined,
    // The sandbox's owner is its seeded user; a deployment on real services has none unless one is set or paired.
    ownerTelegramId: env.STEADFAST_OWNER_TELEGRAM_ID ?? (sandbox ? String(sandboxOwnerUserId) : undefined),
    adminTelegramIds: (env.STEADFAST_ADMIN_TELEGRAM_IDS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
    controlBot: env.STEADFAST_CONTROL_BOT === 'on',
    accountStore: accountStoreSettings(env),
    codecServer: codecServerSettings(env),
    postgresPort: env.STEADFAST_POSTGRES_PORT,
    productionState: env.STEADFAST_PRODUCTION_STATE,
    productionTls: env.STEADFAST_PRODUCTION_TLS,
    productionBindIp: productionBindIp(env),
    historyShards: env.STEADFAST_HISTORY_SHARDS,
    openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_MODEL },
    x,
    convex: { url: env.CONVEX_URL, secret: env.STEADFAST_CONVEX_SECRET },
    telegram,
  };
}

/** The production engine beyond loopback only with mutual TLS: Temporal has no other authentication here. */
function productionBindIp(env: Env): string {
  const ip = env.STEADFAST_PRODUCTION_BIND_IP;
  if (!/^(127\.|::1$)/.test(ip) && !env.STEADFAST_PRODUCTION_TLS) {
    throw new ConfigError(
      `STEADFAST_PRODUCTION_TLS: required when the production engine listens beyond loopback (STEADFAST_PRODUCTION_BIND_IP=${ip}): make the certificates with \`npm run tls:generate\``,
    );
  }
  return ip;
}

/** Beyond loopback, the codec server (which holds the key) answers only to the token. */
function codecServerSettings(env: Env): Config['codecServer'] {
  const host = env.STEADFAST_CODEC_HOST;
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host);
  if (!loopback && !env.STEADFAST_CODEC_TOKEN) {
    throw new ConfigError(
      `STEADFAST_CODEC_TOKEN: required when the codec server listens beyond loopback (STEADFAST_CODEC_HOST=${host}): whoever reaches it could read and write payloads as the deployment`,
    );
  }
  return { port: env.STEADFAST_CODEC_PORT, host, token: env.STEADFAST_CODEC_TOKEN };
}

function xApp(env: Env): Config['x'] {
  for (const [one, other] of [
    ['X_API_KEY', 'X_API_SECRET'],
    ['X_API_SECRET', 'X_API_KEY'],
    ['X_CLIENT_SECRET', 'X_CLIENT_ID'],
  ] as const) {
    if (env[one] && !env[other]) {
      throw new ConfigError(`${other}: required with ${one}, from the same app in X's developer portal`);
    }
  }
  return {
    apiKey: env.X_API_KEY,
    apiSecret: env.X_API_SECRET,
    clientId: env.X_CLIENT_ID,
    clientSecret: env.X_CLIENT_SECRET,
    baseUrl: env.X_API_BASE_URL,
  };
}

function telegramApp(env: Env): Config['telegram'] {
  const keyPath = env.TELEGRAM_SERVER_PUBLIC_KEY;
  if (keyPath && !existsSync(keyPath)) throw new ConfigError(`TELEGRAM_SERVER_PUBLIC_KEY: no such file: ${keyPath}`);
  if (keyPath && !env.TELEGRAM_SERVER) {
    throw new ConfigError('TELEGRAM_SERVER: required with TELEGRAM_SERVER_PUBLIC_KEY: the server that key is for');
  }
  const [host = '', port = ''] = env.TELEGRAM_SERVER?.split(':') ?? [];
  return {
    apiId: env.TELEGRAM_API_ID,
    apiHash: env.TELEGRAM_API_HASH,
    botToken: env.TELEGRAM_BOT_TOKEN,
    server: env.TELEGRAM_SERVER ? { host, port: Number(port) } : undefined,
    publicKeyPath: keyPath,
  };
}

function encryptionSettings(env: Env, sandbox: boolean): EncryptionSettings {
  const [current, ...older] = env.STEADFAST_ENCRYPTION_KEY;
  if (older.length) {
    throw new ConfigError('STEADFAST_ENCRYPTION_KEY: expected one key; older ones go in STEADFAST_DECRYPTION_KEYS');
  }
  if (env.STEADFAST_ENCRYPTION === 'off') return { mode: 'off' };
  if (current) return { mode: 'keys', current, previous: env.STEADFAST_DECRYPTION_KEYS };
  if (env.STEADFAST_DECRYPTION_KEYS.length) {
    throw new ConfigError(
      'STEADFAST_ENCRYPTION_KEY: required when STEADFAST_DECRYPTION_KEYS is set: the key to encrypt with',
    );
  }
  if (sandbox) return { mode: 'sandbox' };
  throw new ConfigError(
    'STEADFAST_ENCRYPTION_KEY: required with real services, so that Temporal stores no private text readably; make one with `npm run cli -- key new`, or set STEADFAST_ENCRYPTION=off (unsafe: messages, drafts and errors stay readable in Temporal and its Web UI)',
  );
}

function accountStoreSettings(env: Env): AccountStoreSettings | undefined {
  const value = env.STEADFAST_ACCOUNT_STORE;
  if (value === undefined) return undefined;
  if (value !== 'convex') return { kind: 'file', path: value };
  if (env.STEADFAST_ENCRYPTION === 'off') {
    throw new ConfigError(
      "STEADFAST_ACCOUNT_STORE: convex keeps the accounts' secrets encrypted, and STEADFAST_ENCRYPTION is off: turn it on, or use a file",
    );
  }
  return { kind: 'convex' };
}

function temporalConfig(
  env: Env,
  environment: NodeJS.ProcessEnv,
): Omit<TemporalConfig, 'encryption' | 'acceptPlainPayloads' | 'retention'> {
  const certPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    const missing = certPath ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH';
    throw new ConfigError(`${missing}: required when the other half of the mTLS client certificate is set`);
  }
  // Our schema has checked Temporal's variables; envconfig reads them, with the TOML file's profile under them.
  // envconfig passes over a missing file in silence; a file named on purpose must exist.
  if (env.TEMPORAL_CONFIG_FILE && !existsSync(env.TEMPORAL_CONFIG_FILE)) {
    throw new ConfigError(`TEMPORAL_CONFIG_FILE: no such file: ${env.TEMPORAL_CONFIG_FILE}`);
  }
  const given = Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())),
  );
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ profile: env.TEMPORAL_PROFILE, overrideEnvVars: given });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`TEMPORAL_PROFILE: ${message}`);
  }
  const address = profile.address ?? 'localhost:7233';
  const namespace = profile.namespace ?? 'default';
  return {
    address,
    namespace,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    profile: { ...profile, address, namespace },
    webUiUrl: env.TEMPORAL_UI_URL.replace(/\/$/, ''),
  };
}

function resolveSandbox(env: Env): boolean {
  const configured = serviceCredentials.filter((name) => env[name] !== undefined);
  if (env.STEADFAST_SANDBOX === 'on') return true;
  if (env.STEADFAST_SANDBOX === 'auto' && configured.length === 0) return true;
  const missing = requiredCredentials.filter((name) => env[name] === undefined);
  if (missing.length > 0) {
    const why = env.STEADFAST_SANDBOX === 'off' ? 'STEADFAST_SANDBOX=off' : `${configured.join(', ')} set`;
    throw new ConfigError(
      `${missing.join(', ')}: required to use real services (${why}); set them, or unset every service credential (or set STEADFAST_SANDBOX=on) to run on the sandbox`,
    );
  }
  return false;
}

/** For entry points: load the config or stop with one clear line and exit code 2. */
export function loadConfigOrExit(environment: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(environment);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}. See .env.example.`);
      process.exit(2);
    }
    throw err;
  }
}
