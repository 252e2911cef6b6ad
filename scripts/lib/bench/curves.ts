import type { Bench } from './context';
import { autoReplies, benchNoop } from './replies';
import { ratio, runFigures, shownFigures } from './stats';

export interface CurvePoint {
  inFlight: number;
  workers: number;
  encryption: 'on' | 'off';
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface CurveFigures {
  /** Auto replies started at once, by how many and on how many workers, payloads encrypted or not. */
  replies: CurvePoint[];
  /** The no-op baseline at each size, on one worker. */
  noop: { inFlight: number; perSecond: number; p50Ms: number; p99Ms: number }[];
  /** The middle size on one worker with payload encryption off, then on again just after: on's throughput over off's. */
  encryption: { inFlight: number; off: CurvePoint; on: CurvePoint; throughputRatio: number };
}

/**
 * How throughput and latency move with load: `sizes` auto replies started at once on one worker and on two, the
 * middle size with payload encryption off (STEADFAST_ENCRYPTION=off on the workers and the client) beside it on again,
 * and the no-op baseline at each size. The namespace is the part's own; actions are not counted here.
 */
export async function benchCurves(bench: Bench, sizes: number[], workerCounts = [1, 2]): Promise<CurveFigures> {
  const namespace = 'bench-curve';
  const replies: CurvePoint[] = [];
  const point = async (inFlight: number, workers: number, encryption: 'on' | 'off'): Promise<CurvePoint> => {
    const env = encryption === 'off' ? { STEADFAST_ENCRYPTION: 'off' } : {};
    const client = bench.client(namespace, env);
    // Tweets of their own for each point: a draft the account already posted would be refused as a duplicate.
    const tweets = await bench.targetTweets(inFlight, `curve ${replies.length + 1}`);
    const running = await bench.workers(namespace, workers, env);
    const units = await autoReplies(client, bench.taskQueue, tweets);
    await bench.stop(running);
    const measured = { inFlight, workers, encryption, ...shownFigures(runFigures(units)) };
    replies.push(measured);
    bench.say(`    ${inFlight} at once, ${workers} worker(s), encryption ${encryption}: ${JSON.stringify(measured)}`);
    return measured;
  };
  const middle = sizes[Math.floor(sizes.length / 2)] ?? sizes[0] ?? 1;
  for (const size of sizes) await point(size, 1, 'on');
  // Encryption off, then on again, one after the other: the server slows as its history grows, so only an adjacent
  // pair compares like for like.
  const off = await point(middle, 1, 'off');
  const on = await point(middle, 1, 'on');
  for (const workers of workerCounts.filter((count) => count > 1)) {
    for (const size of sizes) await point(size, workers, 'on');
  }
  // The baseline in a namespace of its own: this one has the replies' owner outbox, which a no-op worker cannot run.
  const noop = [];
  for (const size of sizes) {
    noop.push({ inFlight: size, ...shownFigures(await benchNoop(bench, 'bench-noop', 'noopReplyWorkflow', size)) });
  }
  const encryption = { inFlight: middle, off, on, throughputRatio: ratio(on.perSecond, off.perSecond) };
  return { replies, noop, encryption };
}
