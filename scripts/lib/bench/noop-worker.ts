import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../../src/config';
import { connectionOptions, temporalDataConverter } from '../../../src/temporal/connection';
import { tuneWorkerHeap } from '../../../src/workers/worker-heap';
import { workerOptions } from '../../../src/workers/worker-options';
import type { NoopActivities } from './noop-workflows';

/**
 * The bench's baseline worker: the no-op workflows (scripts/lib/bench/noop-workflows.ts, bundled by the bench into
 * BENCH_NOOP_BUNDLE), with worker options from the same factory as `npm run worker`, in a process of its own.
 */
async function run(): Promise<void> {
  tuneWorkerHeap(); // as the real worker's heap is: the baseline pays what it pays
  // As quiet as `npm run worker` at its default level: warnings and errors only.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const bundle = process.env.BENCH_NOOP_BUNDLE;
  if (!bundle) throw new Error('BENCH_NOOP_BUNDLE is not set: the bench starts this worker');
  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  const activities: NoopActivities = { noop: async (step) => step };
  const worker = await Worker.create(
    workerOptions({
      connection,
      // Encrypted as the real workers' payloads are: the baseline pays what they pay.
      dataConverter: temporalDataConverter(config.temporal),
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities,
      workflowBundlePath: bundle,
      shutdownGraceTime: config.shutdownGraceTime,
    }),
  );
  console.log('{"msg":"worker polling"}');
  await worker.run();
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
