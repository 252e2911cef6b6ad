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
import { nextOwnerMessage, type OwnerMessage } from './owner-digest';
import { boundedCarry } from './owner-outbox-carry';
import { policies } from './policies';

/** How many notices these stand for: a folded one for the many it counts. */
const counted = (notices: readonly OwnerNotice[]) => notices.reduce((n, notice) => n + (notice.folded ?? 1), 0);

const { sendOwnerMessage } = proxyActivities<Activities>({
  ...policies.ownerMessage,
  summary: "Send into the owner's chat over a connection of its own",
});
const { locateControlBot } = proxyActivities<Activities>(policies.liveSessionLocate);

/**
 * Telegram takes about one message a second into one chat and refuses more with FLOOD_WAIT. The outbox keeps below
 * that, so the control bot's own answers in the chat still pass, and what arrives meanwhile merges into one message.
 */
const gapMs = 1500;
const gap = `${gapMs}ms`;
/**
 * Telegram lets a short burst into a chat through before its pace: since outbox-burst, up to this many messages go
 * back to back (a request, then its outcome a moment later, with no timer), and no more than this many in any
 * `burst` gaps, so the pace over time is the same one message per gap.
 */
const burst = 2;
/** Runs before outbox-long-lived: with nothing to send for this long the outbox ended; the next notice started it. */
const idleFor = '5m';
/** Keys of notices already taken, so a hand-over repeated after a lost answer is dropped. */
const keysKept = 2000;
/** Approval requests whose message is remembered for an edit with their outcome; older ones get a new message. */
const requestsKept = 500;
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
  // No patch guards the edits: this map fills only from the sends' message ids, which runs recorded before them never
  // returned (their results replay empty), so such a run decides as it did. The recorded histories prove it.
  const requests = new Map<string, number>(input.requests ?? []);
  let sending = 0; // notices of the message going out: still waiting, as far as the owner knows
  setHandler(ownerOutboxStatusQuery, () => ({ pending: counted(pending) + sending, ...counts, lastError }));

  // Since this patch the outbox waits for work without a timer and paces its sends with one only when a message
  // follows the last within the gap: a timer is a billed action, and a workflow waiting on a signal costs none. It
  // no longer ends when idle, so a reply's own signal finds it (src/workflows/owner-notice.ts).
  const longLived = patched('outbox-long-lived');
  // Since this patch a run hands over to a fresh one whenever its history is long, also while a send is slow or the
  // owner is not paired (thousands of notices arriving meanwhile had run into Temporal's 10,000 signals a run), and
  // what it carries is bounded (src/workflows/owner-outbox-carry.ts): a backlog carried whole outgrew a payload.
  const bounded = patched('outbox-bounded-carry');
  const mustRollOver = () =>
    bounded && (workflowInfo().historyLength >= maxHistory || workflowInfo().continueAsNewSuggested);
  // Since this patch the outbox paces by its last `burst` sends, not by the last one alone (above): an outcome that
  // follows its request within the gap goes at once, and a timer, a billed action, is saved.
  const bursts = patched('outbox-burst');
  let lastSentAt = input.lastSentAt;
  const recentSends = [...(input.recentSends ?? (lastSentAt === undefined ? [] : [lastSentAt]))];
  let resend = input.inFlight;
  const next = async () => {
    if (!longLived) return await condition(() => pending.length > 0, idleFor);
    await condition(() => pending.length > 0 || resend !== undefined || mustRollOver());
    if (mustRollOver()) await rollOver(resend); // a message to send again goes with it
    const wait = bursts ? burstWait() : lastSentAt === undefined ? 0 : lastSentAt + gapMs - Date.now();
    if (wait > 0) await sleep(wait); // what arrives meanwhile joins the message
    return true;
  };

  while (await next()) {
    const message: OwnerMessage = resend ?? nextOwnerMessage(pending, requests)!;
    if (!resend) for (const notice of message.notices) pending.splice(pending.indexOf(notice), 1);
    sending = counted(message.notices);
    const pairingsBefore = pairings;
    let rollOverWith: NonNullable<OwnerOutboxInput['inFlight']> | undefined;
    try {
      // One key per message, whatever path it takes: Telegram sends a repeated random_id once.
      sequence += 1;
      const key = resend?.key ?? `${workflowInfo().workflowId}/${workflowInfo().runId}/${sequence}`;
      resend = undefined;
      const sent = deliver(message, key);
      if (bounded && !(await settlesBeforeRollOver(sent))) {
        rollOverWith = { ...message, key };
      } else {
        remember(message, (await sent)?.messageId);
        counts.sent += 1;
        if (message.notices.length > 1) counts.merged += counted(message.notices);
      }
    } catch (err) {
      const failure = deadLetter(err);
      if (failure.type === 'no-owner' && patched('outbox-waits-for-owner')) {
        // Nobody has paired as the owner yet (`steadfast owner pair`): the message waits for them, whole.
        pending.unshift(...message.notices);
        lastError = failure.message;
        sending = 0;
        await condition(() => pairings > pairingsBefore || mustRollOver(), noOwnerRecheck);
      } else {
        // Telegram would not take it even after the policy's retries (a day, or a refusal for good): said, not lost.
        counts.undelivered += counted(message.notices);
        lastError = failure.message;
        log.error('owner message not delivered', {
          notices: message.notices.map((notice) => notice.ref ?? notice.key),
          category: failure.type,
          error: failure.message,
        });
      }
    }
    if (rollOverWith) await rollOver(rollOverWith);
    sending = 0;
    if (longLived) lastSentAt = Date.now();
    else await sleep(gap);
    if (bursts) {
      recentSends.push(Date.now());
      if (recentSends.length > burst) recentSends.splice(0, recentSends.length - burst);
    }
    if (workflowInfo().historyLength >= maxHistory || workflowInfo().continueAsNewSuggested) await rollOver();
  }

  /** How long until one more message keeps to `burst` messages in any `burst` gaps. */
  function burstWait(): number {
    return recentSends.length < burst ? 0 : recentSends[0]! + burst * gapMs - Date.now();
  }

  /** Continues as new with what waits (bounded since outbox-bounded-carry) and the message going out, if any. */
  async function rollOver(inFlight?: NonNullable<OwnerOutboxInput['inFlight']>): Promise<never> {
    return await continueAsNew<typeof ownerOutboxWorkflow>({
      pending: bounded ? boundedCarry(pending) : pending,
      seen,
      counts,
      ...(lastSentAt === undefined ? {} : { lastSentAt }),
      ...(bursts && recentSends.length > 0 ? { recentSends } : {}),
      ...(inFlight ? { inFlight: { ...inFlight, notices: boundedCarry(inFlight.notices) } } : {}),
      ...(requests.size > 0 ? { requests: [...requests] } : {}),
    });
  }

  /** An approval request's message, for its outcome to edit; a request once settled is forgotten. */
  function remember(message: OwnerMessage, messageId: number | undefined): void {
    const ref = message.notices[0]?.ref;
    if (!ref || messageId === undefined) return;
    if (message.edit !== undefined || message.request === ref) requests.delete(ref);
    if (message.request !== ref) return;
    requests.set(ref, messageId); // last in the map's order: the newest
    for (const [oldest] of requests) {
      if (requests.size <= requestsKept) break;
      requests.delete(oldest);
    }
  }

  /**
   * Whether a send ends before the history grows long (notices pile up while Telegram is slow or refuses for a
   * while); if it does not, the run rolls over and the next sends the same message again first, under the same key.
   */
  async function settlesBeforeRollOver(send: Promise<unknown>): Promise<boolean> {
    let settled = false;
    send.then(
      () => void (settled = true),
      () => void (settled = true), // its failure is awaited by the caller, or dropped with the run
    );
    await condition(() => settled || mustRollOver());
    return settled;
  }

  /** Over the control bot's live session where a worker holds it; over a connection of its own while none does. */
  function deliver(message: OwnerMessage, key: string) {
    const { text, markup, edit } = message;
    const request = { text, key, ...(markup ? { markup } : {}), ...(edit === undefined ? {} : { edit }) };
    return overLiveSession({
      host: async () => {
        if (!host || (!host.queue && Date.now() - host.at > noHostFor)) {
          host = { queue: (await locateControlBot()).hostQueue, at: Date.now() };
        }
        return host.queue;
      },
      viaHost: (taskQueue) =>
        proxyActivities<Activities>({
          ...policies.liveSessionSend,
          taskQueue,
          summary: "Send into the owner's chat over the control bot's live session",
        }).sendAsControlBot(request),
      ownConnection: () => sendOwnerMessage(request),
      moved: () => void (host = undefined),
    });
  }
}
