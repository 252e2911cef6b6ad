import { ApplicationFailure } from '@temporalio/common';

/**
 * The one failure vocabulary of Steadfast, imported alike by workflows, activities, adapters and clients: the
 * categories, what the owner is told of each, and the three outcomes of classifying an error — permanent, transient,
 * or retry-after (docs/reliability.md). Deterministic code only: workflows import it.
 */

/**
 * The failure categories. Adapters classify every error of their service into one of them; they name the failure
 * `type` that Temporal shows (and the dead letter's), and pick the owner's plain-language message.
 */
export const failureCategories = [
  'network',
  'timeout',
  'rate-limit',
  'auth',
  'permission',
  'not-found',
  'invalid-input',
  'duplicate-content',
  'upstream',
  'circuit-open',
  'auth-expired',
  'needs-authorisation',
  'no-owner',
] as const;
export type FailureCategory = (typeof failureCategories)[number];

/** What the owner is told, by category: plain words, no stack trace. */
export const ownerMessages: Record<FailureCategory, string> = {
  network: 'The service could not be reached.',
  timeout: 'The service did not answer in time.',
  'rate-limit': 'The service asked us to slow down; it will be retried when its limit resets.',
  auth: 'The credentials were refused: log in again or update the key.',
  permission: 'The account is not allowed to do this.',
  'not-found': 'What we asked for does not exist (any more).',
  'invalid-input': 'The service refused the request as invalid.',
  'duplicate-content':
    'X refused every draft as a duplicate of a post the account already made: write the reply in other words.',
  upstream: 'The service failed on its side.',
  'circuit-open': 'The service is down: the work waits, without calling it, until it answers again.',
  'auth-expired': 'The login token expired: it is being renewed, and the work goes on after it.',
  'needs-authorisation':
    "X refused the account's login: authorise it again (`account connect-x <id>`); its replies wait for it.",
  'no-owner': 'Nobody is paired as the owner yet: run `steadfast owner pair` and send the code to the bot.',
};

/** What says a service is down, and so counts towards opening its circuit breaker: not a 4xx, not a rate limit. */
export const outageCategories: FailureCategory[] = ['upstream', 'timeout', 'network'];

/** Categories that retrying cannot cure: listed in every retry policy so Temporal never retries them. */
export const permanentCategories: FailureCategory[] = [
  'auth',
  'needs-authorisation',
  'permission',
  'not-found',
  'invalid-input',
  'duplicate-content',
];

/**
 * Not a service's failure but a routing answer: this worker does not hold the session the activity was sent to it
 * for (it moved to another worker, or ended). The sender asks where it is now.
 */
export const sessionMoved = 'session-moved';

export function isFailureCategory(value: unknown): value is FailureCategory {
  return typeof value === 'string' && (failureCategories as readonly string[]).includes(value);
}

// The three outcomes of classification. Adapters turn every error of their library into one of these; the retry
// policies in src/workflows/policies.ts do the rest.

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

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}
