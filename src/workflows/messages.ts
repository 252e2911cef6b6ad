import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BreakerChange,
  GuardedService,
  OwnerNotice,
  ServiceOutage,
  SyncPoint,
  TelegramMessage,
} from '../domain/contracts';

/** Signals and queries of the workflows, shared with clients (CLI, control bot, tests). */

export const replyStages = [
  'drafting',
  'awaiting-approval',
  'posting',
  'awaiting-authorisation',
  'recording',
  'notifying',
  'done',
] as const;
export type ReplyStage = (typeof replyStages)[number];

export interface ReplyStatusView {
  stage: ReplyStage;
  paused: boolean;
  draft?: string;
  /** Activity attempts the finished steps took (drafting, posting): more than one per step means retries. */
  attempts: number;
  lastError?: string;
}

export const approveSignal = defineSignal<[{ text?: string }]>('approve');
export const rejectSignal = defineSignal<[{ reason?: string }]>('reject');

/**
 * The owner's decision as an Update, for a caller that waits for the answer (the CLI, the control bot): its validator
 * refuses it unless the reply awaits a decision, so "approved" is only ever said of a draft that will be posted. The
 * signals above stay for running workflows and callers that send and go.
 */
export type DraftDecision = { decided: 'approved' | 'approved-with-edit' | 'rejected' };
export const approveDraftUpdate = defineUpdate<DraftDecision, [{ text?: string }]>('approveDraft');
export const rejectDraftUpdate = defineUpdate<DraftDecision, [{ reason?: string }]>('rejectDraft');
/** The failure type of a decision the validator refused. */
export const notAwaitingApproval = 'not-awaiting-approval';
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const statusQuery = defineQuery<ReplyStatusView>('status');

/** Account session: its state as the owner sees it. */
export type SessionState = 'connecting' | 'connected' | 'reconnecting' | 'paused' | 'needs-login' | 'stopped';

export interface SessionStatusView {
  state: SessionState;
  connectedSince?: string;
  failures: number;
  reconnects: number;
  lastSuccessAt?: string;
  lastError?: string;
  latencyMs?: number;
  /** The own task queue of the worker holding the live connection, while connected: sends over it run there. */
  hostQueue?: string;
}

/**
 * What the session activity tells its workflow while it runs: connected (and the latest ping), reconnecting after a
 * drop, or disconnected on request (pause, stop, rollover). Each carries the point up to which messages were handed
 * over, so the workflow resumes from there whatever ends the activity.
 */
export interface SessionReport {
  state: 'connected' | 'reconnecting' | 'disconnected';
  /** Why the connection was lost, when `reconnecting`. */
  error?: string;
  connectedSince: string;
  latencyMs?: number;
  attempt: number;
  /** Absent in reports of activities older than the point's reporting. */
  point?: SyncPoint;
  /** The own task queue of the worker holding the connection, when `connected`. */
  hostQueue?: string;
}

export const sessionPauseSignal = defineSignal('pause');
export const sessionResumeSignal = defineSignal('resume');
export const sessionStopSignal = defineSignal('stop');
export const reloginSignal = defineSignal('relogin');
export const sessionReportSignal = defineSignal<[SessionReport]>('sessionReport');
export const sessionStatusQuery = defineQuery<SessionStatusView>('status');

/** Login: where it stands, as the owner (and the CLI) sees it. */
export type LoginState =
  | 'sending-code'
  | 'awaiting-code'
  | 'signing-in'
  | 'awaiting-password'
  | 'checking-password'
  | 'logged-in'
  | 'expired'
  | 'failed';

export interface LoginStatusView {
  state: LoginState;
  /** Codes sent so far: more than one means the login started over (its worker was lost). */
  codesSent: number;
  /** Codes and passwords tried so far, so a client can tell when the one it sent has been answered. */
  codesTried: number;
  passwordsTried: number;
  /** When the code (or the wait for the 2FA password) runs out. */
  expiresAt?: string;
  lastError?: string;
}

/** The one-time code Telegram sent to the account's apps; it is useless once used or expired. */
export const loginCodeSignal = defineSignal<[string]>('code');
/** The CLI has put the 2FA password in the account store: the signal itself carries no secret. */
export const passwordReadySignal = defineSignal('passwordReady');
/**
 * The same two steps as Updates, for a caller that waits for the answer (the CLI): each returns the login's status once
 * Telegram has answered what was entered (the next step, a refusal to enter again, logged in, expired), and its
 * validator refuses it unless the login waits for that step.
 */
export const enterCodeUpdate = defineUpdate<LoginStatusView, [string]>('enterCode');
export const passwordReadyUpdate = defineUpdate<LoginStatusView, []>('checkPassword');
/** The failure type of a login step the validator refused. */
export const notAwaitingThisStep = 'not-awaiting-this-step';
export const loginStatusQuery = defineQuery<LoginStatusView>('status');

/** Chat: the batch being collected or answered. */
export type ChatState = 'idle' | 'collecting' | 'generating' | 'sending';

export interface ChatStatusView {
  state: ChatState;
  /** Messages waiting for the next answer. */
  waiting: number;
  /** Answers sent, and batches the owner interrupted. */
  answered: number;
  interrupted: number;
  lastError?: string;
}

export const chatMessageSignal = defineSignal<[TelegramMessage]>('message');
/** Cancels the answer being generated; its batch is dropped. */
export const chatInterruptSignal = defineSignal('interrupt');
export const chatStatusQuery = defineQuery<ChatStatusView>('status');

/** Owner outbox: what waits to be sent to the owner, and what became of what was. */
export interface OwnerOutboxStatusView {
  /** Notices not sent yet, the message going out included. */
  pending: number;
  /** Messages sent into the owner's chat. */
  sent: number;
  /** Notices that went out merged with others into one message. */
  merged: number;
  /** Notices Telegram would not take, even after the send policy's retries: logged, counted, not sent. */
  undelivered: number;
  lastError?: string;
}

export const ownerNoticeSignal = defineSignal<[OwnerNotice]>('notice');
/** Someone paired as the owner (the control bot, after `/pair`): what waited for an owner goes out now. */
export const ownerPairedSignal = defineSignal('ownerPaired');
export const ownerOutboxStatusQuery = defineQuery<OwnerOutboxStatusView>('status');

/**
 * The control bot's session activity tells its workflow which worker holds the live session: that worker's own task
 * queue, where the owner's outbox sends its messages so that they go over that connection.
 */
export const controlBotHostSignal = defineSignal<[{ hostQueue: string }]>('host');
export const controlBotHostQuery = defineQuery<{ hostQueue?: string }>('host');

/** The deployment's circuit breakers (serviceHealthWorkflow): a worker's breaker changed; the outages now. */
export const breakerChangeSignal = defineSignal<[BreakerChange]>('breakerChange');
export const outagesQuery = defineQuery<Partial<Record<GuardedService, ServiceOutage>>>('outages');

/** An account's X token refresher (xTokenWorkflow): refresh now (a post was answered 401); new tokens were added. */
export const xRefreshNowSignal = defineSignal('refreshNow');
export const xTokensAddedSignal = defineSignal('tokensAdded');
export interface XTokenStatusView {
  state: 'waiting' | 'refreshing' | 'needs-authorisation';
  /** When the access token expires (epoch ms), and how often this run refreshed it. */
  expiresAt?: number;
  refreshes: number;
  refused?: string;
}
export const xTokenStatusQuery = defineQuery<XTokenStatusView>('status');
/** To a reply waiting for the account's X login (awaiting-authorisation): it was authorised again. */
export const xAuthorisedSignal = defineSignal('xAuthorised');
