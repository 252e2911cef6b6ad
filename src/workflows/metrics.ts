import { metricMeter } from '@temporalio/workflow';

/**
 * The workflows' own metrics (docs/reliability.md, "Metrics and health"), through the SDK's workflow meter: they reach the
 * worker's Prometheus endpoint with the SDK's tags (namespace, task_queue, workflow_type), and a replay records
 * nothing, so a count is never doubled by a worker that replays a history.
 */

/** A reply ended: posted, rejected, expired, cancelled, or dead-letter. */
export function countReply(outcome: string): void {
  metricMeter.createCounter('steadfast_replies', 'replies', 'Replies ended, by outcome').add(1, { outcome });
}

/** Work that did not happen: a reply, a synced message or a chat's batch failed for good. */
export function countDeadLetter(category: string): void {
  metricMeter
    .createCounter('steadfast_dead_letters', 'workflows', 'Work failed for good, by failure category')
    .add(1, { category });
}

/** A chat's batch of messages answered with one AI call. */
export function countChatBatch(messages: number): void {
  metricMeter.createCounter('steadfast_chat_batches', 'batches', 'Chat batches answered').add(1);
  metricMeter
    .createCounter('steadfast_chat_batched_messages', 'messages', 'Messages answered in batches')
    .add(messages);
}

/** An account's Telegram session was revoked or logged out: the owner must log in again. */
export function countNeedsLogin(accountId: string): void {
  metricMeter
    .createCounter('steadfast_accounts_needing_login', 'sessions', 'Sessions that lost their login, by account')
    .add(1, { accountId });
}
