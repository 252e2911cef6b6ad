/**
 * The public contracts of the workflows (docs/changing-a-workflow.md, for what changed): ids, inputs and results. Other programs
 * start and signal these workflows by name, so change them only on purpose. No secret ever travels in them.
 */

export const taskQueueDefault = 'steadfast';

export interface Tweet {
  id: string;
  text: string;
  authorUsername?: string;
}

export type ApprovalMode = 'auto' | 'owner';

export interface ReplyInput {
  accountId: string;
  tweet: Tweet;
  approval: ApprovalMode;
  /** How long the owner has to decide, as a duration such as '24h'; defaults to 24 hours. */
  approvalTimeout?: string;
  /**
   * Set by a starter that knows this is the first run for the tweet (no earlier run could have posted): the first
   * attempt to post then skips reading X for an earlier post of ours. Absent, every attempt reads first.
   */
  firstRun?: true;
}

export type ReplyStatus = 'posted' | 'rejected' | 'expired' | 'cancelled';

export interface ReplyResult {
  status: ReplyStatus;
  replyTweetId?: string;
  text?: string;
  /** False when the owner's notice of the outcome could not be delivered (the outcome stands); absent when it was. */
  notified?: false;
}

/** An incoming Telegram message; `chatId` is the peer id as the account sees it (negative for a group). */
export interface TelegramMessage {
  chatId: string;
  messageId: number;
  senderId: string;
  text: string;
  /** Unix seconds. */
  date: number;
  /** The message this one answers, when it is a Telegram reply. */
  replyToMessageId?: number;
}

/**
 * A point in an account's update sequence (Telegram's `pts` and its date): every message up to it has been handed
 * over. The session workflow keeps it, so that a reconnect resumes exactly where the last one stopped.
 */
export interface SyncPoint {
  pts: number;
  date: number;
}

/** One incoming Telegram message (syncMessageWorkflow). */
export interface SyncInput {
  accountId: string;
  message: TelegramMessage;
}

export interface SyncResult {
  stored: true;
}

/** The account session's input; `carried` is its state across continue-as-new. */
export interface AccountSessionInput {
  accountId: string;
  carried?: { point?: SyncPoint; failures: number; reconnects: number; lastSuccessAt?: string };
}

/** A Telegram login (loginWorkflow). The phone is where Telegram sends the code; it is not a secret. */
export interface LoginInput {
  accountId: string;
  phone: string;
  /** How long a code may take to be entered (and then the 2FA password), as a duration; defaults to 5 minutes. */
  codeTimeout?: string;
}

export type LoginStatus = 'logged-in' | 'expired' | 'failed';

export interface LoginResult {
  status: LoginStatus;
  /** Why, when `failed`. */
  error?: string;
}

/**
 * How a chat's messages are batched into one AI answer (durations such as '4s'): the batch closes when `quiet` passes
 * without a new message (`firstWait` after its first one), and at the latest `maxWait` after it began.
 */
export interface ChatBatching {
  firstWait: string;
  quiet: string;
  maxWait: string;
}

/** A chat the account answers with AI (chatWorkflow); `carried` is what waits across continue-as-new. */
export interface ChatInput {
  accountId: string;
  chatId: string;
  batching?: Partial<ChatBatching>;
  carried?: TelegramMessage[];
}

/** One poll of an account's watched X users (run by the account's Schedule). */
export interface WatchInput {
  accountId: string;
  usernames: string[];
  approval: ApprovalMode;
  approvalTimeout?: string;
}

export interface WatchResult {
  /** Reply workflows this poll started (tweets already answered or being answered are not counted). */
  started: number;
}

/**
 * A message for the owner, handed to the deployment's owner outbox (ownerOutboxWorkflow), which alone sends into the
 * owner's chat: at Telegram's pace, merging what piles up. `key` is the same for every attempt of the hand-over, so a
 * repeated one is dropped.
 */
export interface OwnerNotice {
  key: string;
  accountId: string;
  text: string;
  /**
   * An approval request is answered on its own; a notice may be merged with others into one message; an answer (the
   * control bot's to the owner's command) goes first and alone, as it is, since the owner waits for it.
   */
  kind: 'approval' | 'notice' | 'answer';
  /** The workflow it is about (a reply's id), named when many approval requests are announced together. */
  ref?: string;
  /**
   * A count of notices of `foldedKind` the outbox carried to a new run without listing them, beyond what one run's
   * input holds (src/workflows/owner-outbox-carry.ts); its text says how many and where to see them.
   */
  folded?: number;
  foldedKind?: 'approval' | 'notice' | 'answer';
  /**
   * What the approval request of `ref` becomes, edited in place, once this notice is due: the outcome of the reply
   * (posted with its link, rejected, expired) or its new draft. Where the outbox knows that request's message it
   * edits it instead of sending this notice's text; where it does not (it was announced among many), the text goes.
   */
  settles?: string;
  /** Buttons or a forced reply for the message (the control bot's answers: `/pending`, the Edit button's prompt). */
  markup?: MessageMarkup;
}

/** A button under a message: its label, and the data Telegram hands the bot when it is tapped (at most 64 bytes). */
export interface InlineButton {
  text: string;
  data: string;
}

/** What a bot's message carries besides its text: rows of inline buttons, or a forced reply (the app opens a reply). */
export type MessageMarkup = { inline: InlineButton[][] } | { forceReply: { placeholder?: string } };

/**
 * One message into the owner's chat: `edit` names an earlier message of the bot to edit in place instead (an approval
 * request, with its outcome); if Telegram no longer has it, the text goes as a new message. The message's id.
 */
export interface OwnerMessageRequest {
  text: string;
  key?: string;
  markup?: MessageMarkup;
  edit?: number;
}

/** A tap on one of the bot's inline buttons, as Telegram hands it over (a callback query). */
export interface ButtonTap {
  queryId: string;
  senderId: string;
  chatId: string;
  messageId: number;
  data: string;
}

/** The outbox's input: what continue-as-new carries over (notices not sent yet, keys recently seen, counts). */
export interface OwnerOutboxInput {
  pending?: OwnerNotice[];
  seen?: string[];
  counts?: { sent: number; merged: number; undelivered: number };
  /** When the last message went out (epoch ms), so the next keeps the gap across a continue-as-new. */
  lastSentAt?: number;
  /** When the last few messages went out (epoch ms, oldest first), for the burst pacing (outbox-burst). */
  recentSends?: number[];
  /**
   * The message that was going out when the run rolled over mid-send: sent first, under the same key, so Telegram
   * drops it if the earlier send got through after all.
   */
  inFlight?: {
    text: string;
    key: string;
    notices: OwnerNotice[];
    markup?: MessageMarkup;
    edit?: number;
    request?: string;
  };
  /** The message each recent approval request went out as (reply id → message id), to edit it with the outcome. */
  requests?: [string, number][];
}

/** The control bot's account id: its session is kept in the account store under it, like an account's. */
export const controlBotAccount = 'control-bot';

export const workflowIds = {
  /** The one control bot workflow: the owner's commands on Telegram. */
  controlBot: () => 'control-bot',
  reply: (accountId: string, tweetId: string) => `reply:${accountId}:${tweetId}`,
  account: (accountId: string) => `account:${accountId}`,
  login: (accountId: string) => `login:${accountId}`,
  chat: (accountId: string, chatId: string) => `chat:${accountId}:${chatId}`,
  sync: (accountId: string, chatId: string, messageId: number) => `sync:${accountId}:${chatId}:${messageId}`,
  /** The owner's outbox of one deployment (its task queue): the only sender of notices into the owner's chat. */
  ownerOutbox: (taskQueue: string) => `owner-outbox:${taskQueue}`,
  /** Where the workers' circuit breakers report (one per deployment), so the owner hears once of an outage. */
  serviceHealth: (taskQueue: string) => `service-health:${taskQueue}`,
  /** An account's X OAuth 2.0 token refresher: the only caller of X's token endpoint for it. */
  xToken: (accountId: string) => `x-token:${accountId}`,
  /** The Schedule that polls an account's watched users; its runs are `watch:{accountId}-<time>`. */
  watch: (accountId: string) => `watch:${accountId}`,
};

/** The services each worker guards with a circuit breaker (src/adapters/circuit-breaker.ts), as the owner names them. */
export const guardedServices = { x: 'X', ai: 'AI', convex: 'Convex' } as const;
export type GuardedService = keyof typeof guardedServices;

/** A worker's breaker opened (after being closed) or closed: what serviceHealthWorkflow hears. */
export interface BreakerChange {
  service: GuardedService;
  state: 'open' | 'closed';
  at: number;
  /** When the outage began (epoch ms): for a closing, how long it lasted. */
  since: number;
  lastError?: string;
  /** The worker's id (config.workerId), and, at an opening, the replies in flight it counted. */
  worker?: string;
  waitingReplies?: number;
}

/** One service's outage as the deployment knows it; none: every breaker that reported is closed. */
export interface ServiceOutage {
  since: number;
  lastError?: string;
  /** The workers whose breakers for it have opened and not closed since. */
  openOn: string[];
}

export interface ServiceHealthInput {
  outages?: Partial<Record<GuardedService, ServiceOutage>>;
}

export interface XTokenInput {
  accountId: string;
}

/** An account's X OAuth 2.0 tokens as Temporal may see them: version and times only, never a token. */
export interface XTokenState {
  version: number;
  issuedAt: number;
  expiresAt: number;
  /** Why X refused the refresh: the owner must authorise again. */
  refused?: string;
}

/** A reply as Convex records it. */
export interface ReplyRecord {
  accountId: string;
  tweetId: string;
  replyTweetId: string;
  text: string;
  workflowId: string;
}

/** An account's settings, kept in Convex (convex/accounts.ts). */
export interface AccountSettings {
  accountId: string;
  displayName?: string;
  approval: 'auto' | 'owner';
  chatsAnsweredWithAi: string[];
  watchedUsernames: string[];
}

/** Someone else's tweet, as X shows it. */
export interface XTweetView {
  id: string;
  text: string;
  authorUsername: string;
}

/** What one slice of an account's session did: the point a retry or the next slice resumes from, and the messages synced. */
export interface SessionSlice {
  point: SyncPoint;
  synced: number;
}

/** A service's circuit breaker, as configured (src/adapters/circuit-breaker.ts). */
export interface BreakerSettings {
  /** Consecutive outage failures (5xx, timeouts, refused or reset connections) that open the breaker. */
  failures: number;
  /** How long it stays open before it lets calls try again. */
  openMs: number;
  /** How many calls it lets through half-open; as many successes close it, one outage failure opens it again. */
  halfOpenCalls: number;
}
