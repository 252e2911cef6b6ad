import { controlCall, controlEndpoint, sandboxTweets } from '../../src/sandbox/sandbox';
import { decideReply } from '../../src/temporal/decide-reply';
import type { Bench } from './context';
import { awaitingApproval, startOwnerReplies } from './replies';
import { processRssMb } from './server';
import { inBatches } from './stats';

export interface MemoryFigures {
  waiting: number;
  workerRssMb: number;
  /** The worker's RSS once it polls, before the replies: what the waiting replies add is the difference. */
  workerIdleRssMb: number;
  serverRssMb: number;
  postedOnce: boolean;
  seconds: { start: number; approveAndPost: number };
}

/**
 * `count` owner-approved replies waiting for the owner at once: the worker's and the server's resident memory then,
 * and that every one posts, once, when approved. Telegram's limits are lifted for this part: the approval requests
 * are not what is measured.
 */
export async function benchMemory(bench: Bench, count: number): Promise<MemoryFigures> {
  const namespace = 'bench-memory';
  const client = bench.client(namespace);
  const telegram = controlEndpoint(bench.sandboxPort, 'telegram').url;
  await controlCall(`${telegram}/_sandbox/telegram/limits`, 'POST', undefined, { off: true });
  try {
    const tweets = await bench.targetTweets(count, 'memory');
    const [worker] = await bench.workers(namespace, 1);
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // its start-up settled
    const workerIdleRssMb = processRssMb(worker?.child.pid);
    const started = performance.now();
    const handles = await startOwnerReplies(bench, client, tweets, 100);
    await awaitingApproval(client, count);
    const startSeconds = (performance.now() - started) / 1000;
    const workerRssMb = processRssMb(worker?.child.pid);
    const serverRssMb = bench.server.rssMb();
    const approving = performance.now();
    // Every decision first, then every result.
    await inBatches(handles, 50, (handle) => decideReply(handle, { kind: 'approve' }));
    await inBatches(handles, 200, (handle) => handle.result());
    const approveSeconds = (performance.now() - approving) / 1000;
    const targets = new Set(tweets.map((tweet) => tweet.id));
    const replies = (await sandboxTweets(bench.sandboxPort)).filter((t) => t.in_reply_to && targets.has(t.in_reply_to));
    const postedOnce = replies.length === count && new Set(replies.map((t) => t.in_reply_to)).size === count;
    if (worker) await bench.stop([worker]);
    return {
      waiting: count,
      workerRssMb,
      workerIdleRssMb,
      serverRssMb,
      postedOnce,
      seconds: { start: Math.round(startSeconds), approveAndPost: Math.round(approveSeconds) },
    };
  } finally {
    await controlCall(`${telegram}/_sandbox/telegram/limits`, 'POST', undefined, {});
  }
}
