import { generate } from 'selfsigned';
import { startSimulator, type RunningSimulator, type SimulatorResponse } from './http-simulator';

/**
 * A subset of the X API v2 over HTTPS (twitter-api-v2 always uses https.request), with a certificate generated at
 * start-up that only the sandbox's adapter trusts. `POST /2/tweets` posts (a reply with `reply.in_reply_to_tweet_id`),
 * answering X's 403 for duplicate content; every answer carries X's rate-limit headers. The author is the account
 * whose access token signed the request: sandbox tokens are `sandbox-token-<accountId>`.
 */
export interface XTweet {
  id: string;
  text: string;
  authorUsername: string;
  in_reply_to?: string;
}

const windowSeconds = 15 * 60;

export async function startXSimulator(port = 0): Promise<RunningSimulator & { ca: string }> {
  const tweets: XTweet[] = [];
  let nextId = BigInt(Date.now()) * 1_000_000n;
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

  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
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

  const simulator = await startSimulator(
    {
      state: () => ({ tweets }),
      rateLimited: (resetSeconds) => ({
        ...problem(429, 'Too Many Requests', 'Too Many Requests'),
        headers: limitHeaders(0, String(Math.ceil(Date.now() / 1000 + resetSeconds))),
      }),
      failed: (status) =>
        problem(status, status >= 500 ? 'Internal Server Error' : 'Invalid Request', `Simulated ${status}`),
      control: ({ method, path, body }) => {
        if (method !== 'POST' || path !== '/_sandbox/x/tweets') return undefined;
        const { authorUsername, text } = (body ?? {}) as { authorUsername?: unknown; text?: unknown };
        if (typeof authorUsername !== 'string' || typeof text !== 'string') {
          return { status: 400, body: { error: 'authorUsername and text (strings) are required' } };
        }
        const tweet = { id: newId(), text, authorUsername };
        tweets.push(tweet);
        return { status: 201, body: { id: tweet.id } };
      },
      handle: ({ method, path, headers, body }) => {
        if (method !== 'POST' || path !== '/2/tweets') return problem(404, 'Not Found Error', `No route ${path}`);
        const author = /oauth_token="sandbox-token-([\w-]+)"/.exec(headers.authorization ?? '')?.[1];
        if (!author) return problem(401, 'Unauthorized', 'Unauthorized');
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
      },
    },
    port,
    { key: pems.private, cert: pems.cert },
  );
  return { ...simulator, ca: pems.cert };
}
