import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { LiveSessionHosts } from '../activities/telegram';
import { workflowIds } from '../domain/contracts';
import { controlBotHostQuery, sessionStatusQuery } from '../workflows/messages';

/**
 * Where a live Telegram session runs, as its workflow knows it from its session activity: the own task queue of the
 * worker holding the connection. None when the workflow does not run, or its session is not connected.
 */
export function liveSessionHosts(client: Client, taskQueue: string): LiveSessionHosts {
  return {
    // The deployment's own bot only: another deployment on the namespace may run one with another token.
    controlBot: () =>
      whileRunning(client.workflow.getHandle(workflowIds.controlBot()), taskQueue, async (bot) => {
        return (await bot.query(controlBotHostQuery)).hostQueue;
      }),
    account: (accountId) =>
      whileRunning(client.workflow.getHandle(workflowIds.account(accountId)), undefined, async (session) => {
        const status = await session.query(sessionStatusQuery);
        return status.state === 'connected' ? status.hostQueue : undefined;
      }),
  };
}

async function whileRunning(
  handle: WorkflowHandle,
  onTaskQueue: string | undefined,
  ask: (handle: WorkflowHandle) => Promise<string | undefined>,
): Promise<string | undefined> {
  try {
    const { status, taskQueue } = await handle.describe();
    if (status.name !== 'RUNNING' || (onTaskQueue !== undefined && taskQueue !== onTaskQueue)) return undefined;
    return await ask(handle);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
