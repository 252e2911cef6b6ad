import type { AiPort } from '../ports/ai';
import type { Tweet } from '../workflows/contracts';

export function createAiActivities(ai: AiPort) {
  return {
    async generateReply(request: { accountId: string; tweet: Tweet }): Promise<{ text: string }> {
      return { text: await ai.draftReply(request) };
    },
  };
}
