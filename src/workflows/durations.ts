import { ApplicationFailure } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';

/** A duration from a workflow's input, in ms; a bad one fails the workflow at once, naming the field. */
export function durationMs(value: string, field: string): number {
  try {
    const ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  throw ApplicationFailure.nonRetryable(
    `${field}: expected a duration such as 5m (got ${JSON.stringify(value)})`,
    'invalid-input',
  );
}
