import { metricMeter } from '@temporalio/workflow';
import { counters, type CounterName } from '../domain/metric-names';

/**
 * The workflows' own metrics (docs/reliability.md, "Metrics and health"), through the SDK's workflow meter: they reach the
 * worker's Prometheus endpoint with the SDK's tags (namespace, task_queue, workflow_type), and a replay records
 * nothing, so a count is never doubled by a worker that replays a history.
 */

/** A reply ended: posted, rejected, expired, cancelled, or dead-letter. */
export function countReply(outcome: string): void {
  counter('replies').add(1, { outcome });
}

/** Work that did not happen: a reply, a synced message or a chat's batch failed for good. */
export function countDeadLetter(category: string): void {
  counter('deadLetters').add(1, { category });
}

/** A chat's batch of messages answered with one AI call. */
export function countChatBatch(messages: number): void {
  counter('chatBatches').add(1);
  counter('chatBatchedMessages').add(messages);
}

/** An account's Telegram session was revoked or logged out: the owner must log in again. */
export function countNeedsLogin(accountId: string): void {
  counter('accountsNeedingLogin').add(1, { accountId });
}

function counter(which: CounterName) {
  const { name, unit, description } = counters[which];
  return metricMeter.createCounter(name, unit, description);
}
