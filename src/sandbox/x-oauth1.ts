import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimulatorRequest, SimulatorResponse } from './http-simulator';

/** The sandbox's X app for OAuth 1.0a: its consumer key and secret (X_API_KEY, X_API_SECRET on the sandbox). */
export const sandboxXApp = { apiKey: 'sandbox', apiSecret: 'sandbox' };

/**
 * The sandbox's pre-issued user tokens: `sandbox-token-<username>` with this secret signs as that X user, so the
 * sandbox accounts (and tests' own) post without a PIN flow first.
 */
export const sandboxUserTokenSecret = 'sandbox';

/**
 * X's OAuth 1.0a, as the X simulator checks and issues it (RFC 5849, HMAC-SHA1): every request's signature is
 * checked against the app's consumer secret and the user token's secret, over the method, the URL called and its
 * parameters (the query, a form body, the oauth_* ones), and refused with X's 401 when it does not match. The PIN flow
 * (`POST /oauth/request_token` with oauth_callback=oob, the `/oauth/authorize` page that shows the PIN once the user
 * consents, `POST /oauth/access_token` with the verifier) issues a user's token and secret.
 */
export function createXOAuth1() {
  const apps = new Map([[sandboxXApp.apiKey, sandboxXApp.apiSecret]]);
  /** Issued user tokens, and request tokens waiting for the user's consent. */
  const tokens = new Map<string, { secret: string; username: string }>();
  const requests = new Map<string, { secret: string; consumerKey: string; verifier?: string; username?: string }>();
  const counts = { refused: 0, issued: 0 };
  const token = () => randomBytes(24).toString('base64url');

  /** The oauth_* parameters of an `Authorization: OAuth …` header. */
  const header = (authorization: string | undefined) => {
    if (!authorization?.startsWith('OAuth ')) return undefined;
    const fields = new Map<string, string>();
    for (const [, key, value] of authorization.slice(6).matchAll(/([\w]+)="([^"]*)"/g)) {
      fields.set(key!, decodeURIComponent(value!));
    }
    return fields;
  };

  /**
   * The request's signer, if its signature holds: the consumer key, and the user token and whose it is (a request
   * token while the PIN flow runs). Undefined: X's 401.
   */
  const verify = (request: SimulatorRequest, url: string) => {
    const fields = header(request.headers.authorization);
    const consumerKey = fields?.get('oauth_consumer_key');
    const consumerSecret = consumerKey ? apps.get(consumerKey) : undefined;
    if (!fields || !consumerSecret || fields.get('oauth_signature_method') !== 'HMAC-SHA1') return undefined;
    const tokenKey = fields.get('oauth_token');
    const user =
      tokenKey === undefined
        ? undefined
        : (tokens.get(tokenKey) ??
          preIssued(tokenKey) ??
          (requests.has(tokenKey) ? { secret: requests.get(tokenKey)!.secret, username: '' } : undefined));
    if (tokenKey !== undefined && !user) return undefined;
    const parameters: [string, string][] = [...fields].filter(([key]) => key !== 'oauth_signature' && key !== 'realm');
    parameters.push(...request.query);
    if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      parameters.push(...Object.entries((request.body ?? {}) as Record<string, string>));
    }
    // A parameter given twice with one value (oauth_token in the header and the form, as twitter-api-v2 sends it to
    // /oauth/access_token) is signed once: what X accepts of its clients.
    const normalised = [...new Set(parameters.map(([key, value]) => `${encode(key)}=${encode(value)}`))]
      .map((pair) => pair.split('='))
      .sort(([a, x], [b, y]) => (a === b ? (x! < y! ? -1 : 1) : a! < b! ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    const base = [request.method.toUpperCase(), encode(url), encode(normalised)].join('&');
    const signingKey = `${encode(consumerSecret)}&${encode(user?.secret ?? '')}`;
    const expected = createHmac('sha1', signingKey).update(base).digest();
    const given = Buffer.from(fields.get('oauth_signature') ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return { consumerKey, tokenKey, username: user?.username, fields };
  };
  const preIssued = (tokenKey: string) => {
    const username = /^sandbox-token-([\w-]+)$/.exec(tokenKey)?.[1];
    return username ? { secret: sandboxUserTokenSecret, username } : undefined;
  };
  /** X's answer to a request it cannot authenticate. */
  const unauthorized = (): SimulatorResponse => {
    counts.refused++;
    return { status: 401, body: { errors: [{ message: 'Could not authenticate you', code: 32 }] } };
  };
  const form = (values: Record<string, string>): SimulatorResponse => ({
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: new URLSearchParams(values).toString(),
  });

  return {
    state: () => ({ ...counts }),

    /** The tokens it issued, to keep across a restart (kept-state.ts). */
    kept: () => ({ tokens: [...tokens] }),
    restore(kept: { tokens?: [string, { secret: string; username: string }][] }): void {
      for (const [key, value] of kept.tokens ?? []) tokens.set(key, value);
    },

    /** The X user a request is signed as (OAuth 1.0a user context), or undefined when it is not signed that way. */
    signedUser(request: SimulatorRequest, url: string): { username: string } | 'refused' | undefined {
      if (!request.headers.authorization?.startsWith('OAuth ')) return undefined;
      const signed = verify(request, url);
      if (!signed?.username) {
        counts.refused++;
        return 'refused';
      }
      return { username: signed.username };
    },

    /** `POST /oauth/request_token`, `GET|POST /oauth/authorize`, `POST /oauth/access_token`. */
    route(request: SimulatorRequest, url: string): SimulatorResponse | undefined {
      const { method, path } = request;
      if (method === 'POST' && path === '/oauth/request_token') {
        const signed = verify(request, url);
        if (!signed || signed.tokenKey !== undefined) return unauthorized();
        // OAuth's parameters come in the header or the form (twitter-api-v2 sends the callback in the form).
        const callback =
          signed.fields.get('oauth_callback') ?? (request.body as { oauth_callback?: string })?.oauth_callback;
        if (callback !== 'oob') {
          return {
            status: 403,
            body: { errors: [{ message: 'Callback URL not approved for this client application', code: 415 }] },
          };
        }
        const requestToken = token();
        const secret = token();
        requests.set(requestToken, { secret, consumerKey: signed.consumerKey! });
        return form({ oauth_token: requestToken, oauth_token_secret: secret, oauth_callback_confirmed: 'true' });
      }
      if (path === '/oauth/authorize' || path === '/oauth/authenticate') {
        return consent(request);
      }
      if (method === 'POST' && path === '/oauth/access_token') {
        const signed = verify(request, url);
        const pending = signed?.tokenKey ? requests.get(signed.tokenKey) : undefined;
        const verifier =
          signed?.fields.get('oauth_verifier') ?? (request.body as { oauth_verifier?: string })?.oauth_verifier;
        if (!signed || !pending?.verifier || !pending.username || verifier !== pending.verifier) return unauthorized();
        requests.delete(signed.tokenKey!);
        const accessToken = `${Date.now()}-${token()}`;
        const accessSecret = token();
        tokens.set(accessToken, { secret: accessSecret, username: pending.username });
        counts.issued++;
        return form({
          oauth_token: accessToken,
          oauth_token_secret: accessSecret,
          user_id: pending.username,
          screen_name: pending.username,
        });
      }
      return undefined;
    },
  };

  /**
   * The page X shows the user: "Authorize app to use your account?", then the PIN to type into the app. Signed in
   * as the user named in the form (the simulator has no passwords).
   */
  function consent({ method, query, body }: SimulatorRequest): SimulatorResponse {
    const values = method === 'POST' ? ((body ?? {}) as Record<string, string>) : Object.fromEntries(query);
    const pending = values.oauth_token ? requests.get(values.oauth_token) : undefined;
    if (!pending)
      return page(
        400,
        '<p>This page is no longer valid. It looks like someone already used the token information you provided.</p>',
      );
    if (method !== 'POST') {
      return page(
        200,
        `<h1>Authorize the app to access your account?</h1><form method="post"><input type="hidden" name="oauth_token" value="${values.oauth_token}"><label>Username <input name="username"></label><button name="allow" value="1">Authorize app</button><button name="deny" value="1">Cancel</button></form>`,
      );
    }
    if (values.deny || !values.username || !/^\w{1,15}$/.test(values.username))
      return page(200, '<p>You did not authorize the app.</p>');
    pending.username = values.username;
    pending.verifier = String(1_000_000 + Math.floor(Math.random() * 9_000_000));
    return page(
      200,
      `<p>Next, return to the app and enter this PIN to complete the authorization process:</p><kbd id="oauth_pin">${pending.verifier}</kbd>`,
    );
  }
}

function page(status: number, html: string): SimulatorResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html><head><title>X</title></head><body>${html}</body></html>`,
  };
}

/** RFC 3986 percent-encoding, as OAuth 1.0a signs with. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
