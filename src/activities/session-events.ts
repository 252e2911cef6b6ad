import type { Context } from '@temporalio/activity';
import type { TelegramSession } from '../ports/telegram';

export type SessionEvent = { lost: Error } | { cancelled: unknown } | { tick: true };

/**
 * What comes first while an activity holds a live Telegram session: the connection drops, the activity is cancelled
 * (or its heartbeat refused), or `waitMs` passes (time to ping and heartbeat).
 */
export function nextSessionEvent(context: Context, session: TelegramSession, waitMs: number): Promise<SessionEvent> {
  return Promise.race([
    session.lost.then((reason) => ({ lost: reason })),
    context.cancelled.then(
      () => ({ cancelled: new Error('cancelled') }),
      (err: unknown) => ({ cancelled: err }),
    ),
    context.sleep(waitMs).then(() => ({ tick: true as const })),
  ]);
}
