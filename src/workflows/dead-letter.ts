import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { isFailureCategory, type FailureCategory } from '../domain/failure-vocabulary';

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
