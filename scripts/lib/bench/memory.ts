import { loadConfig } from '../../../src/config';
import { controlCall, controlEndpoint, sandboxTweets } from '../../../src/sandbox/sandbox';
import { decideReply } from '../../../src/temporal/decide-reply';
import type { Bench } from './context';
import { awaitingApproval, startOwnerReplies } from './replies';
import { processRssMb } from './bench-server';
import { inBatches } from './stats';

export interface MemoryFigures {
  waiting: number;
  /** The worker's workflow cache (STEADFAST_WORKFLOW_CACHE) in this part. */
  cache: number;
  /** The worker's V8 heap limit in MB (`--heap`), when set. */
  heapMb?: number;
  workerRssMb: number;
  /** The worker's RSS at each step of waiting replies: what grows with them, and by how much. */
  curve: { waiting: number; workerRssMb: number }[];
  /** The least-squares line through the curve: MB per 1,000 waiting replies, and where it starts. */
  perThousandMb: number;
  interceptMb: number;
  /** The worker's RSS once it polls, before the replies: what the waiting replies add is the difference. */
  workerIdleRssMb: number;
  /**
   * The worker's highest RSS while every reply is approved and posted (sampled each second): evicted replies replayed
   * from history, and the garbage of that churn, which V8 collects lazily.
   */
  workerPeakRssMb: number;
  serverRssMb: number;
  postedOnce: boolean;
  seconds: { start: number; approveAndPost: number };
}

/**
 * `count` owner-approved replies waiting for the owner at once: the worker's and the server's resident memory then,
 * and that every one posts, once, when approved. Telegram's limits are lifted for this part: the approval requests
 * are not what is measured.
 */
export async function benchMemory(
  bench: Bench,
  count: number,
  { cache, heap }: { cache?: number | undefined; heap?: number | undefined } = {},
): Promise<MemoryFigures> {
  const namespace = 'bench-memory';
  const client = bench.client(namespace);
  const telegram = controlEndpoint(bench.sandboxPort, 'telegram').url;
  await controlCall(`${telegram}/_sandbox/telegram/limits`, 'POST', undefined, { off: true });
  try {
    const tweets = await bench.targetTweets(count, 'memory');
    const [worker] = await bench.workers(namespace, 1, {
      // Measured as an owner's worker runs (`npm run worker`): it bundles its workflows at start, not the bench's
      // bundle made beforehand.
      STEADFAST_WORKFLOW_BUNDLE: undefined,
      ...(cache ? { STEADFAST_WORKFLOW_CACHE: String(cache) } : {}),
      // V8 grows a heap lazily under churn: a limit makes it collect sooner (each thread of the worker gets it).
      ...(heap ? { NODE_OPTIONS: `--max-old-space-size=${heap}` } : {}),
    });
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // its start-up settled
    const workerIdleRssMb = processRssMb(worker?.child.pid);
    const started = performance.now();
    // Five steps: the RSS after each says what every thousand more waiting replies cost.
    const curve: { waiting: number; workerRssMb: number }[] = [{ waiting: 0, workerRssMb: workerIdleRssMb }];
    const handles = [];
    const step = Math.ceil(count / 5);
    for (let from = 0; from < count; from += step) {
      handles.push(...(await startOwnerReplies(bench, client, tweets.slice(from, from + step), 100)));
      await awaitingApproval(client, handles.length);
      curve.push({ waiting: handles.length, workerRssMb: processRssMb(worker?.child.pid) });
      bench.say(`    ${handles.length} waiting: worker RSS ${curve.at(-1)?.workerRssMb} MB`);
    }
    const startSeconds = (performance.now() - started) / 1000;
    const workerRssMb = curve.at(-1)?.workerRssMb ?? 0;
    const line = leastSquares(curve.map((point) => [point.waiting / 1000, point.workerRssMb]));
    const serverRssMb = bench.server.rssMb();
    const approving = performance.now();
    let workerPeakRssMb = workerRssMb;
    const sampling = setInterval(() => {
      workerPeakRssMb = Math.max(workerPeakRssMb, processRssMb(worker?.child.pid));
    }, 1_000);
    try {
      // Every decision first, then every result.
      await inBatches(handles, 50, (handle) => decideReply(handle, { kind: 'approve' }));
      await inBatches(handles, 200, (handle) => handle.result());
    } finally {
      clearInterval(sampling);
    }
    const approveSeconds = (performance.now() - approving) / 1000;
    bench.say(`    all approved and posted: worker RSS at most ${workerPeakRssMb} MB meanwhile`);
    const targets = new Set(tweets.map((tweet) => tweet.id));
    const replies = (await sandboxTweets(bench.sandboxPort)).filter((t) => t.in_reply_to && targets.has(t.in_reply_to));
    const postedOnce = replies.length === count && new Set(replies.map((t) => t.in_reply_to)).size === count;
    if (worker) await bench.stop([worker]);
    return {
      waiting: count,
      cache: cache ?? loadConfig({ STEADFAST_SANDBOX: 'on' }).workflowCache,
      ...(heap ? { heapMb: heap } : {}),
      workerRssMb,
      curve,
      perThousandMb: Math.round(line.slope * 10) / 10,
      interceptMb: Math.round(line.intercept),
      workerIdleRssMb,
      workerPeakRssMb,
      serverRssMb,
      postedOnce,
      seconds: { start: Math.round(startSeconds), approveAndPost: Math.round(approveSeconds) },
    };
  } finally {
    await controlCall(`${telegram}/_sandbox/telegram/limits`, 'POST', undefined, {});
  }
}

/** The line y = intercept + slope·x closest to the points. */
function leastSquares(points: [number, number][]): { slope: number; intercept: number } {
  const n = points.length;
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / n;
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
