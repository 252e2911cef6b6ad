import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

/** The classified failure a call must reject with; fails the test if it resolves or throws anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `not an ApplicationFailure: ${String(err)}`);
  return err;
}
