import type { Client } from '@temporalio/client';
import type { SessionDeps } from '../activities/telegram-session';
import { sessionReportSignal } from '../workflows/messages';
import { startSync } from './start-sync';

/** What the session activity needs of Temporal: start a message's sync, and report to its own workflow. */
export function sessionDeps(client: Client, taskQueue: string): Omit<SessionDeps, 'telegram'> {
  return {
    startSync: (input) => startSync(client, taskQueue, input),
    report: (workflowId, report) => client.workflow.getHandle(workflowId).signal(sessionReportSignal, report),
  };
}
