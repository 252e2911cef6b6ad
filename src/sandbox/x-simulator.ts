import { generate } from 'selfsigned';
import { startSimulator, type RunningSimulator, type SimulatorResponse } from './http-simulator';
import { createXOAuth1 } from './x-oauth1';
import { createXOAuth2 } from './x-oauth2';
import { keptState } from './kept-state';

/**
 * A subset of the X API v2 over HTTPS (twitter-api-v2 always uses https.request), with a certificate generated at
 * start-up that only the sandbox's adapter trusts. `POST /2/tweets` posts (a reply with `reply.in_reply_to_tweet_id`),
 * answering X's 403 for duplicate content; `GET /2/users/me`, `/2/users/by/username/:username` and
 * `/2/users/:id/tweets` (since_id, exclude=replies) read them back, newest first, a page at a time with X's
 * `next_token`, and with only the `tweet.fields` asked for. Every answer carries X's rate-limit headers. The author is
 * the X user whose token signed the request: an OAuth 1.0a signature checked against the app's and the token's
 * secrets (x-oauth1.ts: the PIN flow's tokens, and the sandbox's pre-issued `sandbox-token-<username>`), or an OAuth
 * 2.0 bearer token it issued (x-oauth2.ts, with X's consent page and PKCE). Anything else is X's 401.
 */
export interface XTweet {
  id: string;
  text: string;
  authorUsername: string;
  in_reply_to?: string;
}

const windowSeconds = 15 * 60;

/** The simulator's TLS key and self-signed certificate (PEM), kept so a restarted sandbox keeps its clients' trust. */
export interface XSimulatorTls {
  key: string;
  cert: string;
}

/** What a restart keeps (with a data file): the tweets, where ids go on from, and the tokens issued. */
interface KeptX {
  tweets: XTweet[];
  nextId: string;
  oauth1: Parameters<ReturnType<typeof createXOAuth1>['restore']>[0];
  oauth2: Parameters<ReturnType<typeof createXOAuth2>['restore']>[0];
}

export async function startXSimulator(
  port = 0,
  tls?: XSimulatorTls,
  options: { dataFile?: string } = {},
): Promise<RunningSimulator & { ca: string; tls: XSimulatorTls }> {
  const tweets: XTweet[] = [];
  const oauth1 = createXOAuth1();
  const oauth2 = createXOAuth2();
  let nextId = BigInt(Date.now()) * 1_000_000n;
  // X never forgets a tweet, nor reuses an id: a restarted sandbox keeps them, and its tokens.
  const kept = keptState<KeptX>(options.dataFile, () => ({
    tweets,
    nextId: String(nextId),
    oauth1: oauth1.kept(),
    oauth2: oauth2.kept(),
  }));
  const earlier = kept.load();
  if (earlier) {
    tweets.push(...earlier.tweets);
    nextId = BigInt(earlier.nextId) > nextId ? BigInt(earlier.nextId) : nextId;
    oauth1.restore(earlier.oauth1);
    oauth2.restore(earlier.oauth2);
  }
  const newId = () => String((nextId += 1n));
  const resetAt = () => String(Math.ceil(Date.now() / 1000) + windowSeconds);
  const limitHeaders = (remaining: number, reset = resetAt()) => ({
    'x-rate-limit-limit': '200',
    'x-rate-limit-remaining': String(remaining),
    'x-rate-limit-reset': reset,
  });
  const problem = (status: number, title: string, detail: string): SimulatorResponse => ({
    status,
    headers: limitHeaders(199),
    body: { title, detail, type: 'about:blank', status },
  });

  const pems = tls
    ? { private: tls.key, cert: tls.cert }
    : await generate([{ name: 'commonName', value: '127.0.0.1' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
        extensions: [
          { name: 'basicConstraints', cA: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 7, ip: '127.0.0.1' },
              { type: 2, value: 'localhost' },
            ],
          },
        ],
      });

  const ok = (body: unknown): SimulatorResponse => ({ status: 200, headers: limitHeaders(199), body });
  // Stable numeric user ids, as X's are: derived from the username.
  const userId = (username: string) =>
    String(1_000_000 + [...username].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000_007, 7));
  const user = (username: string) => ({ id: userId(username), name: username, username });
  const knownUsers = () => new Set(['alice', 'bob', ...tweets.map((tweet) => tweet.authorUsername)]);
  const byId = (id: string | undefined) => tweets.find((tweet) => tweet.id === id);
  const conversationOf = (tweet: XTweet): string => {
    const parent = byId(tweet.in_reply_to);
    return parent ? conversationOf(parent) : tweet.id;
  };
  /** A tweet as X shows it: id, text and edit history, plus only the `tweet.fields` asked for. */
  const view = (tweet: XTweet, fields: string[]) => {
    const parent = byId(tweet.in_reply_to);
    const extra: Record<string, unknown> = {
      author_id: userId(tweet.authorUsername),
      conversation_id: conversationOf(tweet),
      ...(tweet.in_reply_to ? { referenced_tweets: [{ type: 'replied_to', id: tweet.in_reply_to }] } : {}),
      ...(parent ? { in_reply_to_user_id: userId(parent.authorUsername) } : {}),
    };
    return {
      id: tweet.id,
      text: tweet.text,
      edit_history_tweet_ids: [tweet.id],
      ...Object.fromEntries(Object.entries(extra).filter(([field]) => fields.includes(field))),
    };
  };
  /** X's answer to a query parameter out of range. */
  const invalidParameter = (name: string, value: string, message: string): SimulatorResponse => ({
    status: 400,
    headers: limitHeaders(199),
    body: {
      errors: [{ parameters: { [name]: [value] }, message }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    },
  });
  /**
   * One page of a timeline, newest first as X lists tweets, with `meta` as X gives it: no `data` at all when nothing
   * matches, and a `next_token` (opaque to clients; here the page's oldest id) while older matches remain, which the
   * next request passes as `pagination_token`.
   */
  const page = (matching: XTweet[], query: URLSearchParams) => {
    const maxResults = Number(query.get('max_results') ?? 10);
    if (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 100) {
      const value = query.get('max_results') ?? '';
      return invalidParameter(
        'max_results',
        value,
        `The \`max_results\` query parameter value [${value}] is not between 5 and 100`,
      );
    }
    const token = query.get('pagination_token');
    const olderThan = token ? Buffer.from(token, 'base64url').toString() : undefined;
    if (olderThan !== undefined && !/^\d+$/.test(olderThan)) {
      return invalidParameter(
        'pagination_token',
        token ?? '',
        'The `pagination_token` query parameter value is invalid',
      );
    }
    const newestFirst = matching
      .filter((tweet) => olderThan === undefined || BigInt(tweet.id) < BigInt(olderThan))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    const shown = newestFirst.slice(0, maxResults);
    if (shown.length === 0) return ok({ meta: { result_count: 0 } });
    const oldest = shown[shown.length - 1]?.id ?? '';
    const fields = (query.get('tweet.fields') ?? '').split(',');
    return ok({
      data: shown.map((tweet) => view(tweet, fields)),
      meta: {
        result_count: shown.length,
        newest_id: shown[0]?.id,
        oldest_id: oldest,
        ...(newestFirst.length > shown.length ? { next_token: Buffer.from(oldest).toString('base64url') } : {}),
      },
    });
  };
  /** X answers a lookup of a user it does not have with 200 and an `errors` list, and no `data`. */
  const noSuchUser = (parameter: 'username' | 'id', value: string) =>
    ok({
      errors: [
        {
          value,
          detail: `Could not find user with ${parameter}: [${value}].`,
          title: 'Not Found Error',
          resource_type: 'user',
          parameter,
          resource_id: value,
          type: 'https://api.twitter.com/2/problems/resource-not-found',
        },
      ],
    });
  const post = (author: string, body: unknown): SimulatorResponse => {
    const request = (body ?? {}) as { text?: unknown; reply?: { in_reply_to_tweet_id?: unknown } };
    if (typeof request.text !== 'string' || request.text.length === 0 || request.text.length > 280) {
      return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.');
    }
    const inReplyTo = request.reply?.in_reply_to_tweet_id;
    if (inReplyTo !== undefined && !tweets.some((tweet) => tweet.id === inReplyTo)) {
      return problem(400, 'Invalid Request', 'The tweet you are replying to does not exist.');
    }
    if (tweets.some((tweet) => tweet.authorUsername === author && tweet.text === request.text)) {
      return problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.');
    }
    const tweet: XTweet = { id: newId(), text: request.text, authorUsername: author };
    if (typeof inReplyTo === 'string') tweet.in_reply_to = inReplyTo;
    tweets.push(tweet);
    return { status: 201, headers: limitHeaders(199), body: { data: { id: tweet.id, text: tweet.text } } };
  };

  const simulator = await startSimulator(
    {
      state: () => ({ tweets, oauth1: oauth1.state(), oauth2: oauth2.state() }),
      rateLimited: (resetSeconds) => ({
        ...problem(429, 'Too Many Requests', 'Too Many Requests'),
        headers: limitHeaders(0, String(Math.ceil(Date.now() / 1000 + resetSeconds))),
      }),
      failed: (status) =>
        problem(status, status >= 500 ? 'Internal Server Error' : 'Invalid Request', `Simulated ${status}`),
      control: (request) => {
        kept.changed();
        const { method, path, body } = request;
        if (path.startsWith('/_sandbox/x/oauth2/')) return oauth2.control(request);
        if (method !== 'POST' || path !== '/_sandbox/x/tweets') return undefined;
        const { authorUsername, text } = (body ?? {}) as { authorUsername?: unknown; text?: unknown };
        if (typeof authorUsername !== 'string' || typeof text !== 'string') {
          return { status: 400, body: { error: 'authorUsername and text (strings) are required' } };
        }
        const tweet = { id: newId(), text, authorUsername };
        tweets.push(tweet);
        return { status: 201, body: { id: tweet.id } };
      },
      handle: (request) => {
        if (request.method !== 'GET') kept.changed();
        const { method, path, query, headers, body } = request;
        // The URL the client called and signed: this simulator is X's HTTPS origin at the Host it was asked for.
        const url = `https://${headers.host ?? '127.0.0.1'}${path}`;
        if (method === 'POST' && path === '/2/oauth2/token') return oauth2.token(request);
        if (path === '/i/oauth2/authorize') return oauth2.consent(request);
        const oauth1Flow = oauth1.route(request, url);
        if (oauth1Flow) return oauth1Flow;
        const bearer = oauth2.bearer(headers.authorization);
        if (bearer === 'expired') return problem(401, 'Unauthorized', 'Unauthorized');
        const signed = bearer ? undefined : oauth1.signedUser(request, url);
        const author = bearer?.accountId ?? (signed === 'refused' ? undefined : signed?.username);
        if (!author) return problem(401, 'Unauthorized', 'Unauthorized');
        if (method === 'POST' && path === '/2/tweets') return post(author, body);
        if (method !== 'GET') return problem(404, 'Not Found Error', `No route ${method} ${path}`);
        if (path === '/2/users/me') return ok({ data: user(author) });
        const byUsername = /^\/2\/users\/by\/username\/([\w]+)$/.exec(path)?.[1];
        if (byUsername)
          return knownUsers().has(byUsername) ? ok({ data: user(byUsername) }) : noSuchUser('username', byUsername);
        const timelineOf = /^\/2\/users\/(\d+)\/tweets$/.exec(path)?.[1];
        if (timelineOf) {
          const username = [...knownUsers()].find((name) => userId(name) === timelineOf);
          if (!username) return noSuchUser('id', timelineOf);
          const exclude = (query.get('exclude') ?? '').split(',');
          const sinceId = query.get('since_id');
          if (sinceId && !/^\d+$/.test(sinceId)) {
            return invalidParameter(
              'since_id',
              sinceId,
              `The \`since_id\` query parameter value [${sinceId}] is not valid`,
            );
          }
          const matching = tweets.filter(
            (tweet) =>
              tweet.authorUsername === username &&
              !(exclude.includes('replies') && tweet.in_reply_to) &&
              (!sinceId || BigInt(tweet.id) > BigInt(sinceId)),
          );
          return page(matching, query);
        }
        return problem(404, 'Not Found Error', `No route ${path}`);
      },
    },
    port,
    { key: pems.private, cert: pems.cert },
  );
  return {
    ...simulator,
    ca: pems.cert,
    tls: { key: pems.private, cert: pems.cert },
    close: async () => {
      await simulator.close();
      kept.flush();
    },
  };
}
