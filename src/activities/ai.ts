import { Context } from '@temporalio/activity';
import type { AiPort } from '../ports/ai';
import type { Tweet } from '../domain/contracts';

export function createAiActivities(ai: AiPort) {
  return {
    async generateReply(request: {
      accountId: string;
      tweet: Tweet;
      avoid?: string[];
    }): Promise<{ text: string; attempt: number }> {
      return { text: await ai.draftReply(request), attempt: Context.current().info.attempt };
    },
    /** Heartbeats while it waits, so that a cancellation (the owner's interrupt) reaches it at once. */
    async generateChatAnswer(request: {
      accountId: string;
      chatId: string;
      messages: { senderId: string; text: string }[];
    }): Promise<string> {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 1_000);
      try {
        return await ai.answerChat({ ...request, signal: context.cancellationSignal });
      } catch (err) {
        if (context.cancellationSignal.aborted) await context.cancelled; // rejects: report the cancellation itself
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
