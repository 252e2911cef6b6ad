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
      await telegram.sendMessage({ accountId: controlBotAccount, chatId: ownerChatId, text });
    },
    async sendChatMessage(request: {
      accountId: string;
      chatId: string;
      text: string;
    }): Promise<{ messageId: number }> {
      return telegram.sendMessage(request);
    },
  };
}
