import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimulatorRequest, SimulatorResponse } from './http-simulator';

/** The sandbox's X app, a confidential client: what `account connect-x` and `account add --x-oauth2` take on it. */
export const sandboxXClient = { clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' };
/** The same app registered as a public client (a native app: no secret, PKCE alone). */
export const sandboxXPublicClient = { clientId: 'sandbox-public-client' };
/** The callback URL registered for both in the developer portal: `account connect-x`'s default. */
export const sandboxXCallback = 'http://127.0.0.1:8976/callback';

/** X's authorization codes are good for 30 seconds. */
const codeLifetimeMs = 30_000;

/**
 * X's OAuth 2.0, as the X simulator runs it. The consent page (`GET /i/oauth2/authorize`, X's query parameters, PKCE
 * required) and the user's answer to it (`POST`, signed in as the user the form names: the simulator keeps no
 * passwords) redirect to the app's registered callback with a code or `error=access_denied`. `POST /2/oauth2/token`
 * (form-encoded) takes the authorization_code grant (the code once, within 30 s, with its redirect_uri and the PKCE
 * verifier) and the refresh_token grant, from a confidential client in Basic auth or a public client by its
 * client_id alone; both rotate the refresh token, and the old one stops working. An access token lasts
 * `lifetimeSeconds` (X: 7,200) and is refused with 401 after. A refresh token presented a second time is refused, and
 * counted (`refreshReuses`): two refreshers at once show there.
 */
export function createXOAuth2() {
  let lifetimeSeconds = 7200;
  const clients = new Map<string, { secret?: string; callbacks: Set<string> }>([
    [sandboxXClient.clientId, { secret: sandboxXClient.clientSecret, callbacks: new Set([sandboxXCallback]) }],
    [sandboxXPublicClient.clientId, { callbacks: new Set([sandboxXCallback]) }],
  ]);
  const access = new Map<string, { accountId: string; expiresAt: number }>();
  const refresh = new Map<string, { accountId: string; clientId: string; scope: string; used: boolean }>();
  const codes = new Map<
    string,
    {
      clientId: string;
      redirectUri: string;
      challenge: string;
      method: string;
      scope: string;
      accountId: string;
      expiresAt: number;
    }
  >();
  const counts = { refreshes: 0, refreshReuses: 0, refused: 0, authorized: 0 };
  const token = () => randomBytes(24).toString('base64url');

  const issue = (accountId: string, clientId: string, scope = 'tweet.read tweet.write users.read offline.access') => {
    const accessToken = token();
    access.set(accessToken, { accountId, expiresAt: Date.now() + lifetimeSeconds * 1000 });
    // X gives a refresh token only to who asked for offline.access.
    const refreshToken = scope.split(' ').includes('offline.access') ? token() : undefined;
    if (refreshToken) refresh.set(refreshToken, { accountId, clientId, scope, used: false });
    return {
      token_type: 'bearer',
      expires_in: lifetimeSeconds,
      access_token: accessToken,
      scope,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  };
  const invalid = (description: string): SimulatorResponse => {
    counts.refused++;
    return { status: 400, body: { error: 'invalid_request', error_description: description } };
  };
  /** The client a token request comes from: a confidential one in Basic auth, a public one by its client_id. */
  const authenticate = ({ headers, body }: SimulatorRequest): string | undefined => {
    const basic = /^Basic (\S+)$/.exec(headers.authorization ?? '')?.[1];
    if (basic) {
      const [id = '', secret = ''] = Buffer.from(basic, 'base64').toString().split(':');
      const client = clients.get(decodeURIComponent(id));
      const expected = client?.secret;
      const given = decodeURIComponent(secret);
      return expected && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
        ? decodeURIComponent(id)
        : undefined;
    }
    const clientId = (body as { client_id?: string } | undefined)?.client_id;
    return clientId && clients.get(clientId) && !clients.get(clientId)?.secret ? clientId : undefined;
  };

  return {
    state: () => ({ lifetimeSeconds, ...counts }),

    /** The tokens it issued and the callbacks registered, to keep across a restart (kept-state.ts). */
    kept: () => ({
      lifetimeSeconds,
      access: [...access],
      refresh: [...refresh],
      callbacks: [...clients].map(([clientId, client]): [string, string[]] => [clientId, [...client.callbacks]]),
    }),
    restore(kept: {
      lifetimeSeconds?: number;
      access?: [string, { accountId: string; expiresAt: number }][];
      refresh?: [string, { accountId: string; clientId: string; scope: string; used: boolean }][];
      callbacks?: [string, string[]][];
    }): void {
      lifetimeSeconds = kept.lifetimeSeconds ?? lifetimeSeconds;
      for (const [key, value] of kept.access ?? []) access.set(key, value);
      for (const [key, value] of kept.refresh ?? []) refresh.set(key, value);
      for (const [clientId, urls] of kept.callbacks ?? [])
        for (const url of urls) clients.get(clientId)?.callbacks.add(url);
    },

    /** The account whose bearer token signed the request; `expired` when X would answer 401 for it. */
    bearer(authorization: string | undefined): { accountId: string } | 'expired' | undefined {
      const presented = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (!presented) return undefined;
      const found = access.get(presented);
      return found && found.expiresAt > Date.now() ? { accountId: found.accountId } : 'expired';
    },

    /** `POST /2/oauth2/token`. */
    token(request: SimulatorRequest): SimulatorResponse {
      const clientId = authenticate(request);
      if (!clientId) {
        counts.refused++;
        return {
          status: 401,
          body: { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
        };
      }
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      if (form.grant_type === 'authorization_code') {
        const grant = form.code ? codes.get(form.code) : undefined;
        if (form.code) codes.delete(form.code);
        if (!grant || grant.expiresAt < Date.now() || grant.clientId !== clientId) {
          return invalid('Value passed for the authorization code was invalid.');
        }
        if (grant.redirectUri !== form.redirect_uri) return invalid('Value passed for the redirect uri was invalid.');
        const verifier = form.code_verifier ?? '';
        const proof = grant.method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
        if (proof !== grant.challenge) return invalid('Value passed for the code verifier was invalid.');
        counts.authorized++;
        return { status: 200, body: issue(grant.accountId, clientId, grant.scope) };
      }
      if (form.grant_type !== 'refresh_token') return invalid('Missing required parameter [grant_type].');
      const grant = form.refresh_token ? refresh.get(form.refresh_token) : undefined;
      if (!grant || grant.clientId !== clientId) return invalid('Value passed for the token was invalid.');
      if (grant.used) {
        counts.refreshReuses++;
        return invalid('Value passed for the token was invalid.');
      }
      grant.used = true;
      counts.refreshes++;
      return { status: 200, body: issue(grant.accountId, clientId, grant.scope) };
    },

    /**
     * `GET /i/oauth2/authorize`: the consent page for the app's request; `POST`: the user's answer, a redirect to
     * the app's callback.
     */
    consent({ method, query, body }: SimulatorRequest): SimulatorResponse {
      const asked = method === 'POST' ? new URLSearchParams((body ?? {}) as Record<string, string>) : query;
      const clientId = asked.get('client_id') ?? '';
      const redirectUri = asked.get('redirect_uri') ?? '';
      const challenge = asked.get('code_challenge') ?? '';
      const challengeMethod = (asked.get('code_challenge_method') ?? '').toLowerCase();
      const scope = asked.get('scope') ?? '';
      const state = asked.get('state') ?? '';
      const client = clients.get(clientId);
      if (
        asked.get('response_type') !== 'code' ||
        !client?.callbacks.has(redirectUri) ||
        !challenge ||
        !['s256', 'plain'].includes(challengeMethod) ||
        !scope ||
        !state
      ) {
        return page(
          400,
          "<p>Something went wrong</p><p>You weren't able to give access to the App. Go back and try logging in again.</p>",
        );
      }
      if (method !== 'POST') {
        const hidden = [...asked]
          .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
          .join('');
        return page(
          200,
          `<h1>${escape(clientId)} wants to access your X account.</h1><p>It asks for: ${escape(scope)}</p><form method="post">${hidden}<label>Username <input name="username"></label><button name="allow" value="1">Authorize app</button><button name="deny" value="1">Cancel</button></form>`,
        );
      }
      const answer = new URL(redirectUri);
      const username = asked.get('username') ?? '';
      if (asked.get('deny') || !/^\w{1,15}$/.test(username)) {
        answer.searchParams.set('error', 'access_denied');
      } else {
        const code = token();
        codes.set(code, {
          clientId,
          redirectUri,
          challenge,
          method: challengeMethod,
          scope,
          accountId: username,
          expiresAt: Date.now() + codeLifetimeMs,
        });
        answer.searchParams.set('code', code);
      }
      answer.searchParams.set('state', state);
      return { status: 302, headers: { location: answer.toString(), 'content-type': 'text/plain' }, body: '' };
    },

    /** The sandbox's control routes under /_sandbox/x/oauth2. */
    control({ method, path, body }: SimulatorRequest): SimulatorResponse | undefined {
      if (method !== 'POST') return undefined;
      const {
        accountId,
        lifetimeSeconds: lifetime,
        clientId,
        url,
      } = (body ?? {}) as {
        accountId?: unknown;
        lifetimeSeconds?: unknown;
        clientId?: unknown;
        url?: unknown;
      };
      if (path === '/_sandbox/x/oauth2/lifetime') {
        if (typeof lifetime !== 'number' || lifetime < 1) {
          return { status: 400, body: { error: 'lifetimeSeconds (a number ≥ 1) is required' } };
        }
        lifetimeSeconds = lifetime;
        return { status: 200, body: { lifetimeSeconds } };
      }
      // What the developer portal's "Callback URI" setting does: one more URL the app may be sent back to.
      if (path === '/_sandbox/x/oauth2/callbacks') {
        const client = typeof clientId === 'string' ? clients.get(clientId) : undefined;
        if (!client || typeof url !== 'string' || !URL.canParse(url)) {
          return {
            status: 400,
            body: { error: `clientId (one of ${[...clients.keys()].join(', ')}) and url are required` },
          };
        }
        client.callbacks.add(url);
        return { status: 200, body: { clientId, callbacks: [...client.callbacks] } };
      }
      if (typeof accountId !== 'string') return { status: 400, body: { error: 'accountId (a string) is required' } };
      // What the owner's consent in the browser would end with: the first tokens, and the app's credentials.
      if (path === '/_sandbox/x/oauth2/authorize')
        return { status: 200, body: { ...issue(accountId, sandboxXClient.clientId), ...sandboxXClient } };
      // The owner revoked the app's access on X: every token of the account stops working.
      if (path === '/_sandbox/x/oauth2/revoke') {
        for (const [key, grant] of refresh) if (grant.accountId === accountId) refresh.delete(key);
        for (const [key, grant] of access) if (grant.accountId === accountId) access.delete(key);
        return { status: 200, body: { revoked: accountId } };
      }
      return undefined;
    },
  };
}

function page(status: number, html: string): SimulatorResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html><head><title>X</title></head><body>${html}</body></html>`,
  };
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
