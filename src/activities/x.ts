import { Context } from '@temporalio/activity';
import type { XPort } from '../ports/x';

export function createXActivities(x: XPort) {
  return {
    /**
     * Posts our reply to a tweet at most once. X has no idempotency key, and a timeout, a reset connection or a
     * crashed worker leaves it unknown whether the last attempt posted; so every retried attempt, and every attempt
     * of a run that may follow one that posted (`earlierMayHavePosted`, true unless the workflow knows better), first
     * asks X for our reply to this tweet (one read, X quota), and posts only when there is none.
     */
    async postReply(request: {
      accountId: string;
      inReplyToTweetId: string;
      text: string;
      earlierMayHavePosted?: boolean;
    }): Promise<{ replyTweetId: string; attempt: number }> {
      const { attempt } = Context.current().info;
      const { earlierMayHavePosted = true, ...reply } = request;
      if (attempt > 1 || earlierMayHavePosted) {
        const existing = await x.findReply(reply);
        if (existing) return { replyTweetId: existing.id, attempt };
      }
      const posted = await x.postReply(reply);
      return { replyTweetId: posted.id, attempt };
    },

    /** New original tweets of a watched account since the last one seen. */
    async recentTweets(request: { accountId: string; username: string; sinceId?: string }) {
      return x.recentTweets(request);
    },
  };
}
