import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { LiveSessionHosts } from '../activities/telegram';
import { workflowIds } from '../workflows/contracts';
import { controlBotHostQuery, sessionStatusQuery } from '../workflows/messages';

/**
 * Where a live Telegram session runs, as its workflow knows it from its session activity: the own task queue of the
 * worker holding the connection. None when the workflow does not run, or its session is not connected.
 */
export function liveSessionHosts(client: Client): LiveSessionHosts {
  return {
    controlBot: () =>
      whileRunning(client.workflow.getHandle(workflowIds.controlBot()), async (bot) => {
        return (await bot.query(controlBotHostQuery)).hostQueue;
      }),
    account: (accountId) =>
      whileRunning(client.workflow.getHandle(workflowIds.account(accountId)), async (session) => {
        const status = await session.query(sessionStatusQuery);
        return status.state === 'connected' ? status.hostQueue : undefined;
      }),
  };
}

async function whileRunning(
  handle: WorkflowHandle,
  ask: (handle: WorkflowHandle) => Promise<string | undefined>,
): Promise<string | undefined> {
  try {
    if ((await handle.describe()).status.name !== 'RUNNING') return undefined;
    return await ask(handle);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
