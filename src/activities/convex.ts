import type { ReplyRecord, StorePort } from '../ports/store';

export function createConvexActivities(store: StorePort) {
  return {
    async recordReply(record: ReplyRecord): Promise<void> {
      await store.recordReply(record);
    },
  };
}
