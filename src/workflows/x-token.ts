import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from './activity-types';
import type { XTokenInput, XTokenState } from '../domain/contracts';
import { deadLetter } from './dead-letter';
import { notifyOwnerOfDeadLetter } from './alerts';
import { xRefreshNowSignal, xTokensAddedSignal, xTokenStatusQuery, type XTokenStatusView } from './messages';
import { policies } from './policies';

const { xTokenState, refreshXToken, resumeRepliesAwaitingAuthorisation } = proxyActivities<Activities>(policies.xToken);

/** The part of an access token's life after which it is refreshed: 75 % (90 min of X's 2 h). */
const refreshAfter = 0.75;
/** Continue as new well before the history is long: a refresh is a timer and an activity. */
const maxHistory = 2000;

/**
 * One account's X OAuth 2.0 tokens, kept fresh: `x-token:{accountId}`, one for the deployment, and the only caller of
 * X's token endpoint for the account, so no two workers ever refresh at once (X rotates the refresh token; the old
 * one stops working). It refreshes on a timer before expiry, or at once when a post was answered 401 (`refreshNow`).
 * The tokens go straight into the account store; only their version and times pass through here. A refresh X refuses
 * (revoked) alerts the owner, and the account's replies wait until new tokens are added (`tokensAdded`).
 */
export async function xTokenWorkflow({ accountId }: XTokenInput): Promise<void> {
  let refreshNow = false;
  let added = false;
  const status: XTokenStatusView = { state: 'waiting', refreshes: 0 };
  setHandler(xRefreshNowSignal, () => void (refreshNow = true));
  setHandler(xTokensAddedSignal, () => void (added = true));
  setHandler(xTokenStatusQuery, () => status);

  while (workflowInfo().historyLength < maxHistory && !workflowInfo().continueAsNewSuggested) {
    const state = await xTokenState({ accountId });
    if (!state) return; // no OAuth 2.0 tokens (any more): nothing to refresh; the next ones start it again
    Object.assign(status, { expiresAt: state.expiresAt, refused: state.refused });
    if (state.refused) {
      status.state = 'needs-authorisation';
      await condition(() => added);
    } else {
      status.state = 'waiting';
      const dueIn = state.issuedAt + (state.expiresAt - state.issuedAt) * refreshAfter - Date.now();
      if (dueIn > 0) await condition(() => refreshNow || added, dueIn);
      if (!added) await refresh(state);
    }
    if (added) {
      // New tokens from the owner: the replies that waited for them go on.
      added = false;
      refreshNow = false;
      await resumeRepliesAwaitingAuthorisation({ accountId });
    }
  }
  await continueAsNew<typeof xTokenWorkflow>({ accountId });

  async function refresh(state: XTokenState): Promise<void> {
    refreshNow = false;
    status.state = 'refreshing';
    try {
      const after = await refreshXToken({ accountId, basedOn: state.version });
      if (after.version !== state.version) status.refreshes++;
    } catch (err) {
      const failure = deadLetter(err);
      if (failure.type !== 'needs-authorisation') throw err;
      await notifyOwnerOfDeadLetter(accountId, `the X login of ${accountId}: re-authorise X for ${accountId}`, failure);
    }
  }
}
