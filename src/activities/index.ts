import type { Client } from '@temporalio/client';
import type { OwnerDirectory } from '../owner/owner-directory';
import type { AccountStore } from '../ports/account-store';
import type { Services } from '../ports/services';
import { createAiActivities } from './ai';
import { createControlBotActivities, type ControlBotDeps } from './control-bot-session';
import { createConvexActivities } from './convex';
import { createLiveSessions } from './live-sessions';
import { createTelegramActivities, type LiveSessionHosts, type OwnerOutboxDeps } from './telegram';
import { createLoginActivities } from './telegram-login';
import { createSessionActivities, type SessionDeps } from './telegram-session';
import { createXActivities } from './x';
import { createXTokenActivities } from './x-authorisation';
import { namespaceRetention } from '../temporal/retention';
import type { Activities } from '../workflows/activity-types';

export interface ActivityDeps {
  services: Services;
  /** Who the owner is, and pairing (src/owner/owner-directory.ts). */
  owner: OwnerDirectory;
  /** Where messages for the owner go: the deployment's owner outbox (src/workers/owner-outbox-deps.ts). */
  ownerOutbox: OwnerOutboxDeps;
  /** Where live sessions run (src/workers/live-session-hosts.ts), to send over them from any worker. */
  hosts: LiveSessionHosts;
  /** How the session activity starts syncs and reports to its workflow (src/workers/session-deps.ts). */
  session: Omit<SessionDeps, 'telegram' | 'aiChatsOf' | 'live' | 'hostQueue'>;
  /** Where the login's secrets wait between steps, and this worker's own task queue for the logins it holds. */
  accounts: AccountStore;
  loginTaskQueue: string;
  /** The worker's Temporal client, for the activities that signal workflows (xTokenWorkflow's wake-ups). */
  client: Client;
  /** The control bot's Temporal client; workers without it cannot run the bot. */
  control?: Pick<ControlBotDeps, 'client' | 'pingEveryMs'>;
}

/** Every activity the workers register, built over injected ports so tests and the sandbox reuse them. */
export function createActivities(deps: ActivityDeps): Activities {
  const { services, owner, ownerOutbox, hosts, session, accounts, loginTaskQueue, control, client } = deps;
  // The session activities and the sends that must go over their connections share it (this worker's own queue).
  const live = createLiveSessions();
  return {
    ...createAiActivities(services.ai),
    ...createXActivities(services.x),
    ...createXTokenActivities(services.xTokens, client),
    ...createConvexActivities(services.store),
    ...createTelegramActivities({
      telegram: services.telegram,
      ownerChat: owner.chatId,
      outbox: ownerOutbox,
      live,
      hosts,
      retention: namespaceRetention(client),
    }),
    ...createSessionActivities({
      telegram: services.telegram,
      aiChatsOf: async (accountId) => (await services.store.accountSettings(accountId))?.chatsAnsweredWithAi ?? [],
      ...session,
      live,
      hostQueue: loginTaskQueue,
    }),
    ...createLoginActivities({ telegram: services.telegram, accounts, loginTaskQueue }),
    ...createControlBotActivities(
      control && {
        telegram: services.telegram,
        ...control,
        live,
        hostQueue: loginTaskQueue,
        owner: { directory: owner, queue: ownerOutbox.queue, paired: ownerOutbox.ownerPaired },
      },
    ),
  };
}

/** The steps of a login, run on the task queue of the worker that holds it (src/workers/login-worker.ts). */
export const loginStepNames = ['sendLoginCode', 'signInWithCode', 'checkLoginPassword', 'endLogin'] as const;

/**
 * What runs on a worker's own task queue because the connection it needs lives in that process: the login steps,
 * and the owner's messages over the control bot's live session.
 */
export const ownQueueActivityNames = [...loginStepNames, 'sendAsControlBot', 'sendAsAccount', 'hurrySession'] as const;

/** What the reply workflow calls: what a test worker for it must provide. */
export type ReplyActivities = Pick<Activities, 'generateReply' | 'postReply' | 'recordReply' | 'notifyOwner'>;
