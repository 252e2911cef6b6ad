import {
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from './activity-types';
import type { OwnerNotice, OwnerOutboxInput } from '../domain/contracts';
import { deadLetter } from './dead-letter';
import { overLiveSession } from './live-session';
import { ownerNoticeSignal, ownerOutboxStatusQuery, ownerPairedSignal } from './messages';
import { nextOwnerMessage } from './owner-digest';
import { policies } from './policies';

const { sendOwnerMessage } = proxyActivities<Activities>(policies.ownerMessage);
const { locateControlBot } = proxyActivities<Activities>(policies.liveSessionLocate);

/**
 * Telegram takes about one message a second into one chat and refuses more with FLOOD_WAIT. The outbox keeps below
 * that, so the control bot's own answers in the chat still pass, and what arrives meanwhile merges into one message.
 */
const gapMs = 1500;
const gap = `${gapMs}ms`;
/** Runs before outbox-long-lived: with nothing to send for this long the outbox ended; the next notice started it. */
const idleFor = '5m';
/** Keys of notices already taken, so a hand-over repeated after a lost answer is dropped. */
const keysKept = 2000;
/** Continue as new well before the history is long, so a replay stays cheap. */
const maxHistory = 2000;
/** How long "no worker holds the bot's session" is believed before asking again. */
const noHostFor = 15_000;
/** With nobody paired as the owner, how long the outbox waits for the control bot's word before it tries again. */
const noOwnerRecheck = '1h';

/**
 * The owner's outbox, one per deployment: every notice, alert and approval request for the owner comes here, and this
 * workflow alone sends into the owner's chat, one message at a time at Telegram's pace. A burst does not become a
 * storm of refused sends: what piles up is merged (src/workflows/owner-digest.ts), and nothing is dropped.
 */
export async function ownerOutboxWorkflow(input: OwnerOutboxInput = {}): Promise<void> {
  const pending: OwnerNotice[] = [...(input.pending ?? [])];
  const seen = [...(input.seen ?? [])];
  const seenKeys = new Set(seen);
  const counts = { sent: 0, merged: 0, undelivered: 0, ...input.counts };
  let lastError: string | undefined;
  let sequence = 0;
  /** The own task queue of the worker holding the control bot's live session, and when that was last asked. */
  let host: { queue?: string; at: number } | undefined;
  setHandler(ownerNoticeSignal, (notice) => {
    if (seenKeys.has(notice.key)) return;
    seenKeys.add(notice.key);
    seen.push(notice.key);
    if (seen.length > keysKept) seenKeys.delete(seen.shift()!);
    pending.push(notice);
  });
  let pairings = 0;
  setHandler(ownerPairedSignal, () => void (pairings += 1));
  let sending = 0; // notices of the message going out: still waiting, as far as the owner knows
  setHandler(ownerOutboxStatusQuery, () => ({ pending: pending.length + sending, ...counts, lastError }));

  // Since this patch the outbox waits for work without a timer and paces its sends with one only when a message
  // follows the last within the gap: a timer is a billed action, and a workflow waiting on a signal costs none. It
  // no longer ends when idle, so a reply's own signal finds it (src/workflows/owner-notice.ts).
  const longLived = patched('outbox-long-lived');
  let lastSentAt = input.lastSentAt;
  const next = async () => {
    if (!longLived) return await condition(() => pending.length > 0, idleFor);
    await condition(() => pending.length > 0);
    const wait = lastSentAt === undefined ? 0 : lastSentAt + gapMs - Date.now();
    if (wait > 0) await sleep(wait); // what arrives meanwhile joins the message
    return true;
  };

  while (await next()) {
    const message = nextOwnerMessage(pending)!;
    for (const notice of message.notices) pending.splice(pending.indexOf(notice), 1);
    sending = message.notices.length;
    const pairingsBefore = pairings;
    try {
      // One key per message, whatever path it takes: Telegram sends a repeated random_id once.
      sequence += 1;
      await deliver(message.text, `${workflowInfo().workflowId}/${workflowInfo().runId}/${sequence}`);
      counts.sent += 1;
      if (message.notices.length > 1) counts.merged += message.notices.length;
    } catch (err) {
      const failure = deadLetter(err);
      if (failure.type === 'no-owner' && patched('outbox-waits-for-owner')) {
        // Nobody has paired as the owner yet (`steadfast owner pair`): the message waits for them, whole.
        pending.unshift(...message.notices);
        lastError = failure.message;
        sending = 0;
        await condition(() => pairings > pairingsBefore, noOwnerRecheck);
      } else {
        // Telegram would not take it even after the policy's retries (a day, or a refusal for good): said, not lost.
        counts.undelivered += message.notices.length;
        lastError = failure.message;
        log.error('owner message not delivered', {
          notices: message.notices.map((notice) => notice.ref ?? notice.key),
          category: failure.type,
          error: failure.message,
        });
      }
    }
    sending = 0;
    if (longLived) lastSentAt = Date.now();
    else await sleep(gap);
    if (workflowInfo().historyLength >= maxHistory || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof ownerOutboxWorkflow>({
        pending,
        seen,
        counts,
        ...(lastSentAt === undefined ? {} : { lastSentAt }),
      });
    }
  }

  /** Over the control bot's live session where a worker holds it; over a connection of its own while none does. */
  function deliver(text: string, key: string): Promise<void> {
    return overLiveSession({
      host: async () => {
        if (!host || (!host.queue && Date.now() - host.at > noHostFor)) {
          host = { queue: (await locateControlBot()).hostQueue, at: Date.now() };
        }
        return host.queue;
      },
      viaHost: (taskQueue) =>
        proxyActivities<Activities>({ ...policies.liveSessionSend, taskQueue }).sendAsControlBot({ text, key }),
      ownConnection: () => sendOwnerMessage({ text, key }),
      moved: () => void (host = undefined),
    });
  }
}
