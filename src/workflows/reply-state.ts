import {
  ApplicationFailure,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { firstWords } from '../domain/summaries';
import {
  approveDraftUpdate,
  approveSignal,
  notAwaitingApproval,
  type DraftDecision,
  pauseSignal,
  rejectDraftUpdate,
  rejectSignal,
  resumeSignal,
  statusQuery,
  xAuthorisedSignal,
  type ReplyStage,
  type ReplyStatusView,
} from './messages';
import { stageKey } from './search-attributes';

export type Decision = { kind: 'approve'; text?: string } | { kind: 'reject'; reason?: string };

/** What a reply keeps between its steps, and what its handlers change. */
export interface ReplyState {
  /** The `status` query's answer: the stage, the draft, attempts, the last error, paused or not. */
  status: ReplyStatusView;
  /** The owner's decision on the current draft, once there is one. */
  decision: Decision | undefined;
  /** The account's X token refresher said new tokens were added (xAuthorisedSignal). */
  authorised: boolean;
}

/**
 * The reply's state, with the handlers through which the owner, the CLI and the token refresher reach it: the status
 * query; pause and resume; the approve and reject signals (for callers that send and go) and Updates (which say what
 * the reply took, and refuse in their validator a decision it is not waiting for); the X login's return. Handlers add
 * no command, so histories recorded before the Updates replay as they were.
 */
export function replyState(): ReplyState {
  const state: ReplyState = {
    status: { stage: 'drafting', paused: false, attempts: 0 },
    decision: undefined,
    authorised: false,
  };
  const { status } = state;
  setHandler(statusQuery, () => status);
  setHandler(xAuthorisedSignal, () => void (state.authorised = true));
  setHandler(pauseSignal, () => void (status.paused = true));
  setHandler(resumeSignal, () => void (status.paused = false));
  setHandler(approveSignal, ({ text }) => void (state.decision ??= { kind: 'approve', text }));
  setHandler(rejectSignal, ({ reason }) => void (state.decision ??= { kind: 'reject', reason }));
  const awaitingDecision = ({ text }: { text?: string } = {}) => {
    if (text !== undefined && text.trim() === '') throw decisionRefused('the edited reply is empty');
    if (status.stage !== 'awaiting-approval') throw decisionRefused(`it is not waiting for approval (${status.stage})`);
    if (state.decision) throw decisionRefused('it was decided already');
  };
  setHandler(
    approveDraftUpdate,
    ({ text }): DraftDecision => {
      state.decision = { kind: 'approve', text };
      return { decided: text === undefined ? 'approved' : 'approved-with-edit' };
    },
    { validator: awaitingDecision },
  );
  setHandler(
    rejectDraftUpdate,
    ({ reason }): DraftDecision => {
      state.decision = { kind: 'reject', reason };
      return { decided: 'rejected' };
    },
    { validator: (_request: { reason?: string }) => awaitingDecision() },
  );
  return state;
}

/**
 * The reply's stages as its listings see them. The `Stage` search attribute is for listings: the owner's queue
 * (awaiting-approval) above all. Each upsert is a billed action, so only what a listing needs is set: `drafting` comes
 * with the start (set by the starter), then the entry into awaiting-approval and the stage after it; a closed run's
 * status says it is done. The query (`reply status`) always has the stage.
 */
export function replyStages(status: ReplyStatusView) {
  let listed: ReplyStage = 'drafting';
  return {
    /**
     * Moves to `stage`, listing it when a listing needs it; `pause` holds the reply here, before its next step.
     * `waitsFor` says, on the Web UI's page, what the stage waits for.
     */
    enter: async (stage: ReplyStage, waitsFor?: string): Promise<void> => {
      status.stage = stage;
      showDetails(status, waitsFor);
      if (stage === 'awaiting-approval' || listed === 'awaiting-approval') {
        upsertSearchAttributes([{ key: stageKey, value: stage }]);
        listed = stage;
      }
      await condition(() => !status.paused);
    },
    /** Moves to `stage` and lists it, whatever was listed before: a wait the owner must see (for X's login). */
    list: (stage: ReplyStage, waitsFor?: string): void => {
      status.stage = stage;
      showDetails(status, waitsFor);
      upsertSearchAttributes([{ key: stageKey, value: stage }]);
    },
  };
}

/**
 * The reply's current details, which the Web UI shows on its page (and `workflow describe` prints): the stage, the
 * draft's first words, what it waits for, its last error. Not a command: setting them costs no action.
 */
export function showDetails(status: ReplyStatusView, waitsFor?: string, outcome?: string): void {
  setCurrentDetails(
    [
      `**${outcome ?? status.stage}**`,
      ...(status.draft ? [`draft: "${firstWords(status.draft)}"`] : []),
      ...(waitsFor ? [`waits for ${waitsFor}`] : []),
      ...(status.lastError ? [`last error: ${firstWords(status.lastError, 120)}`] : []),
    ].join(' · '),
  );
}

function decisionRefused(why: string): ApplicationFailure {
  return ApplicationFailure.create({ type: notAwaitingApproval, message: `Refused: ${why}`, nonRetryable: true });
}
