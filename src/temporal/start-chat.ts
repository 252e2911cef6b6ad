import type { Client } from '@temporalio/client';
import { chatWorkflow } from '../workflows';
import { workflowIds, type ChatBatching, type TelegramMessage } from '../domain/contracts';
import { chatMessageSignal } from '../workflows/messages';
import { accountIdKey } from '../workflows/search-attributes';
import { workflowSummaries } from '../domain/summaries';

/**
 * Hands one message to its chat's workflow, `chat:{account}:{chat}`, starting it if no run is open
 * (signal-with-start): the workflow batches what arrives and answers each batch with one AI call.
 */
export async function signalChat(
  client: Client,
  taskQueue: string,
  request: { accountId: string; message: TelegramMessage; batching?: ChatBatching },
): Promise<void> {
  const { accountId, message, batching } = request;
  await client.workflow.signalWithStart(chatWorkflow, {
    taskQueue,
    workflowId: workflowIds.chat(accountId, message.chatId),
    args: [{ accountId, chatId: message.chatId, batching }],
    staticSummary: workflowSummaries.chat(accountId, message.chatId),
    signal: chatMessageSignal,
    signalArgs: [message],
    typedSearchAttributes: [{ key: accountIdKey, value: accountId }],
  });
}
