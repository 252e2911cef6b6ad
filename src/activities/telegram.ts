import type { TelegramPort } from '../ports/telegram';

/** `ownerChatId` comes from config: the owner's Telegram id is not a secret, but it is deployment data, not input. */
export function createTelegramActivities(telegram: TelegramPort, ownerChatId: string) {
  return {
    async notifyOwner(request: { accountId: string; text: string }): Promise<void> {
      await telegram.sendMessage({ accountId: request.accountId, chatId: ownerChatId, text: request.text });
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
