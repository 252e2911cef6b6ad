import { ApplicationFailure } from '@temporalio/workflow';
import { durationHint, durationMs } from '../domain/duration';

/** A duration from a workflow's input, in ms; a bad one fails the workflow at once, naming the field. */
export function inputDurationMs(value: string, field: string): number {
  const ms = durationMs(value);
  if (ms !== undefined) return ms;
  throw ApplicationFailure.nonRetryable(
    `${field}: expected ${durationHint} (got ${JSON.stringify(value)})`,
    'invalid-input',
  );
}
