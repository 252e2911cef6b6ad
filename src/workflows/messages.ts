import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Signals and queries of the workflows, shared with clients (CLI, control bot, tests). */

export type ReplyStage = 'drafting' | 'awaiting-approval' | 'posting' | 'recording' | 'notifying' | 'done';

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
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const statusQuery = defineQuery<ReplyStatusView>('status');
