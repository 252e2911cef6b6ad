import type { Client } from '@temporalio/client';
import { accountSessionWorkflow } from '../workflows';
import { workflowIds } from '../domain/contracts';
import { accountIdKey } from '../workflows/search-attributes';
import { startOnce } from './start-once';
import { workflowSummaries } from '../domain/summaries';

/** Starts the account's session workflow (`account:{id}`) unless it runs already: one per account. */
export async function startAccountSession(
  client: Client,
  taskQueue: string,
  accountId: string,
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = workflowIds.account(accountId);
  const { started } = await startOnce(client, accountSessionWorkflow, {
    taskQueue,
    workflowId,
    args: [{ accountId }],
    staticSummary: workflowSummaries.session(accountId),
    typedSearchAttributes: [{ key: accountIdKey, value: accountId }],
  });
  return { workflowId, started };
}
