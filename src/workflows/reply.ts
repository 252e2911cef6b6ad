import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { alertOwner } from './alerts';
import type { Activities } from '../activities';
import type { ReplyInput, ReplyResult } from './contracts';
import { deadLetter } from './failures';
import {
  approveSignal,
  pauseSignal,
  rejectSignal,
  resumeSignal,
  statusQuery,
  type ReplyStage,
  type ReplyStatusView,
} from './messages';
import { policies } from './policies';
import { stageKey } from './search-attributes';

const { generateReply } = proxyActivities<Activities>(policies.aiGenerate);
const { postReply } = proxyActivities<Activities>(policies.xApi);
const { recordReply } = proxyActivities<Activities>(policies.convex);
const { notifyOwner } = proxyActivities<Activities>(policies.telegramSend);
const { notifyOwner: noticeOfOutcome } = proxyActivities<Activities>(policies.outcomeNotice);

type Decision = { kind: 'approve'; text?: string } | { kind: 'reject'; reason?: string };

/** One tweet worth answering becomes one reply: draft, (owner approval), post on X, record, report. */
export async function replyWorkflow({ accountId, tweet, approval, approvalTimeout }: ReplyInput): Promise<ReplyResult> {
  const status: ReplyStatusView = { stage: 'drafting', paused: false, attempts: 0 };
  let decision: Decision | undefined;
  setHandler(statusQuery, () => status);
  setHandler(pauseSignal, () => void (status.paused = true));
  setHandler(resumeSignal, () => void (status.paused = false));
  setHandler(approveSignal, ({ text }) => void (decision ??= { kind: 'approve', text }));
  setHandler(rejectSignal, ({ reason }) => void (decision ??= { kind: 'reject', reason }));

  const enter = async (stage: ReplyStage) => {
    status.stage = stage;
    upsertSearchAttributes([{ key: stageKey, value: stage }]);
    // `pause` holds the workflow before its next side effect.
    await condition(() => !status.paused);
  };

  try {
    await enter('drafting');
    const draft = await generateReply({ accountId, tweet });
    let { text } = draft;
    status.draft = text;
    status.attempts += draft.attempt ?? 1; // histories recorded before attempts were reported carry none

    if (approval === 'owner') {
      await enter('awaiting-approval');
      await notifyOwner({ accountId, text: approvalRequest(tweet.authorUsername, text, workflowInfo().workflowId) });
      if (!(await condition(() => decision !== undefined, approvalTimeout ?? '24h'))) {
        return await finish('expired', `The draft for tweet ${tweet.id} expired without a decision.`);
      }
      if (decision?.kind === 'reject') {
        return await finish('rejected', `Rejected the reply to tweet ${tweet.id}.`);
      }
      text = decision?.text ?? text;
      status.draft = text;
    }

    await enter('posting');
    const { replyTweetId, attempt } = await postReply({ accountId, inReplyToTweetId: tweet.id, text });
    status.attempts += attempt ?? 1;
    await enter('recording');
    await recordReply({ accountId, tweetId: tweet.id, replyTweetId, text, workflowId: workflowInfo().workflowId });
    return await finish('posted', `Posted a reply to tweet ${tweet.id}: ${text}`, { replyTweetId, text });
  } catch (err) {
    // Shipped histories end without these steps: patched() keeps them replaying as they were recorded.
    if (isCancellation(err) && patched('reply-cancel-notifies')) {
      // The workflow is being cancelled: what is left must run anyway, in a scope the cancellation cannot reach.
      return await CancellationScope.nonCancellable(() =>
        finish('cancelled', `Cancelled the reply to tweet ${tweet.id} at stage ${status.stage}.`),
      );
    }
    const failure = deadLetter(err);
    status.lastError = failure.message;
    log.error('reply failed', { accountId, tweetId: tweet.id, category: failure.type, error: failure.message });
    if (patched('reply-dead-letter-alert')) {
      await alertOwner(
        accountId,
        `the reply to tweet ${tweet.id} (account ${accountId}, stage ${status.stage})`,
        failure,
      );
    }
    throw failure;
  }

  async function finish(
    outcome: ReplyResult['status'],
    report: string,
    extra: Omit<ReplyResult, 'status'> = {},
  ): Promise<ReplyResult> {
    if (outcome === 'cancelled') status.stage = 'notifying';
    else await enter('notifying');
    const notified = patched('reply-outcome-notice-never-fails')
      ? await tellOutcome(report)
      : (await notifyOwner({ accountId, text: report }), true);
    status.stage = 'done';
    upsertSearchAttributes([{ key: stageKey, value: 'done' }]);
    log.info('reply finished', { accountId, tweetId: tweet.id, outcome, notified });
    return { status: outcome, ...extra, ...(notified ? {} : { notified: false }) };
  }

  /**
   * The outcome is decided (a post on X above all): its notice cannot undo it. It waits out a Telegram outage; one
   * that still cannot be delivered is logged, shown in the status and the result, and the reply keeps its outcome.
   */
  async function tellOutcome(report: string): Promise<boolean> {
    try {
      await noticeOfOutcome({ accountId, text: report });
      return true;
    } catch (err) {
      const failure = deadLetter(err);
      status.lastError = `the owner's notice was not delivered: ${failure.message}`;
      log.error('owner notice failed', {
        accountId,
        tweetId: tweet.id,
        category: failure.type,
        error: failure.message,
      });
      return false;
    }
  }
}

/** What the owner reads: the draft, and how to answer it from Telegram (the control bot reads the id back). */
function approvalRequest(author: string | undefined, draft: string, workflowId: string): string {
  return [
    `Reply to @${author ?? 'unknown'}? (${workflowId})`,
    '',
    draft,
    '',
    `Answer this message with ok to post it, no to reject it, or the text to post instead; or /approve, /edit or /reject ${workflowId}.`,
  ].join('\n');
}
