import { setTimeout as sleep } from 'node:timers/promises';
import { controlCall, controlEndpoint } from '../../../src/sandbox/sandbox';
import { startAccountSession } from '../../../src/temporal/start-session';
import { workflowIds } from '../../../src/domain/contracts';
import { sessionPauseSignal, sessionResumeSignal } from '../../../src/workflows/messages';
import type { Bench } from './context';
import { benchNoop } from './replies';
import { actionsBetween } from './bench-server';
import { ratio, runFigures, type RunFigures } from './stats';

interface TelegramState {
  accounts: { accountId: string; connections: number }[];
}

async function telegramConnections(bench: Bench, accountId: string): Promise<number> {
  const { url } = controlEndpoint(bench.sandboxPort, 'telegram');
  const state = await controlCall<TelegramState>(`${url}/_sandbox/state`, 'GET');
  return state.accounts.find((account) => account.accountId === accountId)?.connections ?? 0;
}

/** Waits (through the simulator, which costs no action) until the account holds a connection to Telegram. */
export async function connected(bench: Bench, accountId: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; (await telegramConnections(bench, accountId)) === 0;) {
    if (Date.now() > deadline) throw new Error(`${accountId} did not connect to Telegram within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Actions an hour in `namespace` while nothing but what runs there now happens: `seconds` of it, scaled. */
export async function actionsPerHour(bench: Bench, namespace: string, seconds: number) {
  const before = await bench.server.actions(namespace);
  const startedAt = performance.now();
  await sleep(seconds * 1000);
  const spent = actionsBetween(before, await bench.server.actions(namespace));
  const hours = (performance.now() - startedAt) / 3_600_000;
  return {
    perHour: Math.round(spent.total / hours),
    byTypePerHour: Object.fromEntries(Object.entries(spent.byType).map(([type, n]) => [type, Math.round(n / hours)])),
  };
}

export interface SyncFigures {
  sync: RunFigures;
  noop: RunFigures;
  throughputRatio: number;
  actionsPerMessage: number;
  idleAccountHour: number;
  idleAccountByTypePerHour: Record<string, number>;
}

/**
 * An account connected and idle (`idleSeconds`: its actions an hour), then `count` Telegram messages arriving at
 * once into one chat, each to be stored in Convex: throughput and arrival-to-stored latencies against as many
 * no-op workflows of the same shape, and the actions per message beyond the idle session's.
 */
export async function benchSync(
  bench: Bench,
  count: number,
  idleSeconds: number,
  /** Work that idles beside this part's idle window (another part's): the messages wait until it has ended. */
  alongside?: Promise<unknown>,
): Promise<SyncFigures> {
  const namespace = 'bench-sync';
  const client = bench.client(namespace);
  const workers = await bench.workers(namespace, 1);
  await startAccountSession(client, bench.taskQueue, 'alice');
  await connected(bench, 'alice');
  await sleep(5000); // its first report and heartbeats
  const idle = await actionsPerHour(bench, namespace, idleSeconds);
  await alongside?.catch(() => undefined); // its failure is its own part's to report

  const telegram = controlEndpoint(bench.sandboxPort, 'telegram').url;
  const convex = controlEndpoint(bench.sandboxPort, 'convex').url;
  const chatId = String(800_000 + Math.floor(Math.random() * 100_000));
  const before = await bench.server.actions(namespace);
  const windowStarted = performance.now();
  const arrivals = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const at = performance.now();
    const { messageId } = await controlCall<{ messageId: number }>(
      `${telegram}/_sandbox/telegram/incoming`,
      'POST',
      undefined,
      { accountId: 'alice', chatId, text: `message ${i}` },
    );
    arrivals.set(`alice:${chatId}:${messageId}`, at);
  }
  const stored = new Map<string, number>();
  for (const deadline = Date.now() + 10 * 60_000; stored.size < count;) {
    if (Date.now() > deadline) throw new Error(`only ${stored.size} of ${count} messages were stored within 10 min`);
    const state = await controlCall<{ messages: Record<string, unknown> }>(`${convex}/_sandbox/state`, 'GET');
    const now = performance.now();
    for (const key of Object.keys(state.messages)) if (arrivals.has(key) && !stored.has(key)) stored.set(key, now);
    await sleep(50);
  }
  await sleep(3000); // the sync workflows' completions
  const spent = actionsBetween(before, await bench.server.actions(namespace));
  const idleShare = (idle.perHour * (performance.now() - windowStarted)) / 3_600_000;
  await client.workflow.getHandle(workflowIds.account('alice')).terminate('bench over');
  await bench.stop(workers);

  const noop = await benchNoop(bench, 'bench-noop-sync', 'noopSyncWorkflow', count);
  const sync = runFigures(
    [...arrivals].map(([key, startedAt]) => ({ startedAt, doneAt: stored.get(key) ?? startedAt })),
  );
  return {
    sync,
    noop,
    throughputRatio: ratio(sync.perSecond, noop.perSecond),
    actionsPerMessage: ratio(spent.total - idleShare, count),
    idleAccountHour: idle.perHour,
    idleAccountByTypePerHour: idle.byTypePerHour,
  };
}

/** The control bot connected and idle: its actions an hour. */
export async function benchIdleControlBot(bench: Bench, idleSeconds: number) {
  const namespace = 'bench-idle-bot';
  const workers = await bench.workers(namespace, 1, { STEADFAST_CONTROL_BOT: 'on' });
  await sleep(10_000); // it connects and reports its host
  const idle = await actionsPerHour(bench, namespace, idleSeconds);
  await bench.client(namespace).workflow.getHandle('control-bot').terminate('bench over');
  await bench.stop(workers);
  return idle;
}

export interface SessionControlFigures {
  /** From `account pause` (the signal) to the account's connection to Telegram closed. */
  pauseMs: number;
  /** From Telegram dropping the connection to the session connected again. */
  reconnectMs: number;
}

/** Waits until the account holds `count` connections to Telegram; how long that took, in ms from `since`. */
async function untilConnections(bench: Bench, accountId: string, count: number, since: number): Promise<number> {
  for (const deadline = Date.now() + 120_000; (await telegramConnections(bench, accountId)) !== count;) {
    if (Date.now() > deadline) throw new Error(`${accountId} did not reach ${count} connection(s) within 120 s`);
    await sleep(20);
  }
  return Math.round(performance.now() - since);
}

/**
 * How fast a session acts on what the owner and the network do: a pause (the workflow asks the worker holding the
 * session to heartbeat at once, instead of waiting for the paced heartbeat), and a connection Telegram drops.
 */
export async function benchSessionControl(bench: Bench): Promise<SessionControlFigures> {
  const namespace = 'bench-session';
  const client = bench.client(namespace);
  const workers = await bench.workers(namespace, 1);
  const { workflowId } = await startAccountSession(client, bench.taskQueue, 'bob');
  const handle = client.workflow.getHandle(workflowId);
  await connected(bench, 'bob');
  await sleep(3000); // its report: the workflow knows where the session is held
  const pausedAt = performance.now();
  await handle.signal(sessionPauseSignal);
  const pauseMs = await untilConnections(bench, 'bob', 0, pausedAt);
  await handle.signal(sessionResumeSignal);
  await connected(bench, 'bob');
  await sleep(3000);
  const { url } = controlEndpoint(bench.sandboxPort, 'telegram');
  const droppedAt = performance.now();
  await controlCall(`${url}/_sandbox/telegram/disconnect`, 'POST', undefined, { accountId: 'bob' });
  await untilConnections(bench, 'bob', 0, droppedAt);
  const reconnectMs = await untilConnections(bench, 'bob', 1, droppedAt);
  await handle.terminate('bench over');
  await bench.stop(workers);
  return { pauseMs, reconnectMs };
}
