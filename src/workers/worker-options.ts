import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { ownQueueActivityNames } from '../activities';
import type { Activities } from '../workflows/activity-types';
import { KeepAliveInterceptor } from '../activities/keep-alive';
import { RetryMetricsInterceptor } from '../activities/retry-metrics';
import { heartbeatThrottle, workflowActivationLimit } from '../workflows/policies';
import { releaseBuildId } from '../release';

/**
 * The one place worker options are made: the worker (`npm run worker`, the Docker image) and the test fixtures run
 * workers built here, so what is tested is what runs.
 */
export interface SteadfastWorkerOptions {
  connection: NativeConnection;
  /** Encrypts every payload (src/encryption/data-converter.ts): required, so that no worker is made without it. */
  dataConverter: DataConverter;
  namespace?: string;
  taskQueue: string;
  identity?: string;
  activities: Activities | WorkerOptions['activities'];
  shutdownGraceTime?: string;
  /** A bundle of the workflows made beforehand (the test harness makes one per run); else the prebuilt one, if any. */
  workflowBundlePath?: string;
  /** The bundle's code itself (a worker's own, made apart: bundle-apart.ts); before any path. */
  workflowCode?: string;
  /** Workflows kept in memory between their tasks (config.workflowCache); else the SDK's default, from the heap size. */
  maxCachedWorkflows?: number;
  /** How soon a workflow task waiting on a worker that vanished goes back to the shared queue (default 3 s). */
  stickyQueueScheduleToStartTimeout?: string;
}

/**
 * The Docker image's workflow bundle, made at build time (scripts/bundle-workflows.ts) next to the compiled worker. Its
 * name is no module's: it was `workflow-bundle.js`, the compiled workflow-bundle.ts, which a compiled worker with no
 * bundle made would then have taken for one.
 */
export const prebuiltBundlePath = join(__dirname, 'prebuilt-workflow-bundle.js');

/** The prebuilt bundle's path, when there is one (the Docker image). */
export function prebuiltBundle(): string | undefined {
  return existsSync(prebuiltBundlePath) ? prebuiltBundlePath : undefined;
}

/** The task queue's worker: every workflow and activity. */
export function workerOptions(options: SteadfastWorkerOptions): WorkerOptions {
  const { workflowBundlePath, workflowCode, ...rest } = options;
  const path = workflowBundlePath ?? prebuiltBundle();
  const bundle =
    workflowCode !== undefined ? { code: workflowCode } : path === undefined ? undefined : { codePath: path };
  const made: WorkerOptions & ActivationLimit = {
    // Heartbeats reach the server at most this often, whatever the activity's heartbeat timeout (see policies).
    maxHeartbeatThrottleInterval: heartbeatThrottle,
    // A slow activation (a starved host) must not abort the worker process (see policies).
    isolateExecutionTimeout: workflowActivationLimit,
    interceptors: activityInterceptors,
    workerDeploymentOptions: releaseDeployment,
    // A workflow task for a worker that vanished (SIGKILL, a lost host) waits this long on its sticky queue before
    // any worker takes it (the SDK's default is 10 s: all of it added to the replies a killed worker held).
    stickyQueueScheduleToStartTimeout: '3s',
    // Without a bundle (a test fixture run outside the harness) the SDK bundles the sources in this process, with the
    // workflows' interceptors; a bundle has them built in (workflow-bundle.ts). The worker never does: main.ts gives it
    // one (bundle-apart.ts says why).
    ...(bundle
      ? { workflowBundle: bundle }
      : {
          workflowsPath: require.resolve('../workflows'),
          // As in a prebuilt bundle (workflow-bundle.ts): the workflows' modules shared, not copied per workflow.
          bundlerOptions: { preloadModules: [require.resolve('../workflows')] },
          interceptors: { ...activityInterceptors, workflowModules: workflowInterceptorModules },
        }),
    ...rest,
  };
  return made;
}

/**
 * The SDK takes `isolateExecutionTimeout` from the options it is given, though WorkerOptions does not list it
 * ("not exposed at the moment"); test/integration/slow-activation.test.ts fails if a later SDK stops reading it.
 */
type ActivationLimit = { isolateExecutionTimeout: string };

/** The workflows' own interceptors: payloads that are not encrypted are refused (src/workflows/refused-payload.ts). */
export const workflowInterceptorModules = [require.resolve('../workflows/refused-payload-interceptors')];

/**
 * The worker's own task queue (see login-worker.ts): only the activities that must run in this process, beside the
 * connections it holds; no workflows.
 */
export function ownQueueWorkerOptions(
  options: Omit<SteadfastWorkerOptions, 'workflowBundlePath' | 'workflowCode'>,
): WorkerOptions {
  const isOwn = (name: string) => (ownQueueActivityNames as readonly string[]).includes(name);
  const activities = Object.fromEntries(Object.entries(options.activities ?? {}).filter(([name]) => isOwn(name)));
  return {
    maxHeartbeatThrottleInterval: heartbeatThrottle,
    interceptors: activityInterceptors,
    workerDeploymentOptions: releaseDeployment,
    ...options,
    activities,
  };
}

/**
 * Workers name their release as their build id, without Worker Versioning (src/workflows/patches.ts says why): any
 * worker takes any task, and each run's `BuildIds` lists the releases that ran it.
 */
const releaseDeployment: WorkerOptions['workerDeploymentOptions'] = {
  version: { deploymentName: 'steadfast', buildId: releaseBuildId },
  useWorkerVersioning: false,
};

/**
 * Short activities are heartbeaten while they run, so a dead worker's are retried soon (keep-alive.ts); the retries
 * that ended in success are counted (retry-metrics.ts).
 */
const activityInterceptors: WorkerOptions['interceptors'] = {
  activity: [
    (context) => ({ inbound: new RetryMetricsInterceptor(context) }),
    (context) => ({ inbound: new KeepAliveInterceptor(context) }),
  ],
};
