import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * Terminates every workflow still running on a task queue that no worker will poll again (a demo's own), so that
 * none outlives the command that started it unseen; returns the ids it terminated. Visibility shows a start a moment
 * late, so it lists until two listings a second apart find nothing new; `knownIds` are terminated by id whatever the
 * listing says (one already closed is skipped).
 */
export async function terminateTaskQueue(
  client: Client,
  taskQueue: string,
  reason: string,
  knownIds: Iterable<string> = [],
): Promise<string[]> {
  const terminated = new Set<string>();
  const terminate = async (workflowId: string, runId?: string) => {
    try {
      await client.workflow.getHandle(workflowId, runId).terminate(reason);
      terminated.add(workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // closed already (or never started)
    }
  };
  await inBatches([...knownIds], (workflowId) => terminate(workflowId));

  const query = `TaskQueue="${taskQueue.replace(/"/g, '')}" AND ExecutionStatus="Running"`;
  const seen = new Set<string>();
  for (let quiet = 0, round = 0; quiet < 2 && round < 30; round++) {
    const found: { workflowId: string; runId: string }[] = [];
    for await (const { workflowId, runId } of client.workflow.list({ query })) {
      if (!seen.has(runId)) found.push({ workflowId, runId });
      seen.add(runId);
    }
    await inBatches(found, ({ workflowId, runId }) => terminate(workflowId, runId));
    quiet = found.length === 0 ? quiet + 1 : 0;
    if (quiet < 2) await sleep(1000);
  }
  return [...terminated];
}

/** At most 20 calls in flight: a burst of hundreds must not open hundreds of requests at once. */
async function inBatches<T>(items: T[], call: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 20) await Promise.all(items.slice(i, i + 20).map(call));
}
