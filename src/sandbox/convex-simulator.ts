import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { startSimulator, type RunningSimulator, type SimulatorResponse } from './http-simulator';
import { convexFunctionsVersion } from '../adapters/convex/functions-version';

/**
 * The Convex HTTP API (`POST /api/query`, `POST /api/mutation`) for the functions Steadfast calls, with Convex's
 * envelopes: 200 `{ status: 'success', value }`, 560 `{ status: 'error', errorMessage }` when a function fails.
 * With `dataFile`, the documents survive a restart of the simulator, as a deployment's would.
 */
interface ReplyDocument {
  accountId: string;
  tweetId: string;
  replyTweetId: string;
  text: string;
  workflowId: string;
}
interface MessageDocument {
  accountId: string;
  chatId: string;
  messageId: number;
  senderId: string;
  text: string;
  date: number;
}
interface AccountSettings {
  accountId: string;
  displayName?: string;
  approval: 'auto' | 'owner';
  chatsAnsweredWithAi: string[];
  watchedUsernames: string[];
}
/** The shared account store's fields, as convex/schema.ts's accountSecretField. */
const accountSecretFields = [
  'telegramSession',
  'xTokens',
  'xOAuth2',
  'twoFactorPassword',
  'pendingLogin',
  'owner',
  'pairing',
];
interface AccountSecretDocument {
  accountId: string;
  field: string;
  version: number;
  keyId: string;
  /** Base64 ciphertext: the workers seal it, the simulator only keeps it. */
  sealed: string;
}
interface Store {
  replies: Record<string, ReplyDocument>;
  messages: Record<string, MessageDocument & { id: string }>;
  accounts: Record<string, AccountSettings>;
  /** watches:cursor / watches:advance, by `${accountId}:${username}`. */
  watches: Record<string, string>;
  /** accountSecrets:get / accountSecrets:put, by `${accountId}:${field}`. */
  accountSecrets: Record<string, AccountSecretDocument>;
}

/** The sandbox accounts (README, "The sandbox"), with settings from the start. */
const sandboxAccounts: AccountSettings[] = [
  { accountId: 'alice', displayName: 'Alice', approval: 'owner', chatsAnsweredWithAi: [], watchedUsernames: [] },
  { accountId: 'bob', displayName: 'Bob', approval: 'auto', chatsAnsweredWithAi: [], watchedUsernames: [] },
];

type ConvexFunction = (args: Record<string, unknown>, store: Store) => unknown;

class ArgumentValidationError extends Error {}

const invalid = (key: string) =>
  new ArgumentValidationError(`ArgumentValidationError: Value does not match validator. Path: .${key}`);

function numbers<K extends string>(args: Record<string, unknown>, keys: readonly K[]): Record<K, number> {
  for (const key of keys) {
    if (typeof args[key] !== 'number') throw invalid(key);
  }
  return args as Record<K, number>;
}

function strings<K extends string>(args: Record<string, unknown>, keys: readonly K[]): Record<K, string> {
  for (const key of keys) {
    // As v.string(): any string, the empty one included.
    if (typeof args[key] !== 'string') throw invalid(key);
  }
  return args as Record<K, string>;
}

/** Which document: an account, and a field that is one of the account store's (as accountSecretField). */
function accountSecret(args: Record<string, unknown>) {
  const { accountId, field } = strings(args, ['accountId', 'field'] as const);
  if (!accountSecretFields.includes(field)) throw invalid('field');
  return { accountId, field, key: `${accountId}:${field}` };
}

const functions: Record<string, { kind: 'query' | 'mutation'; run: ConvexFunction }> = {
  /** Idempotent by (accountId, tweetId): a retried record keeps one document. */
  'replies:record': {
    kind: 'mutation',
    run: (args, store) => {
      const doc = strings(args, ['accountId', 'tweetId', 'replyTweetId', 'text', 'workflowId'] as const);
      const key = `${doc.accountId}:${doc.tweetId}`;
      // As convex/replies.ts: the first record stands; recording again changes nothing.
      store.replies[key] ??= { ...doc };
      return key;
    },
  },
  /** Idempotent by (accountId, chatId, messageId), as convex/messages.ts. */
  'messages:upsert': {
    kind: 'mutation',
    run: (args, store) => {
      const { accountId, chatId, senderId } = strings(args, ['accountId', 'chatId', 'senderId'] as const);
      // Text may be empty (a photo's caption-less message), but must be a string.
      if (typeof args.text !== 'string') {
        throw new ArgumentValidationError('ArgumentValidationError: Value does not match validator. Path: .text');
      }
      const { messageId, date } = numbers(args, ['messageId', 'date'] as const);
      const key = `${accountId}:${chatId}:${messageId}`;
      const existing = store.messages[key];
      if (existing) return { id: existing.id, created: false };
      const id = `m${Object.keys(store.messages).length + 1}`;
      store.messages[key] = { id, accountId, chatId, messageId, senderId, text: args.text, date };
      return { id, created: true };
    },
  },
  'accounts:settings': {
    kind: 'query',
    run: (args, store) => store.accounts[strings(args, ['accountId'] as const).accountId] ?? null,
  },
  'accounts:list': {
    kind: 'query',
    run: (_args, store) => Object.values(store.accounts),
  },
  'version:get': {
    kind: 'query',
    run: () => ({ functions: convexFunctionsVersion }),
  },
  'accounts:upsertSettings': {
    kind: 'mutation',
    run: (args, store) => {
      const { accountId } = strings(args, ['accountId'] as const);
      const { approval, chatsAnsweredWithAi, watchedUsernames, displayName } = args as Partial<AccountSettings>;
      const lists = [chatsAnsweredWithAi, watchedUsernames].every(
        (list) => Array.isArray(list) && list.every((item) => typeof item === 'string'),
      );
      if ((approval !== 'auto' && approval !== 'owner') || !lists) {
        throw new ArgumentValidationError('ArgumentValidationError: Value does not match validator.');
      }
      store.accounts[accountId] = {
        accountId,
        ...(displayName ? { displayName } : {}),
        approval,
        chatsAnsweredWithAi: chatsAnsweredWithAi ?? [],
        watchedUsernames: watchedUsernames ?? [],
      };
      return null;
    },
  },
  'watches:cursor': {
    kind: 'query',
    run: (args, store) => {
      const { accountId, username } = strings(args, ['accountId', 'username'] as const);
      return store.watches[`${accountId}:${username}`] ?? null;
    },
  },
  /** Forward only, as convex/watches.ts. */
  'watches:advance': {
    kind: 'mutation',
    run: (args, store) => {
      const { accountId, username, sinceId } = strings(args, ['accountId', 'username', 'sinceId'] as const);
      const key = `${accountId}:${username}`;
      const current = store.watches[key];
      if (!current || BigInt(sinceId) > BigInt(current)) store.watches[key] = sinceId;
      return key;
    },
  },
  'accountSecrets:get': {
    kind: 'query',
    run: (args, store) => {
      const secret = store.accountSecrets[accountSecret(args).key];
      return secret ? { version: secret.version, keyId: secret.keyId, sealed: secret.sealed } : null;
    },
  },
  /** Versioned as convex/accountSecrets.ts: `basedOn` null writes whatever is stored, a number only that version. */
  'accountSecrets:put': {
    kind: 'mutation',
    run: (args, store) => {
      const { accountId, field, key } = accountSecret(args);
      const { keyId } = strings(args, ['keyId'] as const);
      const { sealed, basedOn } = args;
      if (sealed !== null && typeof sealed !== 'string') throw invalid('sealed');
      if (basedOn !== null && typeof basedOn !== 'number') throw invalid('basedOn');
      const stored = store.accountSecrets[key]?.version ?? 0;
      if (basedOn !== null && basedOn !== stored) return { ok: false, version: stored };
      const version = stored + 1;
      if (sealed === null) delete store.accountSecrets[key];
      else store.accountSecrets[key] = { accountId, field, version, keyId, sealed };
      return { ok: true, version };
    },
  },
  'replies:byTweet': {
    kind: 'query',
    run: (args, store) => {
      const { accountId, tweetId } = strings(args, ['accountId', 'tweetId'] as const);
      return store.replies[`${accountId}:${tweetId}`] ?? null;
    },
  },
};

const emptyStore = (): Store => ({ replies: {}, messages: {}, accounts: {}, watches: {}, accountSecrets: {} });

/**
 * `seedAccounts: false` starts with no account at all, as a new deployment does (the sandbox starts with its own).
 * `POST /_sandbox/convex/deployed { version }` says which version of the functions is deployed (`null`: none), as
 * `npx convex deploy` of an older or newer checkout would leave it.
 */
export function startConvexSimulator(
  options: { port?: number; dataFile?: string; seedAccounts?: boolean } = {},
): Promise<RunningSimulator> {
  const { port = 0, dataFile, seedAccounts = true } = options;
  let deployed: number | null = convexFunctionsVersion;
  const store: Store =
    dataFile && existsSync(dataFile) ? (JSON.parse(readFileSync(dataFile, 'utf8')) as Store) : emptyStore();
  store.messages ??= {};
  store.accounts ??= {};
  store.watches ??= {};
  store.accountSecrets ??= {};
  if (seedAccounts) for (const account of sandboxAccounts) store.accounts[account.accountId] ??= { ...account };
  const save = () => dataFile && writeFileSync(dataFile, JSON.stringify(store));
  const functionError = (errorMessage: string): SimulatorResponse => ({
    status: 560,
    body: { status: 'error', errorMessage, logLines: [] },
  });

  return startSimulator(
    {
      state: () => store,
      rateLimited: (resetSeconds) => ({
        status: 429,
        headers: { 'retry-after': String(resetSeconds) },
        body: { code: 'RateLimited', message: 'Too many requests' },
      }),
      failed: (status) => ({
        status,
        body: { code: status >= 500 ? 'InternalServerError' : 'BadRequest', message: `Simulated ${status}` },
      }),
      control: ({ method, path, body }) => {
        if (method !== 'POST' || path !== '/_sandbox/convex/deployed') return undefined;
        const version = (body as { version?: unknown } | undefined)?.version;
        if (version !== null && typeof version !== 'number') {
          return { status: 400, body: { error: 'version: a number, or null for no functions deployed' } };
        }
        deployed = version;
        return { status: 200, body: { deployed } };
      },
      handle: ({ method, path, body }) => {
        const kind = path === '/api/query' ? 'query' : path === '/api/mutation' ? 'mutation' : undefined;
        if (method !== 'POST' || !kind) return { status: 404, body: { code: 'NotFound', message: `No route ${path}` } };
        const request = body as { path?: unknown; args?: unknown } | undefined;
        const fn = typeof request?.path === 'string' && deployed !== null ? functions[request.path] : undefined;
        if (request?.path === 'version:get' && deployed !== null) {
          return { status: 200, body: { status: 'success', value: { functions: deployed }, logLines: [] } };
        }
        if (!fn || fn.kind !== kind) {
          return functionError(`Could not find public function for '${String(request?.path)}'`);
        }
        const [args] = Array.isArray(request?.args) ? (request.args as unknown[]) : [];
        if (typeof args !== 'object' || args === null)
          return { status: 400, body: { code: 'BadJsonBody', message: 'args' } };
        try {
          const value = fn.run(args as Record<string, unknown>, store);
          if (kind === 'mutation') save();
          return { status: 200, body: { status: 'success', value, logLines: [] } };
        } catch (err) {
          return functionError(err instanceof Error ? err.message : String(err));
        }
      },
    },
    port,
  );
}
