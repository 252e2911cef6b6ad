import type { ApplicationFailure } from '@temporalio/common';
import { errors } from 'telegram';
import { MissingAccountSecret } from '../../ports/account-store';
import { permanentFailure, retryAfterFailure, transientFailure } from '../../domain/failure-vocabulary';

/** The session is gone for good: only a new login (`relogin`) brings the account back. */
export const telegramAuthErrors = new Set([
  'AUTH_KEY_UNREGISTERED',
  'AUTH_KEY_INVALID',
  'AUTH_KEY_DUPLICATED',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  'USER_DEACTIVATED',
  'USER_DEACTIVATED_BAN',
  // A bot token that @BotFather revoked or never issued.
  'ACCESS_TOKEN_INVALID',
  'ACCESS_TOKEN_EXPIRED',
]);

/** Raised by the adapter when the connection drops or does not come up in time: the policy reconnects. */
export class TelegramConnectionLost extends Error {
  override name = 'TelegramConnectionLost';
}

/** Telegram has no such auth key (transport error -404): the session is gone, as if revoked. */
export class TelegramAuthKeyUnknown extends Error {
  override name = 'TelegramAuthKeyUnknown';
}

/** Raised when Telegram does not answer a request in time (GramJS would wait forever). */
export class TelegramTimeout extends Error {
  override name = 'TelegramTimeout';
}

/**
 * Turns anything GramJS throws into a classified failure (the Telegram rows of the retry table, docs/reliability.md). FLOOD_WAIT_N (and
 * its premium and slow-mode forms) waits N seconds; auth errors, PEER_ID_INVALID and CHAT_WRITE_FORBIDDEN are
 * never retried; server errors and lost connections are.
 */
export function classifyTelegramError(err: unknown): ApplicationFailure {
  if (err instanceof MissingAccountSecret) return permanentFailure('auth', err.message, err);
  if (err instanceof TelegramAuthKeyUnknown) return permanentFailure('auth', `Telegram: ${err.message}`, err);
  if (err instanceof TelegramConnectionLost) return transientFailure('network', `Telegram: ${err.message}`, err);
  if (!(err instanceof errors.RPCError)) {
    const message = err instanceof Error ? err.message : String(err);
    // GramJS's own answer when Telegram knows no such user or chat.
    if (/Could not find the input entity/i.test(message)) {
      return permanentFailure('not-found', `Telegram: ${message}`, err);
    }
    if (err instanceof TelegramTimeout) return transientFailure('timeout', `Telegram: ${message}`, err);
    const network = /ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|socket|Not connected/i.test(message);
    return transientFailure(network ? 'network' : 'upstream', `Telegram call failed: ${message}`, err);
  }
  const what = `Telegram answered ${err.code ?? '?'} ${err.errorMessage}`;
  if (err instanceof errors.FloodWaitError || err instanceof errors.SlowModeWaitError) {
    // GramJS keeps only "FLOOD" (or "SLOWMODE") of the message and the seconds apart.
    const wait = `Telegram answered ${err.code ?? 420} ${err.errorMessage}_WAIT_${err.seconds}`;
    return retryAfterFailure('rate-limit', wait, err.seconds * 1000);
  }
  if (telegramAuthErrors.has(err.errorMessage)) return permanentFailure('auth', what, err);
  if (err.errorMessage === 'PEER_ID_INVALID') return permanentFailure('not-found', what, err);
  if (err.errorMessage === 'CHAT_WRITE_FORBIDDEN') return permanentFailure('permission', what, err);
  if (err instanceof errors.ServerError || err instanceof errors.TimedOutError || (err.code ?? 500) >= 500) {
    return transientFailure('upstream', what, err);
  }
  if (err instanceof errors.FloodError) return transientFailure('rate-limit', what, err);
  if (err instanceof errors.UnauthorizedError || err instanceof errors.AuthKeyError) {
    return permanentFailure('auth', what, err);
  }
  if (err instanceof errors.ForbiddenError) return permanentFailure('permission', what, err);
  if (err instanceof errors.NotFoundError) return permanentFailure('not-found', what, err);
  return permanentFailure('invalid-input', what, err);
}
