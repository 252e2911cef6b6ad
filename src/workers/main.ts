import { hostname } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfigOrExit } from '../config';
import { createLogger, installTemporalRuntime } from '../logging';
import { connectClient, connectionOptions } from '../temporal/connection';
import { liveSessionHosts } from '../temporal/live-session-hosts';
import { ownerOutboxDeps } from '../temporal/owner-outbox';
import { sessionDeps } from '../temporal/session-deps';
import { ensureOwnerOutbox } from '../temporal/owner-outbox';
import { startControlBot } from '../temporal/start-control-bot';
import { createLoginWorker, loginTaskQueueOf } from './login-worker';
import { SandboxNotRunning, selectServices } from './services';
import { workerOptions } from './worker-options';

/**
 * The worker: polls the task queue for workflow and activity tasks. Stateless, so scaling out is starting more of
 * them. SIGINT/SIGTERM stop polling, give in-flight activities `STEADFAST_SHUTDOWN_GRACE` to finish, then cancel them.
 */
async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'worker');
  installTemporalRuntime(logger);

  const { services, accounts } = await selectServices(config).catch((err: unknown) => {
    if (!(err instanceof SandboxNotRunning)) throw err;
    console.error(err.message);
    return process.exit(2);
  });
  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  // The session activity starts sync workflows and reports to its own workflow through a client.
  const client = await connectClient(config.temporal);
  const identity = `steadfast-worker@${hostname()}:${process.pid}`;
  const loginTaskQueue = loginTaskQueueOf(config.temporal.taskQueue, config.workerId);
  const activities = createActivities({
    services,
    ownerChatId: config.ownerTelegramId,
    ownerOutbox: ownerOutboxDeps(client, config.temporal.taskQueue),
    hosts: liveSessionHosts(client, config.temporal.taskQueue),
    session: sessionDeps(client, config.temporal.taskQueue, config.chatBatching),
    accounts,
    loginTaskQueue,
    control: { client, adminIds: config.adminTelegramIds },
  });
  const common = { connection, namespace: config.temporal.namespace, identity, activities };
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
    await client.connection.close();
    await connection.close();
  }
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
