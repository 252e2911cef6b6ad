import type { Client } from '@temporalio/client';
import { syncMessageWorkflow } from '../workflows';
import { workflowIds, type SyncInput } from '../domain/contracts';
import { accountIdKey } from '../workflows/search-attributes';
import { startOnce } from './start-once';
import { workflowSummaries } from '../domain/summaries';

/**
 * Starts the sync of one Telegram message, exactly once: the id is `sync:{account}:{chat}:{message}`, so a message
 * handed over twice (a catch-up after a reconnect, a second session) starts nothing the second time. A failed sync
 * (a dead letter) may run again.
 */
export async function startSync(client: Client, taskQueue: string, input: SyncInput): Promise<{ started: boolean }> {
  const { accountId, message } = input;
  const { started } = await startOnce(client, syncMessageWorkflow, {
    taskQueue,
    workflowId: workflowIds.sync(accountId, message.chatId, message.messageId),
    args: [input],
    staticSummary: workflowSummaries.sync(input),
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [{ key: accountIdKey, value: accountId }],
  });
  return { started };
}
