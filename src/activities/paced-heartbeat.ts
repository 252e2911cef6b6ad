import type { Context } from '@temporalio/activity';
import { msToNumber } from '@temporalio/common/lib/time';
import { sessionHeartbeatEvery } from '../workflows/policies';

/**
 * Heartbeats of a long-running session activity, sent to Temporal at most once per `sessionHeartbeatEvery`: each one
 * that reaches the server is a billed action, and the session calls this at every ping and message. What is given
 * in between waits for the next one (the sync point it carries is only where a retry resumes, and a message synced
 * twice starts nothing twice). A pause or stop reaches the activity in the answer to a heartbeat, so this interval
 * is also how long one may take.
 */
export function pacedHeartbeat(context: Context, everyMs = msToNumber(sessionHeartbeatEvery)) {
  let sentAt = Number.NEGATIVE_INFINITY;
  let last: unknown;
  const send = (details: unknown) => {
    sentAt = Date.now();
    context.heartbeat(details);
  };
  const beat = (details: unknown): void => {
    last = details;
    if (Date.now() - sentAt >= everyMs) send(details);
  };
  /** One heartbeat now, whatever the pace: a pause or stop waiting at the server comes back in its answer. */
  beat.now = (): void => send(last);
  return beat;
}
