import type { Client } from '@temporalio/client';
import { createActivities, ownQueueActivityNames } from '../../src/activities';
import type { SessionDeps } from '../../src/activities/telegram-session';
import { loadConfig } from '../../src/config';
import { liveSessionHosts } from '../../src/workers/live-session-hosts';
import { ownerOutboxDeps } from '../../src/workers/owner-outbox-deps';
import { sessionDeps } from '../../src/workers/session-deps';
import { loginTaskQueueOf } from '../../src/workers/login-worker';
import { createServices } from '../../src/adapters/create-services';
import { ownerDirectory } from '../../src/owner/owner-directory';
import { testClient } from './temporal';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

type SessionOptions = Pick<SessionDeps, 'pingEveryMs' | 'reportEveryPings' | 'heartbeatEveryMs'>;

/** A call to a simulator's control API; `ca` trusts an HTTPS simulator's own certificate (and nothing else more). */
export function sandboxCall<T>(
  simulator: { url: string; ca?: string },
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const url = new URL(path, simulator.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    const req = request(url, { method, ca: simulator.ca, agent: false, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as T }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The port of the sandbox the test harness started (test/run.ts), which worker processes use too. */
export function testSandboxPort(): number {
  const port = Number(process.env.STEADFAST_SANDBOX_PORT);
  if (!port) throw new Error('STEADFAST_SANDBOX_PORT is not set: run the tests through test/run.ts (npm test)');
  return port;
}

/**
 * Every activity, over the real adapters pointed at the test sandbox, for an in-process test worker; `session`
 * overrides how the session activity reaches Temporal (another server) or how often it pings and reports.
 */
export async function sandboxActivities(
  taskQueue: string,
  options: {
    client?: Client;
    session?: SessionOptions;
    /** null: no owner is configured (the deployment's owner pairs); default the sandbox's, user 1000. */
    owner?: null;
    /** An account store of the test's own (a file path), given the sandbox accounts' sessions and tokens. */
    accountStore?: string;
    /** Telegram users who may command the bot beside the owner (STEADFAST_ADMIN_TELEGRAM_IDS). */
    admins?: string[];
  } = {},
) {
  const config = loadConfig({
    STEADFAST_SANDBOX: 'on',
    STEADFAST_SANDBOX_PORT: String(testSandboxPort()),
    ...(options.accountStore ? { STEADFAST_ACCOUNT_STORE: options.accountStore } : {}),
  });
  const { services, accounts } = await createServices(config);
  const client = options.client ?? (await testClient());
  const session = { ...sessionDeps(client, taskQueue, config.chatBatching), ...options.session };
  const loginTaskQueue = loginTaskQueueOf(taskQueue, 'test');
  const activities = createActivities({
    services,
    owner: ownerDirectory(accounts, options.owner === null ? undefined : config.ownerTelegramId, options.admins),
    ownerOutbox: ownerOutboxDeps(client, taskQueue),
    hosts: liveSessionHosts(client, taskQueue),
    session,
    accounts,
    loginTaskQueue,
    client,
    control: { client },
  });
  /** The test worker's own task queue, as a real worker polls it: logins and the control bot's sends run there. */
  const ownQueue = {
    taskQueue: loginTaskQueue,
    activities: Object.fromEntries(
      Object.entries(activities).filter(([name]) => (ownQueueActivityNames as readonly string[]).includes(name)),
    ),
  };
  return { services, accounts, activities, ownQueue };
}
