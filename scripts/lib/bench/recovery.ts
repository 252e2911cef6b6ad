import { setTimeout as sleep } from 'node:timers/promises';
import { sessionStatus } from '../../../src/temporal/account-sessions';
import { startAccountSession } from '../../../src/temporal/start-session';
import { startReply } from '../../../src/temporal/start-reply';
import { loginTaskQueueOf } from '../../../src/workers/login-worker';
import { workflowIds } from '../../../src/domain/contracts';
import type { Bench } from './context';
import { percentile } from './stats';

export interface RecoveryFigures {
  replies: number;
  held: number;
  baselineP50Ms: number;
  replyP50AddedMs: number;
  replyP99AddedMs: number;
  sessionFailoverMs: number;
}

/**
 * Two workers under a steady load of auto replies (one every 200 ms for `seconds`), and an account session; halfway,
 * the worker holding the session is SIGKILLed. The delay it added to the replies in flight then (their latency over
 * the p50 of those that ended before the kill), and how long the session took to be connected on the other worker.
 */
export async function benchRecovery(bench: Bench, seconds: number): Promise<RecoveryFigures> {
  const namespace = 'bench-recovery';
  const client = bench.client(namespace);
  const workers = await bench.workers(namespace, 2);
  const sessionId = workflowIds.account('alice');
  await startAccountSession(client, bench.taskQueue, 'alice');
  let hostQueue: string | undefined;
  for (const deadline = Date.now() + 60_000; !hostQueue; await sleep(250)) {
    if (Date.now() > deadline) throw new Error('the session did not connect within 60 s');
    const view = await sessionStatus(client, sessionId);
    if (view.state === 'connected') hostQueue = view.hostQueue;
  }
  const holder = workers.find((worker) => loginTaskQueueOf(bench.taskQueue, worker.id) === hostQueue);
  if (!holder) throw new Error(`no bench worker holds the session (${hostQueue})`);

  const tweets = await bench.targetTweets(Math.round(seconds * 5), 'recovery');
  let killedAt = Number.POSITIVE_INFINITY;
  const killer = sleep((seconds * 1000) / 2).then(() => {
    killedAt = performance.now();
    holder.child.kill('SIGKILL');
  });
  const failover = killer.then(async () => {
    for (const deadline = Date.now() + 120_000; ; await sleep(250)) {
      if (Date.now() > deadline) throw new Error('the session did not reconnect elsewhere within 120 s');
      const view = await sessionStatus(client, sessionId).catch(() => undefined);
      if (view?.state === 'connected' && view.hostQueue && view.hostQueue !== hostQueue)
        return performance.now() - killedAt;
    }
  });
  const units = await Promise.all(
    tweets.map(async (tweet, i) => {
      await sleep(i * 200);
      const startedAt = performance.now();
      const { handle } = await startReply(client, bench.taskQueue, {
        accountId: 'bob',
        tweet: { ...tweet, authorUsername: 'benchfan' },
        approval: 'auto',
      });
      await handle.result();
      return { startedAt, doneAt: performance.now() };
    }),
  );
  const sessionFailoverMs = Math.round(await failover);
  await client.workflow.getHandle(sessionId).terminate('bench over');
  await bench.stop(workers);

  const before = units.filter((u) => u.doneAt < killedAt).map((u) => u.doneAt - u.startedAt);
  const baselineP50Ms = percentile(before, 50);
  const held = units.filter((u) => u.startedAt < killedAt && u.doneAt >= killedAt);
  const added = held.map((u) => Math.max(0, u.doneAt - u.startedAt - baselineP50Ms));
  return {
    replies: units.length,
    held: held.length,
    baselineP50Ms: Math.round(baselineP50Ms),
    replyP50AddedMs: Math.round(percentile(added, 50)),
    replyP99AddedMs: Math.round(percentile(added, 99)),
    sessionFailoverMs,
  };
}
