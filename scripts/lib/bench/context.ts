import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type Connection } from '@temporalio/client';
import { loadConfig } from '../../../src/config';
import { postTargetTweet } from '../../../src/sandbox/sandbox';
import { temporalDataConverter } from '../../../src/temporal/connection';
import type { Teardown } from '../run-command';
import { startWorkerProcess, stopWorkersStep, type WorkerProcess } from '../worker-process';
import type { BenchServer } from './bench-server';
import { inBatches } from './stats';

/** The bench's clients encrypt as its workers (on the sandbox) do. */
export function benchDataConverter(env: NodeJS.ProcessEnv = {}) {
  return temporalDataConverter(loadConfig({ ...process.env, STEADFAST_SANDBOX: 'on', ...env }).temporal);
}

/** A worker process of the bench, and its STEADFAST_WORKER_ID (its own task queue is named after it). */
export type BenchWorker = WorkerProcess & { id: string };

/** What every part of the bench shares: the server, the sandbox, and workers started in a namespace. */
export class Bench {
  private workerCount = 0;

  constructor(
    readonly server: BenchServer,
    readonly sandboxPort: number,
    private readonly connection: Connection,
    private readonly teardown: Teardown,
    private readonly noopBundle: string,
    private readonly workflowBundle: string,
    readonly say: (line: string) => void,
  ) {}

  readonly taskQueue = 'bench';

  /** A client of `namespace`, its payloads encrypted as the workers' are (`env` as theirs: STEADFAST_ENCRYPTION). */
  client(namespace: string, env: NodeJS.ProcessEnv = {}): Client {
    return new Client({ connection: this.connection, namespace, dataConverter: benchDataConverter(env) });
  }

  /** `count` real workers (`npm run worker`) on the sandbox, polling `namespace`; ready when this resolves. */
  async workers(namespace: string, count: number, env: NodeJS.ProcessEnv = {}): Promise<BenchWorker[]> {
    const workers = Array.from({ length: count }, () => {
      const id = `bench-${++this.workerCount}`;
      const worker = startWorkerProcess({
        ...process.env,
        TEMPORAL_ADDRESS: this.server.address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TASK_QUEUE: this.taskQueue,
        STEADFAST_SANDBOX: 'on',
        STEADFAST_SANDBOX_PORT: String(this.sandboxPort),
        STEADFAST_CONTROL_BOT: 'off',
        STEADFAST_WORKER_ID: id,
        // Several workers on this host: each serves /metrics on a free port.
        STEADFAST_METRICS_PORT: '0',
        STEADFAST_WORKFLOW_BUNDLE: this.workflowBundle,
        ...env,
      });
      return { ...worker, id };
    });
    this.teardown.defer(stopWorkersStep(workers));
    await Promise.all(workers.map((worker) => worker.ready));
    return workers;
  }

  /** The baseline worker (scripts/lib/bench/noop-worker.ts), with the same worker options, polling `namespace`. */
  async noopWorker(namespace: string, address = this.server.address): Promise<WorkerProcess> {
    const worker = startWorkerProcess(
      {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TASK_QUEUE: this.taskQueue,
        BENCH_NOOP_BUNDLE: this.noopBundle,
      },
      'inherit',
      require.resolve('./noop-worker'),
    );
    this.teardown.defer(stopWorkersStep([worker]));
    await worker.ready;
    return worker;
  }

  /** Stops workers as Ctrl-C would, and waits for them. */
  async stop(workers: WorkerProcess[]): Promise<void> {
    await stopWorkersStep(workers).stop();
  }

  /** The namespace's actions once nothing more happens in it (unchanged for 3 s): what the work cost, all of it. */
  async settledActions(namespace: string): Promise<{ total: number; byType: Record<string, number> }> {
    let last = await this.server.actions(namespace);
    for (let still = 0; still < 3;) {
      await sleep(1000);
      const now = await this.server.actions(namespace);
      still = now.total === last.total ? still + 1 : 0;
      last = now;
    }
    return last;
  }

  /** `count` tweets by someone else on the sandbox's X, for replies to answer. */
  targetTweets(count: number, label: string): Promise<{ id: string; text: string }[]> {
    return inBatches(Array.from({ length: count }), 50, async (_, i) => {
      const text = `${label} question ${i}: is it durable?`;
      return { id: await postTargetTweet(this.sandboxPort, { authorUsername: 'benchfan', text }), text };
    });
  }
}
