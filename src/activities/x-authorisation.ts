import type { Client } from '@temporalio/client';
import type { XTokenPort } from '../ports/x';
import { xAuthorisedSignal } from '../workflows/messages';
import { replyTypeTerm } from '../workflows/workflow-types';

/** The activities of xTokenWorkflow: thin calls to the token port, and the replies it wakes. */
export function createXTokenActivities(tokens: XTokenPort, client: Client) {
  return {
    /** The account's tokens' version and times (never the tokens); null when it has no OAuth 2.0 tokens. */
    async xTokenState({ accountId }: { accountId: string }) {
      return tokens.state(accountId);
    },

    /** Refreshes them at X unless they changed since version `basedOn`. */
    async refreshXToken({ accountId, basedOn }: { accountId: string; basedOn: number }) {
      return tokens.refresh(accountId, basedOn);
    },

    /**
     * Tells the account's replies that waited for its X login that it is back. One that began to wait after this
     * listing tries again on its own within minutes (src/workflows/reply.ts).
     */
    async resumeRepliesAwaitingAuthorisation({ accountId }: { accountId: string }): Promise<number> {
      const query = `${replyTypeTerm} AND ExecutionStatus = "Running" AND AccountId = "${accountId}" AND Stage = "awaiting-authorisation"`;
      let resumed = 0;
      for await (const reply of client.workflow.list({ query })) {
        await client.workflow.getHandle(reply.workflowId, reply.runId).signal(xAuthorisedSignal);
        resumed++;
      }
      return resumed;
    },
  };
}
