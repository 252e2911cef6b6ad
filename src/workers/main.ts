import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfigOrExit, type Config } from '../config';
import { loadEnvFile } from '../env-file';
import { createLogger, installTemporalRuntime } from '../logging';
import { connectClient, connectionOptions, temporalDataConverter } from '../temporal/connection';
import { liveSessionHosts } from './live-session-hosts';
import { ownerOutboxDeps } from './owner-outbox-deps';
import { sessionDeps } from './session-deps';
import { ensureOwnerOutbox } from './owner-outbox-deps';
import { startControlBot } from '../temporal/start-control-bot';
import { createLoginWorker, loginTaskQueueOf } from './login-worker';
import { SandboxNotRunning, createServices } from '../adapters/create-services';
import { breakerReports } from './breaker-reports';
import { xRefreshAsker } from '../temporal/signal-x-refresher';
import { freeLoopbackPort } from '../free-port';
import { tuneWorkerHeap } from './worker-heap';
import { checkNamespace, untilTemporalAnswers } from '../temporal/wait-for-temporal';
import { serveMonitoring, type MonitoringOptions } from './monitoring-server';
import { prebuiltBundle, workerOptions } from './worker-options';
import { BundlingFailed, bundleApart } from './bundle-apart';
import { ownerDirectory } from '../owner/owner-directory';
import { workerMetrics } from './worker-metrics';

/**
 * The worker: polls the task queue for workflow and activity tasks. Stateless, so scaling out is starting more of
 * them. SIGINT/SIGTERM stop polling, give in-flight activities `STEADFAST_SHUTDOWN_GRACE` to finish, then cancel them.
 */
async function run(): Promise<void> {
  // Before the workflow thread exists: its heap is made with them.
  const heapFlags = tuneWorkerHeap();
  loadEnvFile();
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'worker');
  // A worker run from the sources bundles its workflows in a process of its own (bundle-apart.ts says why), while it
  // connects.
  const bundlePath = config.workflowBundle ?? prebuiltBundle();
  const bundling = bundlePath === undefined ? bundleApart() : Promise.resolve(undefined);
  bundling.catch(() => undefined); // awaited below, after the connections: a failure is reported there
  const sdkMetricsAddress = config.metricsPort === undefined ? undefined : `127.0.0.1:${await freeLoopbackPort()}`;
  installTemporalRuntime(logger, sdkMetricsAddress);

  // Started before its server (at boot, or by a manager that starts everything at once), the worker waits for it.
  const stopWaiting = new AbortController();
  const onSignal = () => stopWaiting.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const wait = {
    address: config.temporal.address,
    say: (line: string) => logger.warn(line),
    signal: stopWaiting.signal,
  };
  const connection = await untilTemporalAnswers(
    () => NativeConnection.connect(connectionOptions(config.temporal)),
    wait,
  ).catch((err: unknown) => exitAtStart(err, config.temporal.address, stopWaiting.signal));
  // The session activity starts sync workflows and reports to its own workflow through a client.
  const client = await untilTemporalAnswers(() => connectClient(config.temporal), wait).catch((err: unknown) =>
    exitAtStart(err, config.temporal.address, stopWaiting.signal),
  );
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  const noNamespace = await checkNamespace(client, config.temporal.namespace, config.temporal.address);
  if (noNamespace) {
    console.error(noNamespace);
    process.exit(2);
  }
  const onBreakerChange = breakerReports(client, config.temporal.taskQueue, config.workerId, logger);
  const askXRefresh = xRefreshAsker(client, config.temporal.taskQueue);
  const { services, accounts, breakers } = await createServices(config, { onBreakerChange, askXRefresh }).catch(
    (err: unknown) => {
      if (!(err instanceof SandboxNotRunning)) throw err;
      console.error(err.message);
      return process.exit(2);
    },
  );
  const owner = ownerDirectory(accounts, config.ownerTelegramId, config.adminTelegramIds);
  const metrics = workerMetrics(Runtime.instance().metricMeter, breakers);
  const identity = `steadfast-worker@${hostname()}:${process.pid}`;
  const loginTaskQueue = loginTaskQueueOf(config.temporal.taskQueue, config.workerId);
  const activities = createActivities({
    services,
    owner,
    ownerOutbox: ownerOutboxDeps(client, config.temporal.taskQueue),
    hosts: liveSessionHosts(client, config.temporal.taskQueue),
    session: metrics.observeSessions(sessionDeps(client, config.temporal.taskQueue, config.chatBatching)),
    accounts,
    loginTaskQueue,
    client,
    control: { client },
  });
  const dataConverter = temporalDataConverter(config.temporal);
  const workflowCode = await bundling.catch((err: unknown) => {
    // A Ctrl-C or a stop during start-up reaches the bundler too (its process group, systemd's control group), and the
    // Temporal runtime's handler (installed above) keeps the worker alive: it stops, as it would have polling.
    if (err instanceof BundlingFailed && (err.signal === 'SIGINT' || err.signal === 'SIGTERM')) {
      logger.info({ signal: err.signal }, 'worker stopped while its workflows were bundled');
      return process.exit(0);
    }
    throw err;
  });
  const common = { connection, dataConverter, namespace: config.temporal.namespace, identity, activities };
  const worker = await Worker.create(
    workerOptions({
      ...common,
      taskQueue: config.temporal.taskQueue,
      shutdownGraceTime: config.shutdownGraceTime,
      workflowBundlePath: bundlePath,
      workflowCode,
      maxCachedWorkflows: config.workflowCache,
    }),
  );
  const loginWorker = await createLoginWorker({
    ...common,
    taskQueue: loginTaskQueue,
    shutdownGraceTime: config.shutdownGraceTime,
  });

  const monitoring =
    sdkMetricsAddress === undefined
      ? undefined
      : await serveMonitoringOnFreePort(config, {
          sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics`,
          refresh: () => metrics.refresh(),
          ready: () => readiness(client, [worker, loginWorker]),
          logger,
        });

  // One control bot for the deployment: the first worker starts its workflow, the others find it running.
  const startedBot = config.controlBot && (await startControlBot(client, config.temporal.taskQueue));
  const startedOutbox = await ensureOwnerOutbox(client, config.temporal.taskQueue);
  logger.info(
    {
      controlBot: config.controlBot ? (startedBot ? 'started' : 'running') : 'off',
      ownerOutbox: startedOutbox ? 'started' : 'running',
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      loginTaskQueue,
      sandbox: config.sandbox,
      webUi: config.temporal.webUiUrl,
      heapFlags,
      workflowBundle: bundlePath ?? 'made apart at start',
    },
    'worker polling',
  );
  try {
    // Resolves once a shutdown signal has drained the worker (the Temporal runtime handles SIGINT/SIGTERM).
    await Promise.all([worker.run(), loginWorker.run()]);
  } finally {
    monitoring?.close();
    await client.connection.close();
    await connection.close();
  }
  logger.info('worker stopped');
}

/**
 * The monitoring port: the configured one, or with the default (9464) taken by another worker on this host, the next
 * free one after it, logged, so that a second `npm run worker` starts as the first did.
 */
async function serveMonitoringOnFreePort(config: Config, options: Omit<MonitoringOptions, 'port'>) {
  const first = config.metricsPort!;
  const last = config.metricsPortIsDefault && first !== 0 ? first + 20 : first;
  for (let port = first; ; port++) {
    try {
      const server = await serveMonitoring({ ...options, port });
      if (port !== first) options.logger.warn(`metrics port ${first} is taken (another worker?): serving on ${port}`);
      return server;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (port < last) continue;
      console.error(
        config.metricsPortIsDefault
          ? `STEADFAST_METRICS_PORT: ports ${first}-${last} are all in use: set a free port (0: any free port), or off`
          : `STEADFAST_METRICS_PORT: port ${first} is in use: give each worker on a host a port of its own (0: any free port; unset: the next free one after 9464), or set it to off`,
      );
      return process.exit(2);
    }
  }
}

/** A start-up that cannot go on, in one line: interrupted while waiting (exit 0), or refused (exit 1). */
function exitAtStart(err: unknown, address: string, interrupted: AbortSignal): never {
  if (interrupted.aborted) process.exit(0);
  console.error(`Cannot connect to Temporal at ${address}: ${err instanceof Error ? err.message : String(err)}`);
  return process.exit(1);
}

/** Ready: both workers poll, and Temporal answers within 2 s. */
async function readiness(client: Client, workers: Worker[]) {
  const stopped = workers.find((worker) => worker.getState() !== 'RUNNING');
  if (stopped) return { ready: false as const, reason: `worker ${stopped.options.taskQueue} is ${stopped.getState()}` };
  try {
    await client.connection.withDeadline(Date.now() + 2_000, () => client.connection.workflowService.getSystemInfo({}));
    return { ready: true as const };
  } catch (err) {
    return {
      ready: false as const,
      reason: `Temporal does not answer: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

run().catch((err) => {
  // A bundler's failure is said in one line: its own errors are above it, on stderr.
  console.error(err instanceof BundlingFailed ? err.message : err);
  process.exit(1);
});
