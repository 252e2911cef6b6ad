import { Context } from '@temporalio/activity';
import type { AiPort } from '../ports/ai';
import type { Tweet } from '../workflows/contracts';

export function createAiActivities(ai: AiPort) {
  return {
    async generateReply(request: { accountId: string; tweet: Tweet }): Promise<{ text: string; attempt: number }> {
      return { text: await ai.draftReply(request), attempt: Context.current().info.attempt };
    },
  };
}
