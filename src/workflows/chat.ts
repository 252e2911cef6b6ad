import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from './activity-types';
import type { ChatBatching, ChatInput, TelegramMessage } from '../domain/contracts';
import { notifyOwnerOfDeadLetter } from './alerts';
import { inputDurationMs } from './durations';
import { deadLetter } from './dead-letter';
import { countChatBatch, countDeadLetter } from './metrics';
import { overLiveSession } from './live-session';
import { chatInterruptSignal, chatMessageSignal, chatStatusQuery, type ChatStatusView } from './messages';
import { policies } from './policies';

const { generateChatAnswer } = proxyActivities<Activities>({ ...policies.aiChat, summary: 'Answer with the AI model' });
const { sendChatMessage } = proxyActivities<Activities>(policies.telegramSend);
const { locateSession } = proxyActivities<Activities>(policies.liveSessionLocate);

const defaults: ChatBatching = { firstWait: '1s', quiet: '4s', maxWait: '30s' };
/** A chat quiet this long ends its workflow; its next message starts a new one (signal-with-start). */
const idleFor = '1h';

/**
 * A chat the account answers with AI. Messages arrive as signals; they are collected until the chat goes quiet
 * (or the batch is old enough), then answered with one AI call and one message. The owner's `interrupt` cancels an
 * answer being generated; messages that arrive meanwhile make the next batch.
 */
export async function chatWorkflow({ accountId, chatId, batching, carried = [] }: ChatInput): Promise<void> {
  const settings = { ...defaults, ...batching };
  const firstWaitMs = inputDurationMs(settings.firstWait, 'batching.firstWait');
  const quietMs = inputDurationMs(settings.quiet, 'batching.quiet');
  const maxWaitMs = inputDurationMs(settings.maxWait, 'batching.maxWait');
  const inbox: TelegramMessage[] = [...carried];
  const seen = new Set(inbox.map((m) => m.messageId));
  const status: ChatStatusView = { state: 'idle', waiting: inbox.length, answered: 0, interrupted: 0 };
  let generation: CancellationScope | undefined;
  setHandler(chatStatusQuery, () => ({ ...status, waiting: inbox.length }));
  setHandler(chatMessageSignal, (message) => {
    if (seen.has(message.messageId)) return; // a message handed over twice (a reconnect's catch-up)
    seen.add(message.messageId);
    inbox.push(message);
  });
  setHandler(chatInterruptSignal, () => generation?.cancel());
  let answers = 0; // this run's answers, for their send keys

  for (;;) {
    status.state = 'idle';
    if (!(await condition(() => inbox.length > 0, idleFor))) return;
    const batch = await collect();
    status.state = 'generating';
    generation = new CancellationScope();
    try {
      const messages = batch.map(({ senderId, text }) => ({ senderId, text }));
      const text = await generation.run(() => generateChatAnswer({ accountId, chatId, messages }));
      generation = undefined;
      status.state = 'sending';
      // Shipped histories sent over a connection of their own: patched() keeps them replaying as recorded.
      if (patched('chat-answer-over-session')) await answer(text);
      else await sendChatMessage({ accountId, chatId, text });
      status.answered += 1;
      countChatBatch(batch.length);
    } catch (err) {
      if (!isCancellation(err)) {
        // The batch goes unanswered, but the chat goes on; the owner hears why (retries could not cure it).
        const failure = deadLetter(err);
        countDeadLetter(failure.type ?? 'upstream');
        status.lastError = failure.message;
        log.error('chat answer failed', { accountId, chatId, error: status.lastError });
        await notifyOwnerOfDeadLetter(
          accountId,
          `the AI answer to ${batch.length} message(s) in chat ${chatId}`,
          failure,
        );
      } else status.interrupted += 1;
    } finally {
      generation = undefined;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof chatWorkflow>({ accountId, chatId, batching, carried: inbox.splice(0) });
    }
  }

  /**
   * The answer goes over the account's live session where a worker holds it (the session activity's worker), so no
   * second connection is made with the account's key; over a connection of its own while none does.
   */
  function answer(text: string): Promise<void> {
    answers += 1;
    const key = `${workflowInfo().workflowId}/${workflowInfo().runId}/answer-${answers}`;
    return overLiveSession({
      host: async () => (await locateSession({ accountId })).hostQueue,
      viaHost: (taskQueue) =>
        proxyActivities<Activities>({ ...policies.liveSessionSend, taskQueue }).sendAsAccount({
          accountId,
          chatId,
          text,
          key,
        }),
      ownConnection: async () => void (await sendChatMessage({ accountId, chatId, text, key })),
    });
  }

  /** The messages of one batch: until the chat is quiet for a while, or the batch has waited long enough. */
  async function collect(): Promise<TelegramMessage[]> {
    status.state = 'collecting';
    const closesAt = Date.now() + maxWaitMs;
    let window = firstWaitMs;
    for (;;) {
      const count = inbox.length;
      const left = closesAt - Date.now();
      if (left <= 0) break;
      if (!(await condition(() => inbox.length > count, Math.min(window, left)))) break;
      window = quietMs;
    }
    return inbox.splice(0);
  }
}
