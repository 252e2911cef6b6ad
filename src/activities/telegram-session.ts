import { Context } from '@temporalio/activity';
import { pacedHeartbeat } from './paced-heartbeat';
import { nextSessionEvent } from './session-events';
import type { SyncPoint, TelegramPort } from '../ports/telegram';
import { workflowIds, type SessionSlice, type SyncInput } from '../domain/contracts';
import type { SessionReport } from '../workflows/messages';
import type { LiveSessions } from './live-sessions';

export interface SessionDeps {
  telegram: TelegramPort;
  /** Starts the sync workflow of one message, at most once per message (src/temporal/start-sync.ts). */
  startSync: (input: SyncInput) => Promise<unknown>;
  /** Hands a message of a chat answered with AI to that chat's workflow (src/temporal/start-chat.ts). */
  signalChat: (input: SyncInput) => Promise<void>;
  /**
   * The chats the account answers with AI, read from its settings at every connection, so a change made while the
   * session runs applies from its next slice (at most 10 minutes) without waiting for a new run.
   */
  aiChatsOf: (accountId: string) => Promise<string[]>;
  /** Tells the session workflow that runs this activity how the connection is (a signal). */
  report: (workflowId: string, report: SessionReport) => Promise<void>;
  /** How often to ping Telegram (heartbeats are paced apart: src/activities/paced-heartbeat.ts). */
  pingEveryMs?: number;
  /** Also report the ping every this many pings (a signal, an action each); by default only changes are reported. */
  reportEveryPings?: number;
  /** How often a heartbeat may reach the server; the policies' sessionHeartbeatEvery by default. */
  heartbeatEveryMs?: number;
  /** This worker's hold on the live sessions, and its own task queue, where sends over them run. */
  live: LiveSessions;
  hostQueue: string;
}

/**
 * The account's live Telegram session, for up to `sliceMs`: connects with the stored session, starts one sync
 * workflow per incoming message (after catching up from `from`), pings and heartbeats with its progress. A dropped
 * connection fails the attempt, so the retry policy reconnects with backoff; a retry resumes from the last
 * heartbeat's point. Cancelled, or its heartbeat refused, it disconnects at once: one live connection per account.
 */
export function createSessionActivities({
  telegram,
  startSync,
  signalChat,
  aiChatsOf,
  report,
  pingEveryMs = 3_000,
  reportEveryPings,
  heartbeatEveryMs,
  live,
  hostQueue,
}: SessionDeps) {
  return {
    /**
     * Run on the worker that holds the account's session (its own task queue) when its workflow pauses or stops it:
     * the session heartbeats at once, and the cancellation comes back in the answer, within a second or two.
     */
    async hurrySession(request: { accountId: string }): Promise<{ held: boolean }> {
      const held = live.current(request.accountId)?.heartbeatNow;
      held?.();
      return { held: held !== undefined };
    },
    async runSession(request: { accountId: string; from?: SyncPoint; sliceMs: number }): Promise<SessionSlice> {
      const context = Context.current();
      const beat = pacedHeartbeat(context, heartbeatEveryMs);
      const { accountId } = request;
      const aiChats = new Set(await aiChatsOf(accountId));
      const resumed = (context.info.heartbeatDetails as SessionSlice | undefined)?.point;
      let synced = 0;
      const hold = live.hold(accountId, beat.now);
      const opening = telegram.openSession({
        accountId,
        from: resumed ?? request.from,
        onMessage: async (message, point) => {
          await startSync({ accountId, message });
          if (aiChats.has(message.chatId)) await signalChat({ accountId, message });
          synced += 1;
          // The point after this message: a retry resumes past it.
          beat({ point, synced });
        },
      });
      const session = await opening.catch((err: unknown) => {
        hold.release();
        throw err;
      });
      hold.connected(session);
      const connectedSince = new Date().toISOString();
      const workflowId = context.info.workflowExecution?.workflowId ?? workflowIds.account(accountId);
      let pings = 0;
      try {
        beat({ point: session.point(), synced });
        const { attempt } = context.info;
        // Where the session is: chat answers go over it, on this worker's own task queue.
        await report(workflowId, { state: 'connected', connectedSince, attempt, point: session.point(), hostQueue });
        const deadline = Date.now() + request.sliceMs;
        for (;;) {
          const outcome = await nextSessionEvent(
            context,
            session,
            Math.min(pingEveryMs, Math.max(0, deadline - Date.now())),
          );
          if ('lost' in outcome) {
            // The owner sees `reconnecting` at once; the retry policy brings the connection back.
            const error = outcome.lost.message;
            await report(workflowId, { state: 'reconnecting', error, connectedSince, attempt, point: session.point() });
            throw outcome.lost;
          }
          if ('cancelled' in outcome) {
            // Disconnect first (one live connection per account), then tell the workflow where this session stopped.
            await session.close();
            // Best effort: without it the workflow resumes from an earlier point, and repeated syncs start nothing.
            await report(workflowId, { state: 'disconnected', connectedSince, attempt, point: session.point() }).catch(
              () => undefined,
            );
            throw outcome.cancelled;
          }
          if (Date.now() >= deadline) return { point: session.point(), synced };
          const latencyMs = await session.ping();
          // The last ping rides on the heartbeat, which `account status` reads without an action (describe).
          beat({ point: session.point(), synced, latencyMs, pingedAt: new Date().toISOString() });
          if (reportEveryPings && pings++ % reportEveryPings === 0) {
            await report(workflowId, {
              state: 'connected',
              connectedSince,
              latencyMs,
              attempt,
              point: session.point(),
              hostQueue,
            });
          }
        }
      } finally {
        hold.release();
        await session.close();
      }
    },
  };
}
