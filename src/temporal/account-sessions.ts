import type { Client } from '@temporalio/client';
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

/** What a running session reports of itself (its `status` query). */
export function sessionStatus(client: Client, workflowId: string): Promise<SessionStatusView> {
  return client.workflow.getHandle(workflowId).query(sessionStatusQuery);
}
