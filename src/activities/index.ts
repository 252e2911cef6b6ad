import type { Services } from '../ports/services';
import { createAiActivities } from './ai';
import { createConvexActivities } from './convex';
import { createTelegramActivities } from './telegram';
import { createXActivities } from './x';

export interface ActivityDeps {
  services: Services;
  ownerChatId: string;
}

/** Every activity the workers register, built over injected ports so tests and the sandbox reuse them. */
export function createActivities({ services, ownerChatId }: ActivityDeps) {
  return {
    ...createAiActivities(services.ai),
    ...createXActivities(services.x),
    ...createConvexActivities(services.store),
    ...createTelegramActivities(services.telegram, ownerChatId),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** What the reply workflow calls: what a test worker for it must provide. */
export type ReplyActivities = Pick<Activities, 'generateReply' | 'postReply' | 'recordReply' | 'notifyOwner'>;
