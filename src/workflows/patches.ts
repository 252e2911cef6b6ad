/**
 * The register of every workflow change made behind `patched()` and of every workflow type retired: what it changed,
 * when, and what must hold before its next step. The steps are Temporal's: `patched(id)` while runs that took the old
 * branch may be open; `deprecatePatch(id)` once none can be (runs that met the patch replay, new runs record a
 * deprecated marker); removal once no open run holds the patch's non-deprecated marker. `steadfast patches`
 * (src/temporal/patch-report.ts) reads the open runs from visibility and their histories and says, for each, which
 * runs still need it. Releases are deploy/releases.json's; 0.1.0 is the first named one and stands for all before it.
 *
 * Replies keep patches, not Worker Versioning: an owner on one host upgrades by restarting one checkout, and a PINNED
 * reply waiting a day for approval would need the old checkout's workers running beside the new ones until it ends.
 * Long-lived workflows (sessions, the outbox, the control bot, service health, the X token refresher) take a change at
 * their next continue-as-new, a fresh run that meets the new code from its start: a patch of theirs is needed only by
 * a run that has not rolled over since the upgrade.
 */

/** How to tell, from an open run's history, that it took a patch's old branch (and so still needs it). */
export type OldBranch =
  /** The old branch ended the run (it failed there): no open run can have taken it. */
  | { kind: 'ends-the-run' }
  /** The patch is asked at the run's start: a run whose history lacks the marker took the old branch. */
  | { kind: 'asked-at-start' }
  /** The old branch started a child of this type, which the new one never does. */
  | { kind: 'starts-child'; workflowType: string }
  /** The old branch scheduled this activity before the marker was recorded; the new one records the marker first. */
  | { kind: 'activity-before-marker'; activityType: string }
  /**
   * Nothing in the history tells: a run that ran on a build older than the patch's release (one without a
   * `steadfast-<version>` build id, or an older version) may have taken it, until it rolls over or ends.
   */
  | { kind: 'older-build' };

export interface PatchEntry {
  id: string;
  /** The workflow types whose runs meet it. */
  workflows: readonly string[];
  /** What it changed. */
  change: string;
  /** The release that shipped it. */
  added: string;
  state: 'patched' | 'deprecated';
  /** The release whose code calls `deprecatePatch` instead. */
  deprecated?: string;
  oldBranch: OldBranch;
}

export const patches: readonly PatchEntry[] = [
  {
    id: 'reply-waits-for-x-authorisation',
    workflows: ['replyWorkflowV2'],
    change: 'a reply whose X login was refused waits for new tokens instead of failing',
    added: '0.1.0',
    state: 'deprecated',
    deprecated: '0.2.0',
    oldBranch: { kind: 'ends-the-run' },
  },
  {
    id: 'watch-starts-reply-v2',
    workflows: ['watchTweetsWorkflow'],
    change: 'a watch poll starts its replies as replyWorkflowV2',
    added: '0.1.0',
    state: 'deprecated',
    deprecated: '0.2.0',
    oldBranch: { kind: 'starts-child', workflowType: 'replyWorkflow' },
  },
  {
    id: 'chat-answer-over-session',
    workflows: ['chatWorkflow'],
    change: "a chat answer goes over the account's live session where a worker holds it",
    added: '0.1.0',
    state: 'patched',
    oldBranch: { kind: 'activity-before-marker', activityType: 'sendChatMessage' },
  },
  {
    id: 'outbox-long-lived',
    workflows: ['ownerOutboxWorkflow'],
    change: 'the outbox waits for work without a timer and no longer ends when idle',
    added: '0.1.0',
    state: 'patched',
    oldBranch: { kind: 'asked-at-start' },
  },
  {
    id: 'outbox-waits-for-owner',
    workflows: ['ownerOutboxWorkflow'],
    change: 'a message for an owner not yet paired waits for the pairing instead of being dropped',
    added: '0.1.0',
    state: 'patched',
    oldBranch: { kind: 'older-build' },
  },
  {
    id: 'outbox-burst',
    workflows: ['ownerOutboxWorkflow'],
    change: 'the outbox sends two messages back to back before it paces (a request, then its outcome), without a timer',
    added: '0.2.0',
    state: 'patched',
    oldBranch: { kind: 'asked-at-start' },
  },
  {
    id: 'outbox-bounded-carry',
    workflows: ['ownerOutboxWorkflow'],
    change: 'the outbox rolls over while a send is slow too, and carries a bounded backlog (the rest counted)',
    added: '0.2.0',
    state: 'patched',
    oldBranch: { kind: 'asked-at-start' },
  },
  {
    id: 'session-rollover-mid-slice',
    workflows: ['accountSessionWorkflow'],
    change: 'a session hands its connection to a fresh run as soon as the server suggests one',
    added: '0.1.0',
    state: 'patched',
    oldBranch: { kind: 'older-build' },
  },
  {
    id: 'session-stop-before-rollover',
    workflows: ['accountSessionWorkflow'],
    change: 'a stop while waiting for a relogin ends the session instead of rolling over',
    added: '0.1.0',
    state: 'patched',
    oldBranch: { kind: 'older-build' },
  },
  {
    id: 'session-cancel-at-once',
    workflows: ['accountSessionWorkflow'],
    change: 'a pause or stop asks the worker holding the session to heartbeat at once, so it takes effect in seconds',
    added: '0.2.0',
    state: 'patched',
    oldBranch: { kind: 'older-build' },
  },
  {
    id: 'session-relogin-during-alert',
    workflows: ['accountSessionWorkflow'],
    change: 'a relogin that arrives while the owner is alerted counts',
    added: '0.1.0',
    state: 'patched',
    oldBranch: { kind: 'older-build' },
  },
];

/** Workflow types removed from the code, with the patches only their runs met: an open run of one cannot go on. */
export interface RetiredType {
  workflowType: string;
  removed: string;
  change: string;
  patches: readonly string[];
}

export const retiredTypes: readonly RetiredType[] = [
  {
    workflowType: 'replyWorkflow',
    removed: '0.2.0',
    change: 'the first reply type; replies start as replyWorkflowV2, which has every change of these patches',
    patches: [
      'reply-stage-when-listed',
      'reply-cancel-notifies',
      'reply-dead-letter-alert',
      'reply-redraft-duplicate',
      'reply-outcome-notice-never-fails',
    ],
  },
];
