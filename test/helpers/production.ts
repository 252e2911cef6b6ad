import type { StackFault } from '../production/stack-control';

/**
 * For tests on the production stack (`npm run test:production`): asks the harness that owns the Temporal Server and
 * PostgreSQL for a fault, and resolves once it is done, with how long it took. A file that imports this runs alone,
 * after the lanes, so its faults meet no other file's tests.
 */
export async function stackFault(fault: StackFault): Promise<number> {
  const url = process.env.STEADFAST_TEST_STACK_CONTROL;
  if (!url) throw new Error('STEADFAST_TEST_STACK_CONTROL is not set: run this file with `npm run test:production`');
  const response = await fetch(`${url}/${fault}`, { method: 'POST' });
  if (!response.ok) throw new Error(`${fault} failed: ${await response.text()}`);
  return ((await response.json()) as { ms: number }).ms;
}
