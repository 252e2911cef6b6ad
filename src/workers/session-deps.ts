import type { Client } from '@temporalio/client';
import type { SessionDeps } from '../activities/telegram-session';
import type { ChatBatching } from '../domain/contracts';
import { sessionReportSignal } from '../workflows/messages';
import { signalChat } from '../temporal/start-chat';
import { startSync } from '../temporal/start-sync';

/**
 * What the session activity needs of Temporal: start a message's sync, hand a message to its chat's workflow (for
 * chats answered with AI, batched as configured), and report to its own workflow.
 */
export function sessionDeps(
  client: Client,
  taskQueue: string,
  /** As configured (STEADFAST_CHAT_*); without it, the chat workflow's own defaults. */
  batching?: ChatBatching,
): Omit<SessionDeps, 'telegram' | 'aiChatsOf' | 'live' | 'hostQueue'> {
  return {
    startSync: (input) => startSync(client, taskQueue, input),
    signalChat: (input) => signalChat(client, taskQueue, { ...input, batching }),
    report: (workflowId, report) => client.workflow.getHandle(workflowId).signal(sessionReportSignal, report),
  };
}
