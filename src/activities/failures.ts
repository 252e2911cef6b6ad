import { ApplicationFailure } from '@temporalio/common';
import type { FailureCategory } from '../workflows/failures';

/**
 * The three outcomes of error classification (DESIGN.md, "Retries and errors"). Adapters turn every error of their
 * library into one of these; the retry policies in src/workflows/policies.ts do the rest.
 */

/** Retrying cannot cure it: fail now, whatever attempts are left. */
export function permanentFailure(category: FailureCategory, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: category, message, nonRetryable: true, cause: asError(cause) });
}

/** Worth another attempt, on the policy's backoff. */
export function transientFailure(category: FailureCategory, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: category, message, nonRetryable: false, cause: asError(cause) });
}

/** Worth another attempt, but not before the service's own reset time. */
export function retryAfterFailure(category: FailureCategory, message: string, delayMs: number): ApplicationFailure {
  return ApplicationFailure.create({ type: category, message, nextRetryDelay: Math.max(0, Math.ceil(delayMs)) });
}

/** What the owner is told, by category: plain words, no stack trace. */
export const ownerMessages: Record<FailureCategory, string> = {
  network: 'The service could not be reached.',
  timeout: 'The service did not answer in time.',
  'rate-limit': 'The service asked us to slow down; it will be retried when its limit resets.',
  auth: 'The credentials were refused: log in again or update the key.',
  permission: 'The account is not allowed to do this.',
  'not-found': 'What we asked for does not exist (any more).',
  'invalid-input': 'The service refused the request as invalid.',
  upstream: 'The service failed on its side.',
};

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}
