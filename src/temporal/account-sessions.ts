import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { sessionStatusQuery, type SessionStatusView } from '../workflows/messages';

/** The account sessions running now, by visibility query: for the CLI's status and health, and the control bot. */
export async function runningSessions(
  client: Client,
  limit = 100,
): Promise<{ accountId: string; workflowId: string }[]> {
  const found: { accountId: string; workflowId: string }[] = [];
  const query = 'WorkflowType="accountSessionWorkflow" AND ExecutionStatus="Running"';
  for await (const { workflowId } of client.workflow.list({ query })) {
    found.push({ accountId: workflowId.replace(/^account:/, ''), workflowId });
    if (found.length >= limit) break;
  }
  return found.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/**
 * What a running session reports of itself (its `status` query), with its last ping: that rides on the session
 * activity's heartbeat, read here with describe (no action), not signalled into the workflow's history.
 */
export async function sessionStatus(client: Client, workflowId: string): Promise<SessionStatusView> {
  const handle = client.workflow.getHandle(workflowId);
  const [view, description] = await Promise.all([handle.query(sessionStatusQuery), handle.describe()]);
  const pending = description.raw.pendingActivities?.find((a) => a.activityType?.name === 'runSession');
  const payloads = pending?.heartbeatDetails?.payloads;
  if (!payloads?.length || view.state !== 'connected') return view;
  // Heartbeat details are encoded (encrypted) like every payload: decoded with the client's codec.
  const beat = await decodeFromPayloadsAtIndex<{ latencyMs?: number; pingedAt?: string }>(
    client.options.loadedDataConverter,
    0,
    payloads,
  );
  return { ...view, latencyMs: beat.latencyMs ?? view.latencyMs, lastSuccessAt: beat.pingedAt ?? view.lastSuccessAt };
}
