import type { Client, Connection } from '@temporalio/client';
import { msToNumber, msToTs, tsToMs } from '@temporalio/common/lib/time';
import type { Duration } from '../domain/duration';

/**
 * How long the namespace keeps a closed workflow: a dead letter (a failed workflow) is deleted that long after it
 * failed, and `failures retry` finds nothing after. The namespace holds the truth (describeNamespace); setup sets it
 * from TEMPORAL_NAMESPACE_RETENTION (default 30 days).
 */
export async function setRetention(connection: Connection, namespace: string, retention: string): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(msToNumber(retention as Duration)) },
  });
}

/** The retention as deploy/temporal/setup-namespace.sh and the temporal CLI take it (Go's form): "2592000s". */
export function cliRetention(retention: string): string {
  return `${Math.round(msToNumber(retention as Duration) / 1000)}s`;
}

/** The namespace's retention in ms, asked once and then remembered: undefined while it cannot be read. */
export function namespaceRetention(client: Client): () => Promise<number | undefined> {
  let known: number | undefined;
  return async () => {
    if (known !== undefined) return known;
    try {
      const described = await client.workflowService.describeNamespace({ namespace: client.options.namespace });
      const ttl = described.config?.workflowExecutionRetentionTtl;
      known = ttl ? tsToMs(ttl) : undefined;
    } catch {
      return undefined;
    }
    return known;
  };
}

/** When a workflow closed at `closedAt` is deleted by a namespace that keeps closed workflows `retentionMs`. */
export function deletedAt(closedAt: Date, retentionMs: number): Date {
  return new Date(closedAt.getTime() + retentionMs);
}

/** "30 days", "36 hours": a retention or a time left, as the owner reads it. */
export function inDays(ms: number): string {
  const hours = Math.max(0, Math.floor(ms / 3_600_000));
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.floor(hours / 24)} days`;
}
