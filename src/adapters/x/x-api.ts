import { Agent } from 'node:https';
import { TwitterApi } from 'twitter-api-v2';
import type { XPort } from '../../ports/x';
import { permanentFailure } from '../../activities/failures';
import { classifyXError, isDuplicateContent } from './classify';

export interface XSettings {
  appKey: string;
  appSecret: string;
  /** The account's OAuth 1.0a user tokens, read from the account store: never passed through Temporal. */
  tokensFor: (accountId: string) => Promise<{ accessToken: string; accessSecret: string }>;
  /** The API v2 prefix, e.g. the simulator's `https://127.0.0.1:PORT/2/`; default X's own. */
  baseUrl?: string;
  /** A certificate to trust besides the system's: the sandbox simulator's, in sandbox mode only. */
  ca?: string;
  /** Per request; below the activity's 15 s startToClose. */
  timeoutMs?: number;
}

/** The X port over twitter-api-v2 (OAuth 1.0a user context). The library retries nothing unless given a plugin. */
export function createXPort({ appKey, appSecret, tokensFor, baseUrl, ca, timeoutMs = 12_000 }: XSettings): XPort {
  const httpAgent = new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  const prefix = baseUrl ?? 'https://api.x.com/2/';
  const clientFor = async (accountId: string) => {
    try {
      return new TwitterApi({ appKey, appSecret, ...(await tokensFor(accountId)) }, { httpAgent });
    } catch (err) {
      throw classifyXError(err);
    }
  };
  const get = async <T>(client: TwitterApi, path: string, query: Record<string, string>) => {
    try {
      return await client.v2.get<T>(path, query, { prefix, timeout: timeoutMs });
    } catch (err) {
      throw classifyXError(err);
    }
  };
  // User ids never change: one lookup per account and per watched username for the life of the worker.
  const ownUsernames = new Map<string, string>();
  const userIds = new Map<string, string>();

  return {
    async postReply({ accountId, inReplyToTweetId, text }) {
      const client = await clientFor(accountId);
      try {
        const posted = await client.v2.post<{ data: { id: string } }>(
          'tweets',
          { text, reply: { in_reply_to_tweet_id: inReplyToTweetId } },
          { prefix, timeout: timeoutMs },
        );
        return { id: posted.data.id };
      } catch (err) {
        // X refuses the same text twice with a 403: if that text is our reply to this tweet, it is posted already.
        if (isDuplicateContent(err)) {
          const existing = await this.findReply({ accountId, inReplyToTweetId });
          if (existing) return { id: existing.id };
        }
        throw classifyXError(err);
      }
    },

    async findReply({ accountId, inReplyToTweetId }) {
      const client = await clientFor(accountId);
      let username = ownUsernames.get(accountId);
      if (!username) {
        username = (await get<{ data: { username: string } }>(client, 'users/me', {})).data.username;
        ownUsernames.set(accountId, username);
      }
      // Search names both the author and the tweet replied to, so one request answers, however busy the account.
      const found = await get<{ data?: { id: string; text: string }[] }>(client, 'tweets/search/recent', {
        query: `in_reply_to_tweet_id:${inReplyToTweetId} from:${username}`,
        'tweet.fields': 'referenced_tweets',
        max_results: '10',
      });
      const reply = found.data?.[0];
      return reply ? { id: reply.id, text: reply.text } : null;
    },

    async recentTweets({ accountId, username, sinceId }) {
      const client = await clientFor(accountId);
      let userId = userIds.get(username);
      if (!userId) {
        const user = await get<{ data?: { id: string } }>(
          client,
          `users/by/username/${encodeURIComponent(username)}`,
          {},
        );
        // X answers an unknown username with 200 and an `errors` list instead of `data`.
        if (!user.data) throw permanentFailure('not-found', `X has no user @${username}: check the watched account`);
        userId = user.data.id;
        userIds.set(username, userId);
      }
      const timeline = await get<{ data?: { id: string; text: string }[]; meta: { newest_id?: string } }>(
        client,
        `users/${userId}/tweets`,
        { exclude: 'replies,retweets', max_results: '20', ...(sinceId ? { since_id: sinceId } : {}) },
      );
      return {
        tweets: (timeline.data ?? []).map((tweet) => ({ id: tweet.id, text: tweet.text, authorUsername: username })),
        newestId: timeline.meta.newest_id,
      };
    },
  };
}
