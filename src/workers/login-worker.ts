import { Worker } from '@temporalio/worker';
import { ownQueueWorkerOptions } from './worker-options';

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
export function createLoginWorker(options: Parameters<typeof ownQueueWorkerOptions>[0]): Promise<Worker> {
  return Worker.create(ownQueueWorkerOptions(options));
}
