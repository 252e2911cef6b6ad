import type { ApplicationFailure } from '@temporalio/workflow';
import { isFailureCategory, ownerMessages } from './failures';

/**
 * The owner's alert for a dead letter: what failed, its category in plain words, when, the workflow id (to find it in
 * the Web UI) and the command that retries it. Built from the classified failure only, so it never carries a secret.
 */
export function deadLetterAlert(request: {
  what: string;
  failure: ApplicationFailure;
  workflowId: string;
  at: Date;
}): string {
  const { what, failure, workflowId, at } = request;
  const category = isFailureCategory(failure.type) ? failure.type : 'upstream';
  return [
    `Failed: ${what}`,
    `Why (${category}): ${ownerMessages[category]}`,
    `Detail: ${failure.message}`,
    `When: ${at.toISOString()}`,
    `Workflow: ${workflowId}`,
    `To retry: npm run cli -- failures retry ${workflowId}`,
  ].join('\n');
}
