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

export { ownerMessages } from '../workflows/failures';

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}
