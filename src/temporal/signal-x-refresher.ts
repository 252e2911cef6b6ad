import type { Client } from '@temporalio/client';
import { xTokenWorkflow } from '../workflows';
import { workflowIds } from '../domain/contracts';
import { xRefreshNowSignal, xTokensAddedSignal } from '../workflows/messages';
import { workflowSummaries } from '../domain/summaries';

/**
 * Signals an account's token refresher (`x-token:{accountId}`), starting it when none runs: a signal-with-start never
 * starts a second one, so the deployment has one refresher per account whoever asks.
 */
async function signalRefresher(client: Client, taskQueue: string, accountId: string, added: boolean): Promise<void> {
  await client.workflow.signalWithStart(xTokenWorkflow, {
    workflowId: workflowIds.xToken(accountId),
    taskQueue,
    args: [{ accountId }],
    staticSummary: workflowSummaries.xToken(accountId),
    signal: added ? xTokensAddedSignal : xRefreshNowSignal,
  });
}

/** For the X adapter: an access token was refused or has expired; refresh now. */
export function xRefreshAsker(client: Client, taskQueue: string) {
  return (accountId: string) => signalRefresher(client, taskQueue, accountId, false);
}

/** For `account add --x-oauth2`: new tokens are in the account store; keep them fresh, and wake the waiting replies. */
export function xTokensAdded(client: Client, taskQueue: string, accountId: string): Promise<void> {
  return signalRefresher(client, taskQueue, accountId, true);
}
