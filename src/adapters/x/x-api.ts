import { ApplicationFailure } from '@temporalio/common';
import { ApiResponseError, TwitterApi } from 'twitter-api-v2';
import type { AccountStore } from '../../ports/account-store';
import type { XTweetView } from '../../domain/contracts';
import type { XPort } from '../../ports/x';
import { permanentFailure, retryAfterFailure } from '../../domain/failure-vocabulary';
import { classifyXError, isDuplicateContent, needsAuthorisation } from './classify';
import { xRouting } from './x-routing';

/** How long an attempt whose access token expired waits for the refresh it asked for. */
const refreshWaitMs = 3_000;

/** A client signed as an account, and how. */
interface Signed {
  accountId: string;
  oauth2: boolean;
  client: TwitterApi;
}

/** X's largest page for a user's timeline. */
const pageSize = 100;

interface TimelinePage {
  data?: { id: string; text: string; referenced_tweets?: { type: string; id: string }[] }[];
  meta?: { newest_id?: string; next_token?: string };
  errors?: { detail?: string }[];
}

export interface XSettings {
  /** The app's OAuth 1.0a consumer key and secret: needed by the accounts that sign in with OAuth 1.0a only. */
  appKey: string | undefined;
  appSecret: string | undefined;
  /**
   * The account's user tokens, read from the account store, never passed through Temporal: OAuth 2.0 where it has
   * them, else OAuth 1.0a.
   */
  accounts: Pick<AccountStore, 'xTokens' | 'xOAuth2'>;
  /** Asks the account's token refresher (xTokenWorkflow) to refresh now: its access token expired. */
  askRefresh?: (accountId: string) => Promise<void>;
  /** The API v2 prefix, e.g. the simulator's `https://127.0.0.1:PORT/2/`; default X's own (x-routing.ts). */
  baseUrl?: string;
  /** A certificate to trust besides the system's: the sandbox simulator's, in sandbox mode only. */
  ca?: string;
  /** Per request; below the activity's 15 s startToClose. */
  timeoutMs?: number;
}

/** The X port over twitter-api-v2 (OAuth 2.0 or 1.0a user context). The library retries nothing unless given a plugin. */
export function createXPort(settings: XSettings): XPort {
  const { appKey, appSecret, accounts, askRefresh = async () => undefined, baseUrl, ca, timeoutMs = 12_000 } = settings;
  const { prefix, settings: clientSettings } = xRouting(baseUrl, { ca, timeoutMs });
  /** A client signed as the account: OAuth 2.0 (a bearer token) where it has one, else OAuth 1.0a. */
  const clientFor = async (accountId: string): Promise<Signed> => {
    try {
      const oauth2 = await accounts.xOAuth2(accountId);
      if (!oauth2) {
        const tokens = await accounts.xTokens(accountId);
        if (!appKey || !appSecret) {
          throw permanentFailure(
            'auth',
            `X_API_KEY and X_API_SECRET are needed for the OAuth 1.0a login of ${accountId}: set them, or connect it with OAuth 2.0 (\`steadfast account connect-x ${accountId}\`)`,
          );
        }
        return { accountId, oauth2: false, client: new TwitterApi({ appKey, appSecret, ...tokens }, clientSettings) };
      }
      if (oauth2.refused) throw needsAuthorisation(accountId, oauth2.refused);
      if (oauth2.expiresAt <= Date.now()) throw await expired(accountId);
      return { accountId, oauth2: true, client: new TwitterApi(oauth2.accessToken, clientSettings) };
    } catch (err) {
      throw err instanceof ApplicationFailure ? err : classifyXError(err);
    }
  };
  /**
   * An OAuth 2.0 access token X no longer takes (expired, or refused with 401): the refresher is asked to refresh now,
   * and the attempt is retried once it will have. The tokens never appear in the failure.
   */
  const expired = async (accountId: string) => {
    await askRefresh(accountId);
    return retryAfterFailure(
      'auth-expired',
      `X OAuth 2.0 access token of ${accountId} expired: its refresh is asked for, and this is retried after it`,
      refreshWaitMs,
    );
  };
  const classify = async (signed: Signed, err: unknown) =>
    signed.oauth2 && err instanceof ApiResponseError && err.code === 401
      ? await expired(signed.accountId)
      : classifyXError(err);
  const get = async <T>(signed: Signed, path: string, query: Record<string, string>) => {
    try {
      return await signed.client.v2.get<T>(path, query, { prefix, timeout: timeoutMs });
    } catch (err) {
      throw await classify(signed, err);
    }
  };
  // User ids never change: one lookup per account and per watched username for the life of the worker.
  const ownUserIds = new Map<string, string>();
  const userIds = new Map<string, string>();

  /**
   * A user's timeline, newest first, page after page until X has no more (`next_token`). X answers a user it no
   * longer has (suspended, deleted) with 200 and an `errors` list instead of `data`.
   */
  async function* timeline(client: Signed, userId: string, query: Record<string, string>) {
    let paginationToken: string | undefined;
    do {
      const page = await get<TimelinePage>(client, `users/${userId}/tweets`, {
        max_results: String(pageSize),
        ...query,
        ...(paginationToken ? { pagination_token: paginationToken } : {}),
      });
      if (!page.data && page.errors?.length) {
        throw permanentFailure('not-found', `X API: ${page.errors[0]?.detail ?? `no user ${userId}`}`);
      }
      yield page;
      paginationToken = page.meta?.next_token;
    } while (paginationToken);
  }

  return {
    async postReply({ accountId, inReplyToTweetId, text }) {
      const client = await clientFor(accountId);
      try {
        const posted = await client.client.v2.post<{ data: { id: string } }>(
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
        throw await classify(client, err);
      }
    },

    /**
     * Reads our own timeline since the tweet replied to, rather than recent search. Tweet ids grow with time, so
     * `since_id` lists only what the account posted after that tweet: usually a handful, one request. The timeline is
     * the account's own record, while search is an index that may not show yet a reply posted seconds ago, which is
     * exactly what a retry after a lost answer asks about; the timeline also has the larger per-user rate limit
     * (900 against 300 requests per 15 minutes). `conversation_id:` would miss a reply to a tweet that is itself a
     * reply: the conversation is the thread's root.
     */
    async findReply({ accountId, inReplyToTweetId }) {
      const client = await clientFor(accountId);
      let me = ownUserIds.get(accountId);
      if (!me) {
        me = (await get<{ data: { id: string } }>(client, 'users/me', {})).data.id;
        ownUserIds.set(accountId, me);
      }
      const query = { since_id: inReplyToTweetId, 'tweet.fields': 'referenced_tweets' };
      for await (const page of timeline(client, me, query)) {
        const reply = page.data?.find((tweet) =>
          tweet.referenced_tweets?.some((ref) => ref.type === 'replied_to' && ref.id === inReplyToTweetId),
        );
        if (reply) return { id: reply.id, text: reply.text };
      }
      return null;
    },

    async whoAmI(accountId) {
      const client = await clientFor(accountId);
      const { data } = await get<{ data: { id: string; username: string } }>(client, 'users/me', {});
      ownUserIds.set(accountId, data.id);
      return { username: data.username, oauth: client.oauth2 ? 'OAuth 2.0' : 'OAuth 1.0a' };
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
      const tweets: XTweetView[] = [];
      let newestId: string | undefined;
      const query = { exclude: 'replies,retweets', ...(sinceId ? { since_id: sinceId } : {}) };
      for await (const page of timeline(client, userId, query)) {
        newestId ??= page.meta?.newest_id;
        tweets.push(
          ...(page.data ?? []).map((tweet) => ({ id: tweet.id, text: tweet.text, authorUsername: username })),
        );
        // Since a cursor, every page: the caller moves its cursor to `newestId`, so a burst longer than one page
        // must not slip behind it. Without one (a first poll marks where a watch begins), the newest page is enough.
        if (!sinceId) break;
      }
      return { tweets, newestId };
    },
  };
}
