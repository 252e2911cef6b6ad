import { Worker, type NativeConnection } from '@temporalio/worker';
import { ownQueueActivityNames, type Activities } from '../activities';

/**
 * The task queue that only this worker polls. The login workflow routes the steps of a login there, because the
 * connection its code was sent over lives in this process; the owner's outbox routes its messages there while this
 * worker holds the control bot's session. It is named after STEADFAST_WORKER_ID, not the process, so
 * a worker restarted under the same id picks up the logins it held.
 */
export function loginTaskQueueOf(taskQueue: string, workerId: string): string {
  return `${taskQueue}-login-${workerId}`;
}

/**
 * An activities-only worker on that queue, sharing the main worker's activities (and so the logins and the control
 * bot's session they hold).
 */
export function createLoginWorker(
  options: {
    connection: NativeConnection;
    namespace?: string;
    taskQueue: string;
    identity?: string;
    shutdownGraceTime?: string;
  },
  activities: Activities,
): Promise<Worker> {
  const isStep = (name: string) => (ownQueueActivityNames as readonly string[]).includes(name);
  const steps = Object.fromEntries(Object.entries(activities).filter(([name]) => isStep(name)));
  return Worker.create({ ...options, activities: steps });
}
