import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { startSimulator, type RunningSimulator, type SimulatorResponse } from './http-simulator';

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
interface Store {
  replies: Record<string, ReplyDocument>;
}

type ConvexFunction = (args: Record<string, unknown>, store: Store) => unknown;

class ArgumentValidationError extends Error {}

function strings<K extends string>(args: Record<string, unknown>, keys: readonly K[]): Record<K, string> {
  for (const key of keys) {
    if (typeof args[key] !== 'string' || args[key] === '') {
      throw new ArgumentValidationError(`ArgumentValidationError: Value does not match validator. Path: .${key}`);
    }
  }
  return args as Record<K, string>;
}

const functions: Record<string, { kind: 'query' | 'mutation'; run: ConvexFunction }> = {
  /** Idempotent by (accountId, tweetId): a retried record keeps one document. */
  'replies:record': {
    kind: 'mutation',
    run: (args, store) => {
      const doc = strings(args, ['accountId', 'tweetId', 'replyTweetId', 'text', 'workflowId'] as const);
      const key = `${doc.accountId}:${doc.tweetId}`;
      store.replies[key] = { ...doc };
      return key;
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

export function startConvexSimulator(options: { port?: number; dataFile?: string } = {}): Promise<RunningSimulator> {
  const { port = 0, dataFile } = options;
  const store: Store =
    dataFile && existsSync(dataFile) ? (JSON.parse(readFileSync(dataFile, 'utf8')) as Store) : { replies: {} };
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
      handle: ({ method, path, body }) => {
        const kind = path === '/api/query' ? 'query' : path === '/api/mutation' ? 'mutation' : undefined;
        if (method !== 'POST' || !kind) return { status: 404, body: { code: 'NotFound', message: `No route ${path}` } };
        const request = body as { path?: unknown; args?: unknown } | undefined;
        const fn = typeof request?.path === 'string' ? functions[request.path] : undefined;
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
