import type { XPort } from '../ports/x';

export function createXActivities(x: XPort) {
  return {
    async postReply(request: {
      accountId: string;
      inReplyToTweetId: string;
      text: string;
    }): Promise<{ replyTweetId: string }> {
      const posted = await x.postReply(request);
      return { replyTweetId: posted.id };
    },
  };
}
