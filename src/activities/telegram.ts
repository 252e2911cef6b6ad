import { Context } from '@temporalio/activity';
import type { TelegramPort } from '../ports/telegram';
import { controlBotAccount } from '../workflows/contracts';

/**
 * `ownerChatId` comes from config: the owner's Telegram id is not a secret, but it is deployment data, not input.
 * The owner hears from the control bot, whatever the account: an account whose session is lost can still alert, and
 * the owner answers approval requests in one chat.
 */
export function createTelegramActivities(telegram: TelegramPort, ownerChatId: string) {
  return {
    async notifyOwner(request: { accountId: string; text: string }): Promise<void> {
      const text = `[${request.accountId}] ${request.text}`;
      await telegram.sendMessage({
        accountId: controlBotAccount,
        chatId: ownerChatId,
        text,
        idempotencyKey: sendKey(),
      });
    },
    async sendChatMessage(request: {
      accountId: string;
      chatId: string;
      text: string;
    }): Promise<{ messageId: number }> {
      return telegram.sendMessage({ ...request, idempotencyKey: sendKey() });
    },
  };
}

/**
 * One key per scheduled activity, the same for all its attempts: a retry after a lost answer sends nothing new. The
 * run id is part of it because a run continued as new numbers its activities from 1 again.
 */
function sendKey(): string | undefined {
  const { workflowExecution, activityId } = Context.current().info;
  return workflowExecution && `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}`;
}
