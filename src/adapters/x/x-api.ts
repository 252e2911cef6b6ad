import { Agent } from 'node:https';
import { TwitterApi } from 'twitter-api-v2';
import type { XPort } from '../../ports/x';
import { classifyXError } from './classify';

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
  return {
    async postReply({ accountId, inReplyToTweetId, text }) {
      const tokens = await tokensFor(accountId);
      const client = new TwitterApi({ appKey, appSecret, ...tokens }, { httpAgent });
      try {
        const posted = await client.v2.post<{ data: { id: string } }>(
          'tweets',
          { text, reply: { in_reply_to_tweet_id: inReplyToTweetId } },
          { prefix, timeout: timeoutMs },
        );
        return { id: posted.data.id };
      } catch (err) {
        throw classifyXError(err);
      }
    },
  };
}
