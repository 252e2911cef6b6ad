import type { AccountSettings, ReplyRecord } from '../domain/contracts';
import type { StorePort } from '../ports/store';
import type { TelegramMessage } from '../ports/telegram';

export function createConvexActivities(store: StorePort) {
  return {
    async recordReply(record: ReplyRecord): Promise<void> {
      await store.recordReply(record);
    },
    /** Idempotent: a sync retried after an ambiguous failure finds its document. */
    async saveMessage(message: TelegramMessage & { accountId: string }): Promise<{ created: boolean }> {
      return store.saveMessage(message);
    },
    async watchCursor(request: { accountId: string; username: string }): Promise<string | null> {
      return store.watchCursor(request);
    },
    async advanceWatchCursor(request: { accountId: string; username: string; sinceId: string }): Promise<void> {
      await store.advanceWatchCursor(request);
    },
    async loadAccountSettings(request: { accountId: string }): Promise<AccountSettings | null> {
      return store.accountSettings(request.accountId);
    },
  };
}
