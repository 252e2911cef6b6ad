/** What the workflows need of Telegram. */
export interface TelegramPort {
  sendMessage(request: { accountId: string; chatId: string; text: string }): Promise<{ messageId: number }>;
}
