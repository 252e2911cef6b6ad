import type { Client } from '@temporalio/client';
import { controlCall, controlEndpoint } from '../../../src/sandbox/sandbox';
import { decideReply } from '../../../src/temporal/decide-reply';
import { startReply } from '../../../src/temporal/start-reply';
import { stageKey } from '../../../src/workflows/search-attributes';
import { replyTypeTerm } from '../../../src/workflows/workflow-types';
import type { Bench } from './context';
import { actionsBetween } from './bench-server';
import { inBatches, ratio, runFigures, type RunFigures } from './stats';

/** Requests the sandbox's X has answered so far (its API, not its control routes). */
export async function xRequests(bench: Bench): Promise<number> {
  const { url, ca } = controlEndpoint(bench.sandboxPort, 'x');
  const state = await controlCall<{ requests: unknown[] }>(`${url}/_sandbox/state`, 'GET', ca);
  return state.requests.length;
}

export interface ReplyFigures {
  replies: RunFigures;
  noop: RunFigures;
  throughputRatio: number;
  p50Ratio: number;
  actionsPerReply: number;
  actionsByType: Record<string, number>;
  xRequestsPerReply: number;
}

/**
 * N auto replies started at once on one worker, against N no-op workflows of the same shape on a worker with the
 * same options: throughput (first start to last end), start-to-done latencies, and what each reply cost in actions
 * and in X requests.
 */
export async function benchAutoReplies(bench: Bench, count: number): Promise<ReplyFigures> {
  const namespace = 'bench-reply';
  const client = bench.client(namespace);
  const tweets = await bench.targetTweets(count, 'auto');
  const workers = await bench.workers(namespace, 1);
  const before = await bench.server.actions(namespace);
  const xBefore = await xRequests(bench);
  const units = await autoReplies(client, bench.taskQueue, tweets);
  const spent = actionsBetween(before, await bench.settledActions(namespace));
  const xSpent = (await xRequests(bench)) - xBefore;
  await bench.stop(workers);

  const noop = await benchNoop(bench, 'bench-noop', 'noopReplyWorkflow', count);
  const replies = runFigures(units);
  return {
    replies,
    noop,
    throughputRatio: ratio(replies.perSecond, noop.perSecond),
    p50Ratio: ratio(replies.p50Ms, noop.p50Ms),
    actionsPerReply: ratio(spent.total, count),
    actionsByType: perUnit(spent.byType, count),
    xRequestsPerReply: ratio(xSpent, count),
  };
}

/** One auto reply to each tweet, all started at once: when each started and ended, every one posted. */
export function autoReplies(client: Client, taskQueue: string, tweets: { id: string; text: string }[]) {
  return Promise.all(
    tweets.map(async (tweet) => {
      const startedAt = performance.now();
      const { handle } = await startReply(client, taskQueue, {
        accountId: 'bob',
        tweet: { ...tweet, authorUsername: 'benchfan' },
        approval: 'auto',
      });
      const result = await handle.result();
      if (result.status !== 'posted') throw new Error(`${handle.workflowId} ended ${result.status}, not posted`);
      return { startedAt, doneAt: performance.now() };
    }),
  );
}

/** N no-op workflows of `type` started at once on the baseline worker. */
export async function benchNoop(bench: Bench, namespace: string, type: string, count: number): Promise<RunFigures> {
  const client = bench.client(namespace);
  const worker = await bench.noopWorker(namespace);
  const units = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const startedAt = performance.now();
      await client.workflow.execute(type, { taskQueue: bench.taskQueue, workflowId: `${type}-${i}` });
      return { startedAt, doneAt: performance.now() };
    }),
  );
  await bench.stop([worker]);
  return runFigures(units);
}

/**
 * N owner-approved replies: each drafts, asks the owner, is approved (the Update the CLI and the control bot send)
 * and posts. What each cost in actions, the approvals included.
 */
export async function benchOwnerReplies(
  bench: Bench,
  count: number,
): Promise<{ actionsPerReply: number; actionsByType: Record<string, number> }> {
  const namespace = 'bench-owner';
  const client = bench.client(namespace);
  const tweets = await bench.targetTweets(count, 'owner');
  const workers = await bench.workers(namespace, 1);
  const before = await bench.server.actions(namespace);
  const handles = await startOwnerReplies(bench, client, tweets, 50);
  await awaitingApproval(client, count);
  await inBatches(handles, 50, (handle) => decideReply(handle, { kind: 'approve' }));
  await Promise.all(handles.map((handle) => handle.result()));
  const spent = actionsBetween(before, await bench.settledActions(namespace));
  await bench.stop(workers);
  return { actionsPerReply: ratio(spent.total, count), actionsByType: perUnit(spent.byType, count) };
}

/** Owner-approved replies (alice's) to `tweets`, started `concurrency` at a time. */
export function startOwnerReplies(
  bench: Bench,
  client: Client,
  tweets: { id: string; text: string }[],
  concurrency: number,
) {
  return inBatches(tweets, concurrency, async (tweet) => {
    const { handle } = await startReply(client, bench.taskQueue, {
      accountId: 'alice',
      tweet: { ...tweet, authorUsername: 'benchfan' },
      approval: 'owner',
    });
    return handle;
  });
}

/** Waits, through visibility (which costs no action), until `count` replies wait for the owner. */
export async function awaitingApproval(client: Client, count: number, timeoutMs = 30 * 60_000): Promise<void> {
  const query = `${replyTypeTerm} AND ExecutionStatus="Running" AND ${stageKey.name}="awaiting-approval"`;
  const deadline = Date.now() + timeoutMs;
  while ((await client.workflow.count(query)).count < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} replies awaited approval within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export function perUnit(byType: Record<string, number>, count: number): Record<string, number> {
  return Object.fromEntries(Object.entries(byType).map(([type, value]) => [type, ratio(value, count)]));
}

/**
 * Replies as they mostly come in a real deployment: one at a time, each after the last one's notice went out, so
 * nothing is merged and no send waits for the gap. What one auto reply and one owner-approved reply cost then.
 */
export async function benchRepliesAlone(
  bench: Bench,
  count: number,
): Promise<{ autoReply: number; ownerReply: number; byType: Record<string, Record<string, number>> }> {
  const namespace = 'bench-alone';
  const client = bench.client(namespace);
  const tweets = await bench.targetTweets(count * 2, 'alone');
  const workers = await bench.workers(namespace, 1);
  const spent: Record<'auto' | 'owner', { total: number; byType: Record<string, number> }> = {
    auto: { total: 0, byType: {} },
    owner: { total: 0, byType: {} },
  };
  let before = await bench.settledActions(namespace);
  for (const [i, tweet] of tweets.entries()) {
    const approval = i < count ? 'auto' : 'owner';
    const { handle } = await startReply(client, bench.taskQueue, {
      accountId: approval === 'auto' ? 'bob' : 'alice',
      tweet: { ...tweet, authorUsername: 'benchfan' },
      approval,
    });
    if (approval === 'owner') {
      await awaitingApproval(client, 1);
      await decideReply(handle, { kind: 'approve' });
    }
    const result = await handle.result();
    if (result.status !== 'posted') throw new Error(`${handle.workflowId} ended ${result.status}, not posted`);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // its notice sent, past the outbox's gap
    const after = await bench.settledActions(namespace);
    const step = actionsBetween(before, after);
    before = after;
    spent[approval].total += step.total;
    for (const [type, value] of Object.entries(step.byType)) {
      spent[approval].byType[type] = (spent[approval].byType[type] ?? 0) + value;
    }
  }
  await bench.stop(workers);
  return {
    autoReply: ratio(spent.auto.total, count),
    ownerReply: ratio(spent.owner.total, count),
    byType: { autoReply: perUnit(spent.auto.byType, count), ownerReply: perUnit(spent.owner.byType, count) },
  };
}
