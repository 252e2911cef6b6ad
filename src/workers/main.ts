import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfigOrExit } from '../config';
import { createLogger, installTemporalRuntime } from '../logging';
import { connectClient, connectionOptions, temporalDataConverter } from '../temporal/connection';
import { liveSessionHosts } from '../temporal/live-session-hosts';
import { ownerOutboxDeps } from '../temporal/owner-outbox';
import { sessionDeps } from '../temporal/session-deps';
import { ensureOwnerOutbox } from '../temporal/owner-outbox';
import { startControlBot } from '../temporal/start-control-bot';
import { createLoginWorker, loginTaskQueueOf } from './login-worker';
import { SandboxNotRunning, selectServices } from './services';
import { breakerReports } from '../temporal/breaker-reports';
import { xRefreshAsker } from '../temporal/x-token';
import { freeLoopbackPort } from '../free-port';
import { serveMonitoring } from './monitoring-server';
import { workerOptions } from './worker-options';
import { workerMetrics } from './worker-metrics';

/**
 * The worker: polls the task queue for workflow and activity tasks. Stateless, so scaling out is starting more of
 * them. SIGINT/SIGTERM stop polling, give in-flight activities `STEADFAST_SHUTDOWN_GRACE` to finish, then cancel them.
 */
async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'worker');
  const sdkMetricsAddress = config.metricsPort === undefined ? undefined : `127.0.0.1:${await freeLoopbackPort()}`;
  installTemporalRuntime(logger, sdkMetricsAddress);

  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  // The session activity starts sync workflows and reports to its own workflow through a client.
  const client = await connectClient(config.temporal);
  const onBreakerChange = breakerReports(client, config.temporal.taskQueue, config.workerId, logger);
  const askXRefresh = xRefreshAsker(client, config.temporal.taskQueue);
  const { services, accounts, breakers } = await selectServices(config, { onBreakerChange, askXRefresh }).catch(
    (err: unknown) => {
      if (!(err instanceof SandboxNotRunning)) throw err;
      console.error(err.message);
      return process.exit(2);
    },
  );
  const metrics = workerMetrics(Runtime.instance().metricMeter, breakers);
  const identity = `steadfast-worker@${hostname()}:${process.pid}`;
  const loginTaskQueue = loginTaskQueueOf(config.temporal.taskQueue, config.workerId);
  const activities = createActivities({
    services,
    ownerChatId: config.ownerTelegramId,
    ownerOutbox: ownerOutboxDeps(client, config.temporal.taskQueue),
    hosts: liveSessionHosts(client, config.temporal.taskQueue),
    session: metrics.observeSessions(sessionDeps(client, config.temporal.taskQueue, config.chatBatching)),
    accounts,
    loginTaskQueue,
    client,
    control: { client, adminIds: config.adminTelegramIds },
  });
  const dataConverter = temporalDataConverter(config.temporal);
  const common = { connection, dataConverter, namespace: config.temporal.namespace, identity, activities };
  const worker = await Worker.create(
    workerOptions({
      ...common,
      taskQueue: config.temporal.taskQueue,
      shutdownGraceTime: config.shutdownGraceTime,
      workflowBundlePath: config.workflowBundle,
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
      : await serveMonitoring({
          port: config.metricsPort!,
          sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics`,
          refresh: () => metrics.refresh(),
          ready: () => readiness(client, [worker, loginWorker]),
          logger,
        }).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          console.error(
            `STEADFAST_METRICS_PORT: port ${config.metricsPort} is in use: give each worker on a host a port of its own (0: any free port), or set it to off`,
          );
          return process.exit(2);
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
  console.error(err);
  process.exit(1);
});
