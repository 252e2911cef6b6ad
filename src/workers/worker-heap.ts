import { setFlagsFromString } from 'node:v8';

/**
 * V8's heap settings for the worker. V8 sizes a heap by the machine's memory and, under the churn of thousands of
 * workflows started, evicted and replayed, lets it grow far beyond what is live before it collects: the worker's RSS
 * then climbs with the replies waiting although the workflow cache bounds what it keeps. A young generation of 2 MB
 * per semi-space (16 by default) and a heap that grows by 15% after a full collection (V8's own factor is 1.1 to 4×)
 * make it collect sooner. Unlike `--max-old-space-size` they set no ceiling: a heap that needs more still grows, so
 * no worker dies of "heap out of memory" for them. Measured in docs/performance.md ("Memory: where it goes").
 */
export const workerHeapFlags: Readonly<Record<string, number>> = {
  'max-semi-space-size': 2,
  'heap-growing-percent': 15,
};

/**
 * Sets the flags, before the worker's workflow thread exists: V8 reads them for every heap it makes later, and the
 * growth factor at every collection (the main thread's young generation keeps the size it started with). A flag
 * the process was given (`node --flag`, NODE_OPTIONS) is the owner's choice and stays. Returns the flags it set.
 */
export function tuneWorkerHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  // V8 reads `_` and `-` in a flag's name alike.
  const given = [...execArgv, nodeOptions].join(' ').replace(/_/g, '-');
  const set: string[] = [];
  for (const [flag, value] of Object.entries(workerHeapFlags)) {
    if (given.includes(`--${flag}`)) continue;
    setFlagsFromString(`--${flag}=${value}`);
    set.push(`--${flag}=${value}`);
  }
  return set;
}
