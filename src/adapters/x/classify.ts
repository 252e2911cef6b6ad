import type { ApplicationFailure } from '@temporalio/common';
import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from 'twitter-api-v2';
import { permanentFailure, retryAfterFailure, transientFailure } from '../../domain/failure-vocabulary';
import { MissingAccountSecret } from '../../ports/account-store';

/** X's answer to a second tweet with the same text: the first one exists, so this is not a failure to retry. */
export function isDuplicateContent(err: unknown): boolean {
  return err instanceof ApiResponseError && err.code === 403 && /duplicate content/i.test(JSON.stringify(err.data));
}

/**
 * Turns anything twitter-api-v2 throws into a classified failure. 429 waits until `x-rate-limit-reset`; 400, 401 and
 * 403 are never retried. A timeout or a reset connection is ambiguous for a post: it may have happened.
 */
export function classifyXError(err: unknown, now = Date.now()): ApplicationFailure {
  if (err instanceof MissingAccountSecret) return permanentFailure('auth', err.message, err);
  if (err instanceof ApiRequestError) {
    const reason = requestErrorOf(err)?.message ?? err.message;
    const timedOut = /timeout/i.test(reason);
    return transientFailure(
      timedOut ? 'timeout' : 'network',
      `X API ${timedOut ? 'timed out' : 'unreachable'}: ${reason}`,
      err,
    );
  }
  if (err instanceof ApiPartialResponseError) {
    return transientFailure('network', `X API connection broke mid-answer: ${err.responseError.message}`, err);
  }
  if (!(err instanceof ApiResponseError)) {
    return transientFailure('upstream', `X call failed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const detail = (err.data as { detail?: string } | undefined)?.detail ?? err.message;
  const what = `X API answered ${err.code}: ${detail}`;
  if (err.code === 429) {
    const reset = err.rateLimit?.reset;
    return reset
      ? retryAfterFailure('rate-limit', what, reset * 1000 - now)
      : transientFailure('rate-limit', what, err);
  }
  if (err.code >= 500) return transientFailure('upstream', what, err);
  if (err.code === 401) return permanentFailure('auth', what, err);
  if (err.code === 403)
    return permanentFailure(isDuplicateContent(err) ? 'duplicate-content' : 'permission', what, err);
  if (err.code === 404) return permanentFailure('not-found', what, err);
  return permanentFailure('invalid-input', what, err);
}

/**
 * twitter-api-v2 1.29 stores the socket error as `_options.error` but its `requestError` getter reads
 * `_options.requestError`, so the getter is always undefined; read both, so a fixed library keeps working.
 */
function requestErrorOf(err: ApiRequestError): Error | undefined {
  const stored = (err as unknown as { _options?: { error?: unknown } })._options?.error;
  const cause: unknown = err.requestError ?? stored;
  return cause instanceof Error ? cause : undefined;
}

/** X refused the account's OAuth 2.0 refresh token (the owner revoked the app, or it was used up): only the owner can fix it. */
export function needsAuthorisation(accountId: string, why: string): ApplicationFailure {
  return permanentFailure(
    'needs-authorisation',
    `X refused the login of ${accountId} (${why}): authorise it again with \`steadfast account connect-x ${accountId}\``,
  );
}
