import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/messages';
import { workerOptions } from '../../src/workers/worker-options';
import { loadConfig } from '../../src/config';
import { temporalDataConverter } from '../../src/temporal/connection';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';

/**
 * Helpers for tests on the real dev server that `test/run.ts` started: its address and the workflow bundle come
 * from the environment. Each test uses its own task queue, so tests never steal each other's tasks.
 */
// Expected failures log warnings; keep the test output to the runner's report unless asked (STEADFAST_TEST_LOGS=1).
Runtime.install({
  logger: new DefaultLogger('WARN', process.env.STEADFAST_TEST_LOGS ? undefined : () => undefined),
});

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the tests with \`npm test\` (test/run.ts starts the dev server)`);
  return value;
}

export const testAddress = (): string => required('STEADFAST_TEST_TEMPORAL_ADDRESS');
/** The namespace of this file's lane (test/run.ts): worker and CLI processes the test starts read the same variable. */
export const testNamespace = (): string => process.env.TEMPORAL_NAMESPACE ?? 'default';
export const workflowBundlePath = (): string => required('STEADFAST_TEST_WORKFLOW_BUNDLE');

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The data converter of the tests' clients and workers: the sandbox's encryption, as the processes they start. */
export function testDataConverter() {
  return temporalDataConverter(loadConfig({ ...process.env, STEADFAST_SANDBOX: 'on' }).temporal);
}

let clientPromise: Promise<Client> | undefined;
export function testClient(): Promise<Client> {
  clientPromise ??= Connection.connect({ address: testAddress() }).then(
    (connection) => new Client({ connection, namespace: testNamespace(), dataConverter: testDataConverter() }),
  );
  return clientPromise;
}

export async function closeTestClient(): Promise<void> {
  if (clientPromise) await (await clientPromise).connection.close();
  clientPromise = undefined;
}

/** Runs `fn` while a worker with the given activities polls `taskQueue`, then shuts the worker down. */
export async function withWorker<T>(
  options: { taskQueue: string; activities: WorkerOptions['activities'] } & Partial<WorkerOptions>,
  fn: () => Promise<T>,
): Promise<T> {
  const connection = await NativeConnection.connect({ address: testAddress() });
  try {
    const { taskQueue, activities, ...overrides } = options;
    const worker = await Worker.create({
      ...workerOptions({
        connection,
        dataConverter: testDataConverter(),
        namespace: testNamespace(),
        taskQueue,
        activities,
        workflowBundlePath: workflowBundlePath(),
      }),
      ...overrides,
    });
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}

/** Polls `until` until it holds (tests observe a workflow from outside; they cannot await its internal steps). */
export async function eventually(what: string, until: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await until())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function waitForStage(handle: WorkflowHandle, stage: string): Promise<void> {
  return eventually(`stage ${stage}`, async () => (await handle.query(statusQuery)).stage === stage);
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * The workflow's events after the last that `since` picks, once a workflow task has completed after it: from then on
 * the workflow has decided what that event leads to, so what it did not schedule by then it will not schedule unless
 * something else happens. How a test shows that something did not happen without sleeping and hoping.
 */
export async function decidedAfter(
  handle: WorkflowHandle,
  what: string,
  since: (event: HistoryEvent, history: HistoryEvent[]) => boolean,
): Promise<HistoryEvent[]> {
  let after: HistoryEvent[] = [];
  await eventually(`a workflow task completed after ${what}`, async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const at = events.reduce((last, event, i) => (since(event, events) ? i : last), -1);
    after = at === -1 ? [] : events.slice(at + 1);
    return after.some((event) => event.workflowTaskCompletedEventAttributes);
  });
  return after;
}

/** The activity type an event schedules, if it schedules one. */
export const scheduledActivity = (event: HistoryEvent): string | undefined =>
  event.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined;
