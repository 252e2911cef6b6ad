import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { accountIdKey, stageKey } from '../workflows/search-attributes';
import { currentWorkflowType, replyTypes } from '../workflows/workflow-types';
import { replyTaskTimeout } from '../workflows/policies';
import { deletedAt, namespaceRetention } from './retention';

/**
 * Dead letters are failed workflows (docs/usage.md, "When something fails"): found by a visibility query, explained by their failure (whose type
 * is the error category), and retried as a new run of the same workflow with the same input and id. A new run rather
 * than a reset: it starts clean from the input, and what already happened is safe to meet again (a reply is posted
 * only if X has none, records are upserts).
 */
export interface DeadLetter {
  workflowId: string;
  runId: string;
  workflowType: string;
  accountId?: string;
  failedAt?: string;
  /** When the namespace deletes it (its close plus the namespace's retention): retry it before then. */
  deletedAt?: string;
  category: string;
  message: string;
}

/** The visibility query for the dead letters, optionally of one account. */
export function deadLetterQuery(accountId?: string): string {
  return `ExecutionStatus="Failed"${accountId ? ` AND AccountId="${accountId.replace(/"/g, '')}"` : ''}`;
}

export async function listDeadLetters(client: Client, options: { accountId?: string; limit?: number } = {}) {
  const found: DeadLetter[] = [];
  const retention = namespaceRetention(client);
  for await (const execution of client.workflow.list({ query: deadLetterQuery(options.accountId) })) {
    found.push(await explainDeadLetter(client, execution.workflowId, execution.runId, retention));
    if (found.length >= (options.limit ?? 100)) break;
  }
  return found;
}

export async function explainDeadLetter(
  client: Client,
  workflowId: string,
  runId?: string,
  retention = namespaceRetention(client),
): Promise<DeadLetter> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const description = await handle.describe();
  if (description.status.name !== 'FAILED') {
    throw new NotADeadLetter(`${workflowId} is ${description.status.name}, not failed: it is not a dead letter`);
  }
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => (err instanceof WorkflowFailedError ? err.cause : undefined),
  );
  const retentionMs = await retention();
  return {
    workflowId,
    runId: description.runId,
    workflowType: description.type,
    accountId: description.typedSearchAttributes.get(accountIdKey),
    failedAt: description.closeTime?.toISOString(),
    ...(description.closeTime && retentionMs !== undefined
      ? { deletedAt: deletedAt(description.closeTime, retentionMs).toISOString() }
      : {}),
    category: failure instanceof ApplicationFailure ? (failure.type ?? 'upstream') : 'upstream',
    message: failure?.message ?? 'the workflow failed',
  };
}

export class NotADeadLetter extends Error {
  override name = 'NotADeadLetter';
}

/** Starts a new run of a dead letter with the input it was started with; returns the new run's id. */
export async function retryDeadLetter(client: Client, workflowId: string): Promise<{ runId: string }> {
  const dead = await explainDeadLetter(client, workflowId);
  const handle = client.workflow.getHandle(workflowId, dead.runId);
  const description = await handle.describe();
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  // The history keeps the input as the codec encoded it (encrypted): decoded here as the client decodes results.
  const input = await decodeArrayFromPayloads(client.options.loadedDataConverter, started?.input?.payloads);
  const args = input.map(
    // The new run follows one that may have posted: it must not skip reading X first (ReplyInput.firstRun).
    (arg) => (arg && typeof arg === 'object' && 'firstRun' in arg ? { ...arg, firstRun: undefined } : arg),
  );
  // A new run takes its workflow's current shape: a reply's first type is kept only for the runs it started.
  const workflowType = currentWorkflowType(dead.workflowType);
  const staticSummary = await description.staticSummary();
  const next = await client.workflow.start(workflowType, {
    workflowId,
    taskQueue: description.taskQueue,
    args,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    ...(staticSummary ? { staticSummary } : {}),
    ...(replyTypes.some((type) => type === workflowType) ? { workflowTaskTimeout: replyTaskTimeout } : {}),
    typedSearchAttributes: [
      ...(dead.accountId ? [{ key: accountIdKey, value: dead.accountId }] : []),
      // A reply lists its first stage from the start (src/workflows/reply.ts).
      ...(replyTypes.some((type) => type === workflowType) ? [{ key: stageKey, value: 'drafting' }] : []),
    ],
  });
  return { runId: next.firstExecutionRunId };
}
