import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  deprecatePatch,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { notifyOwnerOfDeadLetter } from './alerts';
import type { Activities } from './activity-types';
import type { ReplyInput, ReplyResult } from '../domain/contracts';
import { deadLetter } from './dead-letter';
import { countDeadLetter, countReply } from './metrics';
import { notifyOwnerThroughOutbox } from './owner-notice';
import { policies } from './policies';
import { replyState, replyStages, showDetails, type Decision } from './reply-state';
import { durationMs } from '../domain/duration';
import { untilText } from '../domain/summaries';

// Each with its summary, the line the Web UI shows for its step.
const { generateReply } = proxyActivities<Activities>({
  ...policies.aiGenerate,
  summary: 'Draft the reply with the AI model',
});
const { postReply } = proxyActivities<Activities>({ ...policies.xApi, summary: 'Post the reply on X' });
const { recordReply } = proxyActivities<Activities>({ ...policies.convex, summary: 'Record the reply in Convex' });

/** Drafts tried, the first included, before a reply X keeps refusing as duplicate content is a dead letter. */
const maxDrafts = 3;
/** A reply waits for its account's X login at most a week (168 times an hour), then is a dead letter. */
const authorisationRetry = '1h';
const authorisationWaits = 168;

/**
 * One tweet worth answering becomes one reply: draft, (owner approval), post on X, record, report. Its type is
 * `replyWorkflowV2`: the first type, `replyWorkflow`, and the five patches only its runs met were retired in 0.2.0
 * (src/workflows/patches.ts).
 */
export async function replyWorkflowV2(input: ReplyInput): Promise<ReplyResult> {
  return await reply(input);
}

/** How long the owner has to decide when the input does not say. */
const defaultApprovalTimeout = '24h';

async function reply({ accountId, tweet, approval, approvalTimeout, firstRun }: ReplyInput): Promise<ReplyResult> {
  const state = replyState();
  const { status } = state;
  const { enter, list } = replyStages(status);
  /** Whether an approval request went out: its message is then edited to the outcome (src/workflows/owner-digest.ts). */
  let requested = false;

  try {
    // X refuses a text the account already posted elsewhere: each such refusal asks the model for other words.
    const refused: string[] = [];
    for (;;) {
      await enter('drafting');
      const draft = await generateReply({ accountId, tweet, ...(refused.length > 0 ? { avoid: refused } : {}) });
      let { text } = draft;
      status.draft = text;
      status.attempts += draft.attempt ?? 1; // histories recorded before attempts were reported carry none

      if (approval === 'owner') {
        const timeout = approvalTimeout ?? defaultApprovalTimeout;
        const until = `the owner until ${untilText(Date.now() + (durationMs(timeout) ?? 0))}`;
        await enter('awaiting-approval', until);
        const request = approvalRequest(tweet.authorUsername, text, workflowInfo().workflowId, refused.at(-1));
        await notifyOwnerOfReply({
          accountId,
          text: request,
          kind: 'approval',
          key: noticeKey(`approval-${refused.length}`),
          // A new draft after X refused the last: the earlier request becomes this one, with new buttons.
          ...(requested ? { settles: request } : {}),
        });
        requested = true;
        const answer = await decided(timeout, until);
        if (!answer) {
          return await finish('expired', `The draft for tweet ${tweet.id} expired without a decision.`);
        }
        if (answer.kind === 'reject') {
          return await finish('rejected', `Rejected the reply to tweet ${tweet.id}.`);
        }
        text = answer.text ?? text;
        status.draft = text;
      }

      await enter('posting');
      const posted = await postUnlessDuplicate(text);
      if (posted) {
        status.attempts += posted.attempt ?? 1;
        await enter('recording');
        const { replyTweetId } = posted;
        await recordReply({ accountId, tweetId: tweet.id, replyTweetId, text, workflowId: workflowInfo().workflowId });
        return await finish('posted', `Posted a reply to tweet ${tweet.id}: ${text}`, { replyTweetId, text });
      }
      refused.push(text);
      state.decision = undefined; // the owner decides on the new draft
      status.lastError = `X refused draft ${refused.length} of ${maxDrafts} as duplicate content`;
      showDetails(status, 'a new draft');
      log.warn('X refused the draft as duplicate content', { accountId, tweetId: tweet.id, drafts: refused.length });
      if (refused.length >= maxDrafts) throw duplicateEveryTime(tweet.id, refused.length);
    }
  } catch (err) {
    if (isCancellation(err)) {
      // The workflow is being cancelled: what is left must run anyway, in a scope the cancellation cannot reach.
      return await CancellationScope.nonCancellable(() =>
        finish('cancelled', `Cancelled the reply to tweet ${tweet.id} at stage ${status.stage}.`),
      );
    }
    const failure = mayHavePosted(err) ? postUnknown(deadLetter(err)) : deadLetter(err);
    countReply('dead-letter');
    countDeadLetter(failure.type ?? 'upstream');
    status.lastError = failure.message;
    log.error('reply failed', { accountId, tweetId: tweet.id, category: failure.type, error: failure.message });
    await notifyOwnerOfDeadLetter(
      accountId,
      `the reply to tweet ${tweet.id} (account ${accountId}, stage ${status.stage})`,
      failure,
    );
    throw failure;
  }

  /** The post, or undefined when X refused the text as a duplicate of a post the account made to another tweet. */
  async function postUnlessDuplicate(text: string) {
    for (let waited = 0; ; waited++) {
      try {
        // A retried attempt, or a run after another, reads X first: an earlier one may have posted.
        return await postReply({ accountId, inReplyToTweetId: tweet.id, text, earlierMayHavePosted: !firstRun });
      } catch (err) {
        if (isDuplicateContent(err)) return undefined;
        // X refused the account's login: the reply waits for the owner to authorise it again, not a dead letter.
        if (!isFailureOf(err, 'needs-authorisation') || waited >= authorisationWaits) throw err;
        // Retired (patches.ts): runs from before the patch failed here, so no open run can need that branch.
        deprecatePatch('reply-waits-for-x-authorisation');
        await awaitAuthorisation();
      }
    }
  }

  /**
   * Until the account's token refresher says new tokens were added (xAuthorisedSignal), or an hour: then the post is
   * tried again, so a reply that began to wait just after the refresher woke the others still goes on.
   */
  async function awaitAuthorisation(): Promise<void> {
    list('awaiting-authorisation', `the owner to authorise ${accountId}'s X login (npm run cli -- account connect-x)`);
    state.authorised = false;
    await condition(() => state.authorised, authorisationRetry, {
      summary: "Wait an hour for X's login, then try again",
    });
    list('posting');
  }

  /** The owner's decision, or undefined when the time to decide ran out. */
  async function decided(timeout: string, until: string): Promise<Decision | undefined> {
    const answered = await condition(() => state.decision !== undefined, timeout, { summary: `Wait for ${until}` });
    return answered ? state.decision : undefined;
  }

  async function finish(
    outcome: ReplyResult['status'],
    report: string,
    extra: Omit<ReplyResult, 'status'> = {},
  ): Promise<ReplyResult> {
    if (outcome === 'cancelled') status.stage = 'notifying';
    else await enter('notifying');
    const notified = await tellOutcome(report, requested ? settledRequest(outcome, extra) : undefined);
    status.stage = 'done';
    showDetails(status, undefined, outcome);
    log.info('reply finished', { accountId, tweetId: tweet.id, outcome, notified });
    countReply(outcome);
    return { status: outcome, ...extra, ...(notified ? {} : { notified: false }) };
  }

  /**
   * The outcome is decided (a post on X above all): its notice cannot undo it. The notice goes to the owner's outbox,
   * which sends it alone or in a digest at Telegram's pace; a hand-over that still fails after the policy's day is
   * logged, shown in the status and the result, and the reply keeps its outcome.
   */
  async function tellOutcome(report: string, settles: string | undefined): Promise<boolean> {
    try {
      await notifyOwnerOfReply({
        accountId,
        text: report,
        kind: 'notice',
        key: noticeKey('outcome'),
        ...(settles ? { settles } : {}),
      });
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

  /** The approval request as it reads once decided: the text that was (or would have been) posted, and what happened. */
  function settledRequest(outcome: ReplyResult['status'], { replyTweetId, text }: Omit<ReplyResult, 'status'>): string {
    const what = {
      posted: `✅ Posted: https://x.com/i/web/status/${replyTweetId ?? ''}`,
      rejected: '❌ Rejected: not posted.',
      expired: `⌛ Expired: no decision in ${approvalTimeout ?? defaultApprovalTimeout}, not posted.`,
      cancelled: '⛔ Cancelled: not posted.',
    }[outcome];
    const workflowId = workflowInfo().workflowId;
    return [
      `Reply to @${tweet.authorUsername ?? 'unknown'} (${workflowId})`,
      '',
      text ?? status.draft ?? '',
      '',
      what,
    ].join('\n');
  }
}

/** A message for the owner: the workflow's own signal to the outbox (one action), not an activity's (two). */
async function notifyOwnerOfReply(notice: {
  accountId: string;
  text: string;
  kind: 'approval' | 'notice';
  key: string;
  settles?: string;
}) {
  await notifyOwnerThroughOutbox({ ...notice, ref: workflowInfo().workflowId });
}

/** A message's key for the outbox: the same on a replay and on the hand-over's fallback, so a repeat is dropped. */
function noticeKey(what: string): string {
  const { workflowId, runId } = workflowInfo();
  return `${workflowId}/${runId}/${what}`;
}

/**
 * Whether X may hold the post although posting failed: its attempts (or its time) ran out. The workflow sees only the
 * last attempt's failure, and an earlier one may have been taken by X with its answer lost (a timeout, a reset
 * connection), so any such end may have posted. Only a refusal that is never retried (X answered, after a read of X
 * for the post on every attempt but the first) rules it out.
 */
function mayHavePosted(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.activityType === 'postReply' &&
    (err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' || err.retryState === 'TIMEOUT')
  );
}

/**
 * The dead letter says what is not known: the owner must not read "not posted" when X may show the post. Said first,
 * so that a long reason cut to fit the failure (src/encryption/failure-converter.ts) does not take it along.
 */
function postUnknown(failure: ApplicationFailure): ApplicationFailure {
  return ApplicationFailure.create({
    type: failure.type ?? undefined,
    message: `X may have the post (failures retry reads X first and posts only if it has not): ${failure.message}`,
    nonRetryable: true,
    cause: failure.cause,
  });
}

/** X refused the post because the account already posted that text elsewhere (the adapter's category). */
function isDuplicateContent(err: unknown): boolean {
  return isFailureOf(err, 'duplicate-content');
}

function isFailureOf(err: unknown, type: string): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === type;
}

function duplicateEveryTime(tweetId: string, drafts: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'duplicate-content',
    message: `X refused all ${drafts} drafts of the reply to tweet ${tweetId} as duplicates of posts the account already made`,
    nonRetryable: true,
  });
}

/**
 * What the owner reads: the draft, and how to answer it from Telegram (the control bot reads the id back). After X
 * refused the last draft as a duplicate, it says so: the owner answers the new one.
 */
function approvalRequest(author: string | undefined, draft: string, workflowId: string, refused?: string): string {
  return [
    ...(refused ? [`X refused "${refused}" as a duplicate of a post the account already made. A new draft:`] : []),
    `Reply to @${author ?? 'unknown'}? (${workflowId})`,
    '',
    draft,
    '',
    `Answer this message with ok to post it, no to reject it, or the text to post instead; or /approve, /edit or /reject ${workflowId}.`,
  ].join('\n');
}
