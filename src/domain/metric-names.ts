/**
 * Steadfast's counters, as every part that adds to them names them: the workflows (src/workflows/metrics.ts), the
 * activities (src/activities/retry-metrics.ts) and the worker (src/workers/worker-metrics.ts), which adds 0 to each
 * when it starts so that every series exists from the first scrape: `increase()` in an alert or a dashboard needs a
 * sample before the first event, or the first event is not seen.
 */
export const counters = {
  replies: { name: 'steadfast_replies', unit: 'replies', description: 'Replies ended, by outcome' },
  deadLetters: {
    name: 'steadfast_dead_letters',
    unit: 'workflows',
    description: 'Work failed for good, by failure category',
  },
  chatBatches: { name: 'steadfast_chat_batches', unit: 'batches', description: 'Chat batches answered' },
  chatBatchedMessages: {
    name: 'steadfast_chat_batched_messages',
    unit: 'messages',
    description: 'Messages answered in batches',
  },
  accountsNeedingLogin: {
    name: 'steadfast_accounts_needing_login',
    unit: 'sessions',
    description: 'Sessions that lost their login, by account',
  },
  retriesAbsorbed: {
    name: 'steadfast_activity_retries_absorbed',
    unit: 'attempts',
    description: 'Failed attempts that a later attempt cured',
  },
  sessionReconnects: {
    name: 'steadfast_session_reconnects',
    unit: 'reconnects',
    description: 'Telegram connections lost and retried',
  },
} as const;

export type CounterName = keyof typeof counters;
