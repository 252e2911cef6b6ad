import { randomBytes } from 'node:crypto';
import type { SimulatorRequest, SimulatorResponse } from './http-simulator';

/** The sandbox's one X app: what `account add --x-oauth2` takes on the sandbox. */
export const sandboxXClient = { clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' };

/**
 * X's OAuth 2.0 user tokens, as the X simulator issues and checks them: `POST /2/oauth2/token` with the refresh grant
 * (form-encoded, the app's id and secret in Basic auth) rotates both tokens, and the old refresh token stops working;
 * an access token lasts `lifetimeSeconds` (X: 7,200) and is refused with 401 after. A refresh token presented a second
 * time is refused, and counted (`refreshReuses`): two refreshers at once show there.
 */
export function createXOAuth2() {
  let lifetimeSeconds = 7200;
  const access = new Map<string, { accountId: string; expiresAt: number }>();
  const refresh = new Map<string, { accountId: string; used: boolean }>();
  const counts = { refreshes: 0, refreshReuses: 0, refused: 0 };
  const token = () => randomBytes(24).toString('base64url');

  const issue = (accountId: string) => {
    const accessToken = token();
    const refreshToken = token();
    access.set(accessToken, { accountId, expiresAt: Date.now() + lifetimeSeconds * 1000 });
    refresh.set(refreshToken, { accountId, used: false });
    return {
      token_type: 'bearer',
      expires_in: lifetimeSeconds,
      access_token: accessToken,
      scope: 'tweet.read tweet.write users.read offline.access',
      refresh_token: refreshToken,
    };
  };
  const invalid = (description: string): SimulatorResponse => {
    counts.refused++;
    return { status: 400, body: { error: 'invalid_request', error_description: description } };
  };

  return {
    state: () => ({ lifetimeSeconds, ...counts }),

    /** The account whose bearer token signed the request; `expired` when X would answer 401 for it. */
    bearer(authorization: string | undefined): { accountId: string } | 'expired' | undefined {
      const presented = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (!presented) return undefined;
      const found = access.get(presented);
      return found && found.expiresAt > Date.now() ? { accountId: found.accountId } : 'expired';
    },

    /** `POST /2/oauth2/token`. */
    token({ headers, body }: SimulatorRequest): SimulatorResponse {
      const expected = `Basic ${Buffer.from(`${sandboxXClient.clientId}:${sandboxXClient.clientSecret}`).toString('base64')}`;
      if (headers.authorization !== expected) {
        return {
          status: 401,
          body: { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
        };
      }
      const form = (body ?? {}) as Record<string, string | undefined>;
      if (form.grant_type !== 'refresh_token') return invalid('Only the refresh_token grant is simulated.');
      const grant = form.refresh_token ? refresh.get(form.refresh_token) : undefined;
      if (!grant) return invalid('Value passed for the token was invalid.');
      if (grant.used) {
        counts.refreshReuses++;
        return invalid('Value passed for the token was invalid.');
      }
      grant.used = true;
      counts.refreshes++;
      return { status: 200, body: issue(grant.accountId) };
    },

    /** The sandbox's control routes under /_sandbox/x/oauth2. */
    control({ method, path, body }: SimulatorRequest): SimulatorResponse | undefined {
      if (method !== 'POST') return undefined;
      const { accountId, lifetimeSeconds: lifetime } = (body ?? {}) as {
        accountId?: unknown;
        lifetimeSeconds?: unknown;
      };
      if (path === '/_sandbox/x/oauth2/lifetime') {
        if (typeof lifetime !== 'number' || lifetime < 1) {
          return { status: 400, body: { error: 'lifetimeSeconds (a number ≥ 1) is required' } };
        }
        lifetimeSeconds = lifetime;
        return { status: 200, body: { lifetimeSeconds } };
      }
      if (typeof accountId !== 'string') return { status: 400, body: { error: 'accountId (a string) is required' } };
      // What the owner's consent in the browser would end with: the first tokens, and the app's credentials.
      if (path === '/_sandbox/x/oauth2/authorize')
        return { status: 200, body: { ...issue(accountId), ...sandboxXClient } };
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
