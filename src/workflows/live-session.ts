import { ActivityFailure, ApplicationFailure, log, TimeoutFailure } from '@temporalio/workflow';
import { sessionMoved } from '../domain/failure-vocabulary';

/** Moves of a live session that one send follows before it goes over a connection of its own. */
const maxMoves = 3;

/**
 * A send that must go over a live Telegram session: on the own task queue of the worker holding it (`viaHost`), so no
 * second connection is made with its auth key; when the session moved (its worker died or let it go), where it is
 * now; over a connection of its own only while no worker holds it. Every path sends with the same key, so a send
 * that went through but whose answer was lost is not sent twice.
 */
export async function overLiveSession<T>(send: {
  host: () => Promise<string | undefined>;
  viaHost: (taskQueue: string) => Promise<T>;
  ownConnection: () => Promise<T>;
  /** Told when the session was not where `host` said (to forget a cached answer). */
  moved?: () => void;
}): Promise<T> {
  for (let moves = 0; moves < maxMoves; moves += 1) {
    const taskQueue = await send.host();
    if (!taskQueue) break;
    try {
      return await send.viaHost(taskQueue);
    } catch (err) {
      if (!movedAway(err)) throw err;
      log.warn('the live session moved; asking where it is now', { from: taskQueue });
      send.moved?.();
    }
  }
  return await send.ownConnection();
}

/** The worker did not take the send in time (it is gone), or no longer holds the session. */
function movedAway(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  return (
    err.cause instanceof TimeoutFailure || (err.cause instanceof ApplicationFailure && err.cause.type === sessionMoved)
  );
}
