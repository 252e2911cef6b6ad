/** The p-th percentile (nearest rank) of `values`, in their unit; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** What a run of N units of work measured: its throughput and latencies (ms). */
export interface RunFigures {
  count: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Throughput over the whole run (first start to last end) and the latency percentiles of its units. */
export function runFigures(units: { startedAt: number; doneAt: number }[]): RunFigures {
  const first = Math.min(...units.map((u) => u.startedAt));
  const last = Math.max(...units.map((u) => u.doneAt));
  const latencies = units.map((u) => u.doneAt - u.startedAt);
  return {
    count: units.length,
    perSecond: units.length / ((last - first) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** `value` rounded to two decimals. */
export const round = (value: number): number => Math.round(value * 100) / 100;

/** A run's throughput (two decimals) and latencies (whole milliseconds), as the bench prints them. */
export function shownFigures(figures: RunFigures): { perSecond: number; p50Ms: number; p99Ms: number } {
  return { perSecond: round(figures.perSecond), p50Ms: Math.round(figures.p50Ms), p99Ms: Math.round(figures.p99Ms) };
}

/** `a / b`, rounded to two decimals. */
export const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

/** Runs `work` over `items`, at most `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>) {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
    }),
  );
  return results;
}
