import { Context } from '@temporalio/activity';
import type { XPort } from '../ports/x';

export function createXActivities(x: XPort) {
  return {
    /**
     * Posts our reply to a tweet at most once. X has no idempotency key, and a timeout, a reset connection or a
     * crashed worker leaves it unknown whether the last attempt posted; so every attempt first asks X for our reply
     * to this tweet (one read), and posts only when there is none.
     */
    async postReply(request: {
      accountId: string;
      inReplyToTweetId: string;
      text: string;
    }): Promise<{ replyTweetId: string; attempt: number }> {
      const { attempt } = Context.current().info;
      const existing = await x.findReply(request);
      if (existing) return { replyTweetId: existing.id, attempt };
      const posted = await x.postReply(request);
      return { replyTweetId: posted.id, attempt };
    },

    /** New original tweets of a watched account since the last one seen. */
    async recentTweets(request: { accountId: string; username: string; sinceId?: string }) {
      return x.recentTweets(request);
    },
  };
}
