import type { AccountStore } from '../ports/account-store';
import type { Services } from '../ports/services';
import { createAiActivities } from './ai';
import { createControlBotActivities, type ControlBotDeps } from './control-bot';
import { createConvexActivities } from './convex';
import { createTelegramActivities } from './telegram';
import { createLoginActivities } from './telegram-login';
import { createSessionActivities, type SessionDeps } from './telegram-session';
import { createXActivities } from './x';

export interface ActivityDeps {
  services: Services;
  ownerChatId: string;
  /** How the session activity starts syncs and reports to its workflow (src/temporal/session-deps.ts). */
  session: Omit<SessionDeps, 'telegram' | 'aiChatsOf'>;
  /** Where the login's secrets wait between steps, and this worker's own task queue for the logins it holds. */
  accounts: AccountStore;
  loginTaskQueue: string;
  /** The control bot's Temporal client and admins; workers without it cannot run the bot. */
  control?: Omit<ControlBotDeps, 'telegram'>;
}

/** Every activity the workers register, built over injected ports so tests and the sandbox reuse them. */
export function createActivities({ services, ownerChatId, session, accounts, loginTaskQueue, control }: ActivityDeps) {
  return {
    ...createAiActivities(services.ai),
    ...createXActivities(services.x),
    ...createConvexActivities(services.store),
    ...createTelegramActivities(services.telegram, ownerChatId),
    ...createSessionActivities({
      telegram: services.telegram,
      aiChatsOf: async (accountId) => (await services.store.accountSettings(accountId))?.chatsAnsweredWithAi ?? [],
      ...session,
    }),
    ...createLoginActivities({ telegram: services.telegram, accounts, loginTaskQueue }),
    ...createControlBotActivities(control && { telegram: services.telegram, ...control }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The steps of a login, run on the task queue of the worker that holds it (src/workers/login-worker.ts). */
export const loginStepNames = ['sendLoginCode', 'signInWithCode', 'checkLoginPassword', 'endLogin'] as const;

/** What the reply workflow calls: what a test worker for it must provide. */
export type ReplyActivities = Pick<Activities, 'generateReply' | 'postReply' | 'recordReply' | 'notifyOwner'>;
