import type { Services } from '../ports/services';
import { createAiActivities } from './ai';
import { createConvexActivities } from './convex';
import { createTelegramActivities } from './telegram';
import { createSessionActivities, type SessionDeps } from './telegram-session';
import { createXActivities } from './x';

export interface ActivityDeps {
  services: Services;
  ownerChatId: string;
  /** How the session activity starts syncs and reports to its workflow (src/temporal/session-deps.ts). */
  session: Omit<SessionDeps, 'telegram'>;
}

/** Every activity the workers register, built over injected ports so tests and the sandbox reuse them. */
export function createActivities({ services, ownerChatId, session }: ActivityDeps) {
  return {
    ...createAiActivities(services.ai),
    ...createXActivities(services.x),
    ...createConvexActivities(services.store),
    ...createTelegramActivities(services.telegram, ownerChatId),
    ...createSessionActivities({ telegram: services.telegram, ...session }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** What the reply workflow calls: what a test worker for it must provide. */
export type ReplyActivities = Pick<Activities, 'generateReply' | 'postReply' | 'recordReply' | 'notifyOwner'>;
