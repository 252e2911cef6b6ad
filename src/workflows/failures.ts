import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

/**
 * The failure categories of DESIGN.md. Activities classify every error into one of them; they name the failure
 * `type` that Temporal shows, and pick the owner's plain-language message.
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
};

/** Categories that retrying cannot cure: listed in every retry policy so Temporal never retries them. */
export const permanentCategories: FailureCategory[] = [
  'auth',
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

/**
 * The workflow's own failure once retries are exhausted or an error is permanent: its `type` is the category, so a
 * failed workflow (a dead letter) tells in the Web UI what went wrong without opening the activity's history.
 */
export function deadLetter(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure && isFailureCategory(err.type)) return err;
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    const category: FailureCategory =
      cause instanceof ApplicationFailure && isFailureCategory(cause.type)
        ? cause.type
        : cause instanceof TimeoutFailure
          ? 'timeout'
          : 'upstream';
    const reason = cause?.message ?? err.message;
    return ApplicationFailure.create({
      type: category,
      message: `${err.activityType} failed (${category}): ${reason}`,
      nonRetryable: true,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: 'upstream', message, nonRetryable: true });
}
