import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { convexFunctionsVersion } from '../adapters/convex/functions-version';
import { sandboxConvexSecret } from './endpoints';
import { startSimulator, type RunningSimulator, type SimulatorResponse } from './http-simulator';

/**
 * Convex's HTTP API (`POST /api/query`, `POST /api/mutation`) serving the functions of convex/ themselves, run by
 * convex-test's engine against the schema: what it answers is what a deployment of this checkout answers, with
 * Convex's envelopes (200 `{ status: 'success', value }`; 560 `{ status: 'error', errorMessage, errorData? }` when a
 * function throws, a ConvexError's data included). Only public functions are served, each by its kind; mutations run
 * one at a time, as Convex's serializable transactions. The deployment's environment variables (what
 * `npx convex env set` sets) are this process's: STEADFAST_CONVEX_SECRET, which every function requires of its caller
 * (convex/backend.ts), is the sandbox's unless given, and `POST /_sandbox/convex/env { name, value }` changes it.
 * With `dataFile`, the documents survive a restart of the simulator, as a deployment's would; `seedAccounts: false`
 * starts with no account, as a new deployment does. `POST /_sandbox/convex/deployed { version }` says which version of
 * the functions is deployed (null: none), as an older checkout's deploy would leave it.
 */
const convexDir = resolve(__dirname, '..', '..', 'convex');

/** The sandbox accounts (docs/sandbox.md), with settings from the start. */
const sandboxAccounts = [
  { accountId: 'alice', displayName: 'Alice', approval: 'owner', chatsAnsweredWithAi: [], watchedUsernames: [] },
  { accountId: 'bob', displayName: 'Bob', approval: 'auto', chatsAnsweredWithAi: [], watchedUsernames: [] },
] as const;

type Document = Record<string, unknown> & { _id?: string; _creationTime?: number };
type Tables = Record<string, Document[]>;

interface ConvexFunction {
  isQuery?: boolean;
  isMutation?: boolean;
  isPublic?: boolean;
}

/** The data file of the simulator before it ran convex/ itself: documents by key, per table, watches as cursors. */
interface KeyedStore {
  replies?: Record<string, Document>;
  messages?: Record<string, Document & { id?: string }>;
  accounts?: Record<string, Document>;
  watches?: Record<string, string>;
  accountSecrets?: Record<string, Document>;
}

/**
 * The documents a data file holds: this simulator's own (`{ version: 2, tables }`), or those of the earlier one's, so
 * that a sandbox folder used before an upgrade keeps its documents as a deployment does.
 */
function savedTables(text: string): Tables {
  const saved = JSON.parse(text) as { version?: number; tables?: Tables } & KeyedStore;
  if (saved.version === 2 && saved.tables) return saved.tables;
  const recordedAt = Date.now();
  return {
    replies: Object.values(saved.replies ?? {}).map((reply) => ({ recordedAt, ...reply })),
    // The earlier simulator's own ids are not Convex's: each document gets a new one, as any restart here gives.
    messages: Object.values(saved.messages ?? {}).map((message) => {
      const document: Document = { ...message };
      delete document.id;
      return document;
    }),
    accounts: Object.values(saved.accounts ?? {}),
    watches: Object.entries(saved.watches ?? {}).map(([key, sinceId]) => {
      const split = key.indexOf(':');
      return { accountId: key.slice(0, split), username: key.slice(split + 1), sinceId };
    }),
    accountSecrets: Object.values(saved.accountSecrets ?? {}),
  };
}

/** convex/_generated is not in git: written as `npm run convex:codegen` does, when a fresh clone first needs it. */
function ensureGenerated(): void {
  if (existsSync(join(convexDir, '_generated', 'server.ts'))) return;
  const codegen = spawnSync(
    process.execPath,
    [
      join(dirname(require.resolve('convex/package.json')), 'bin', 'main.js'),
      'codegen',
      '--system-udfs',
      '--typecheck',
      'disable',
    ],
    { cwd: resolve(convexDir, '..'), encoding: 'utf8' },
  );
  if (codegen.status !== 0) throw new Error(`convex codegen failed: ${codegen.stderr || codegen.stdout}`);
}

/** The modules of convex/ (and its _generated/), by path, loaded once: what convex-test runs, and what is served. */
async function loadModules(): Promise<Map<string, Record<string, unknown>>> {
  const files = [
    ...readdirSync(convexDir).filter((name) => name.endsWith('.ts')),
    ...readdirSync(join(convexDir, '_generated')).map((name) => `_generated/${name}`),
  ];
  const modules = new Map<string, Record<string, unknown>>();
  for (const file of files)
    modules.set(join(convexDir, file), (await import(join(convexDir, file))) as Record<string, unknown>);
  return modules;
}

export async function startConvexSimulator(
  options: {
    port?: number;
    dataFile?: string;
    seedAccounts?: boolean;
    /** The deployment's STEADFAST_CONVEX_SECRET (default the sandbox's): set in this process's environment. */
    secret?: string;
  } = {},
): Promise<RunningSimulator> {
  const { port = 0, dataFile, seedAccounts = true } = options;
  process.env.STEADFAST_CONVEX_SECRET = options.secret ?? process.env.STEADFAST_CONVEX_SECRET ?? sandboxConvexSecret;
  ensureGenerated();
  const { convexTest } = await import('convex-test');
  const { makeFunctionReference } = await import('convex/server');
  const modules = await loadModules();
  const schema = modules.get(join(convexDir, 'schema.ts'))?.default as { tables: Record<string, unknown> };
  // The map Vite's import.meta.glob would give convex-test; it finds the functions' root by the `_generated` entry.
  const glob = Object.fromEntries([...modules].map(([path, module]) => [path, () => Promise.resolve(module)]));
  const t = convexTest({ schema: schema as never, modules: glob });
  const tables = Object.keys(schema.tables);

  /** Every document, as a deployment's export would give them. */
  const dump = (): Promise<Tables> =>
    t.run(async (ctx) => {
      const all: Tables = {};
      for (const table of tables) all[table] = (await ctx.db.query(table as never).collect()) as Document[];
      return all;
    });
  const saved = dataFile && existsSync(dataFile) ? savedTables(readFileSync(dataFile, 'utf8')) : {};
  await t.run(async (ctx) => {
    // Documents from an earlier run (their ids are new ones: nothing of Steadfast's keeps a document id).
    for (const [table, documents] of Object.entries(saved)) {
      if (!tables.includes(table)) continue;
      for (const document of documents) await ctx.db.insert(table as never, withoutSystemFields(document));
    }
    if (!seedAccounts) return;
    const accounts = (await ctx.db.query('accounts' as never).collect()) as Document[];
    const known = new Set(accounts.map((account) => account.accountId));
    for (const account of sandboxAccounts) {
      if (!known.has(account.accountId)) await ctx.db.insert('accounts' as never, { ...account });
    }
  });

  // Written at most every 100 ms while mutations come, and once more on close.
  let saving: NodeJS.Timeout | undefined;
  let written: Promise<void> = Promise.resolve();
  const write = () => {
    saving = undefined;
    if (!dataFile) return written;
    written = written.then(async () => writeFileSync(dataFile, JSON.stringify({ version: 2, tables: await dump() })));
    return written;
  };
  const save = () => {
    if (dataFile && !saving) saving = setTimeout(() => void write(), 100);
  };
  /** Mutations one at a time: the functions' versioned writes count on serializable transactions, as Convex runs them. */
  let mutations: Promise<unknown> = Promise.resolve();
  let deployed: number | null = convexFunctionsVersion;

  const envelope = (err: unknown): SimulatorResponse => {
    const errorData = (err as { data?: unknown }).data;
    const errorMessage = err instanceof Error ? err.message : String(err);
    return {
      status: 560,
      body: { status: 'error', errorMessage, ...(errorData === undefined ? {} : { errorData }), logLines: [] },
    };
  };
  const lookUp = (path: string): ConvexFunction | undefined => {
    const [module, name = 'default'] = path.split(':');
    if (!module || module.startsWith('_') || !/^[\w/]+$/.test(module)) return undefined;
    return modules.get(join(convexDir, `${module}.ts`))?.[name] as ConvexFunction | undefined;
  };

  const simulator = await startSimulator(
    {
      state: async () => stateView(await dump()),
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
        if (method !== 'POST') return undefined;
        if (path === '/_sandbox/convex/deployed') {
          const version = (body as { version?: unknown } | undefined)?.version;
          if (version !== null && typeof version !== 'number') {
            return { status: 400, body: { error: 'version: a number, or null for no functions deployed' } };
          }
          deployed = version;
          return { status: 200, body: { deployed } };
        }
        if (path === '/_sandbox/convex/env') {
          // What `npx convex env set NAME value` does to a deployment (here, to this process).
          const { name, value } = (body ?? {}) as { name?: unknown; value?: unknown };
          if (
            typeof name !== 'string' ||
            !/^[A-Z_][A-Z0-9_]*$/.test(name) ||
            (typeof value !== 'string' && value !== null)
          ) {
            return { status: 400, body: { error: 'expected { name, value } (value null unsets it)' } };
          }
          if (value === null) delete process.env[name];
          else process.env[name] = value;
          return { status: 200, body: { name } };
        }
        return undefined;
      },
      handle: async ({ method, path, body }) => {
        const kind = path === '/api/query' ? 'query' : path === '/api/mutation' ? 'mutation' : undefined;
        if (method !== 'POST' || !kind) return { status: 404, body: { code: 'NotFound', message: `No route ${path}` } };
        const request = body as { path?: unknown; args?: unknown } | undefined;
        const name = typeof request?.path === 'string' ? request.path : '';
        const fn = deployed === null ? undefined : lookUp(name);
        const served = fn?.isPublic === true && (kind === 'query' ? fn.isQuery === true : fn.isMutation === true);
        if (!served) return envelope(new Error(`Could not find public function for '${name}'`));
        const [args] = Array.isArray(request?.args) ? (request.args as unknown[]) : [];
        if (typeof args !== 'object' || args === null) {
          return { status: 400, body: { code: 'BadJsonBody', message: 'args' } };
        }
        const given = args as Record<string, unknown>;
        try {
          let value: unknown;
          if (kind === 'query') {
            value = await t.query(makeFunctionReference<'query', Record<string, unknown>, unknown>(name), given);
          } else {
            const reference = makeFunctionReference<'mutation', Record<string, unknown>, unknown>(name);
            const run = mutations.then(() => t.mutation(reference, given));
            mutations = run.catch(() => undefined);
            value = await run;
            save();
          }
          // An older deployment answers with its own version (the functions still require the backend's secret).
          if (name === 'version:get' && deployed !== convexFunctionsVersion) value = { functions: deployed };
          return { status: 200, body: { status: 'success', value: value ?? null, logLines: [] } };
        } catch (err) {
          return envelope(err);
        }
      },
    },
    port,
  );
  return {
    ...simulator,
    close: async () => {
      await simulator.close();
      await mutations;
      if (saving) clearTimeout(saving);
      await write();
    },
  };
}

/** A document as an insert takes it: without the system's `_id` and `_creationTime`. */
function withoutSystemFields(document: Document): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([field]) => !field.startsWith('_')));
}

/**
 * What the control API's state shows: the documents, keyed as tests and the demo read them (messages with their
 * document id, `id`). A second document with a key already shown is shown as `key#2` (and so on): a duplicate is never
 * hidden.
 */
function stateView(all: Tables) {
  const by = (table: string, key: (doc: Document) => string) => {
    const view: Record<string, Record<string, unknown>> = {};
    for (const doc of all[table] ?? []) {
      let shown = key(doc);
      for (let n = 2; shown in view; n += 1) shown = `${key(doc)}#${n}`;
      view[shown] = { ...withoutSystemFields(doc), ...(table === 'messages' ? { id: doc._id } : {}) };
    }
    return view;
  };
  const field = (doc: Document, name: string) => String(doc[name]);
  return {
    accounts: by('accounts', (doc) => field(doc, 'accountId')),
    messages: by('messages', (doc) => `${field(doc, 'accountId')}:${field(doc, 'chatId')}:${field(doc, 'messageId')}`),
    replies: by('replies', (doc) => `${field(doc, 'accountId')}:${field(doc, 'tweetId')}`),
    watches: Object.fromEntries(
      (all.watches ?? []).map((doc) => [`${field(doc, 'accountId')}:${field(doc, 'username')}`, doc.sinceId]),
    ),
    accountSecrets: by('accountSecrets', (doc) => `${field(doc, 'accountId')}:${field(doc, 'field')}`),
  };
}
