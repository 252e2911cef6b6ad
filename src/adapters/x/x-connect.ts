import { ApiResponseError, TwitterApi } from 'twitter-api-v2';
import type { XOAuth2Tokens, XUserTokens } from '../../ports/account-store';
import { xRouting } from './x-routing';

/** What an account asks X for: to read and post tweets as its user, and to stay connected (a refresh token). */
export const xOAuth2Scopes = ['tweet.read', 'tweet.write', 'users.read', 'offline.access'];

/** X refused a step of connecting an account: what it said, worded for the owner. */
export class XConnectRefused extends Error {
  override name = 'XConnectRefused';
}

export interface XConnectSettings {
  /** The app's OAuth 2.0 client id, and its secret unless it is a public client. */
  clientId?: string;
  clientSecret?: string;
  /** The app's OAuth 1.0a consumer key and secret, for the PIN flow. */
  apiKey?: string;
  apiSecret?: string;
  /** X's API prefix: its origin serves the OAuth endpoints and consent pages too (x-routing.ts). */
  baseUrl?: string;
  /** A certificate to trust besides the system's: the sandbox simulator's. */
  ca?: string;
  timeoutMs?: number;
}

/**
 * Connecting an account to X, through twitter-api-v2's own flows: OAuth 2.0 with PKCE (generateOAuth2AuthLink, then
 * loginWithOAuth2 with the code X redirected to the callback) for confidential and public clients alike, or OAuth
 * 1.0a by PIN (generateAuthLink('oob'), then login with the PIN X showed). Each ends with the tokens to keep in the
 * account store and the X user they sign as.
 */
export function createXConnector(settings: XConnectSettings) {
  const routing = xRouting(settings.baseUrl, { ca: settings.ca, timeoutMs: settings.timeoutMs ?? 15_000 });
  const oauth2App = () => {
    if (!settings.clientId) throw new XConnectRefused('X_CLIENT_ID is not set: the OAuth 2.0 client id of your X app');
    return new TwitterApi(
      { clientId: settings.clientId, ...(settings.clientSecret ? { clientSecret: settings.clientSecret } : {}) },
      routing.settings,
    );
  };
  const oauth1App = (tokens?: { accessToken: string; accessSecret: string }) => {
    if (!settings.apiKey || !settings.apiSecret) {
      throw new XConnectRefused(
        'X_API_KEY and X_API_SECRET are not set: the OAuth 1.0a API key and secret of your X app',
      );
    }
    return new TwitterApi({ appKey: settings.apiKey, appSecret: settings.apiSecret, ...tokens }, routing.settings);
  };
  const me = async (client: TwitterApi) =>
    (await client.v2.get<{ data: { username: string } }>('users/me', {}, { prefix: routing.prefix })).data.username;

  return {
    /** The consent page to open, and what the answer must match: the state, and the PKCE verifier to prove it. */
    oauth2Link(redirectUri: string): { url: string; state: string; codeVerifier: string } {
      const { url, state, codeVerifier } = oauth2App().generateOAuth2AuthLink(redirectUri, { scope: xOAuth2Scopes });
      return { url: routing.at(url), state, codeVerifier };
    },

    /** The code X redirected with, exchanged for the account's first tokens. */
    async oauth2Login(answer: {
      code: string;
      codeVerifier: string;
      redirectUri: string;
    }): Promise<{ tokens: XOAuth2Tokens; username: string; scope: string[] }> {
      const issuedAt = Date.now();
      const login = await refusedSaid(() => oauth2App().loginWithOAuth2(answer));
      if (!login.refreshToken) {
        throw new XConnectRefused(
          'X gave no refresh token: the app must ask for offline.access, and the account consent to it',
        );
      }
      const tokens: XOAuth2Tokens = {
        clientId: settings.clientId!,
        ...(settings.clientSecret ? { clientSecret: settings.clientSecret } : {}),
        accessToken: login.accessToken,
        refreshToken: login.refreshToken,
        issuedAt,
        expiresAt: issuedAt + login.expiresIn * 1000,
      };
      const username = await refusedSaid(() => me(new TwitterApi(login.accessToken, routing.settings)));
      return { tokens, username, scope: login.scope };
    },

    /** A request token, and the page where the account's user authorises it and is shown a PIN. */
    async oauth1Link(): Promise<{ url: string; requestToken: string; requestSecret: string }> {
      const link = await refusedSaid(() => oauth1App().generateAuthLink('oob', { linkMode: 'authorize' }));
      return { url: routing.at(link.url), requestToken: link.oauth_token, requestSecret: link.oauth_token_secret };
    },

    /** The PIN the user typed in, exchanged for the account's token and secret (they do not expire). */
    async oauth1Login(request: {
      requestToken: string;
      requestSecret: string;
      pin: string;
    }): Promise<{ tokens: XUserTokens; username: string }> {
      const app = oauth1App({ accessToken: request.requestToken, accessSecret: request.requestSecret });
      const login = await refusedSaid(() => app.login(request.pin));
      return {
        tokens: { accessToken: login.accessToken, accessSecret: login.accessSecret },
        username: login.screenName,
      };
    },
  };
}

export type XConnector = ReturnType<typeof createXConnector>;

/** X's refusal as one line (its own words where it gave any); anything else is thrown as it is. */
async function refusedSaid<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ApiResponseError)) throw err;
    const data = jsonRead(err.data) as
      { error_description?: string; detail?: string; errors?: { message?: string }[] } | string;
    const said =
      typeof data === 'string'
        ? data
        : (data.error_description ?? data.detail ?? data.errors?.[0]?.message ?? err.message);
    throw new XConnectRefused(`X answered ${err.code}: ${said}`);
  }
}

/**
 * An OAuth 1.0a endpoint's answer is read as a form (x-routing.ts asks for it, off api.x.com): an error X sent as
 * JSON then arrives as a form with that JSON as its one field name. Read back as JSON.
 */
function jsonRead(data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const keys = Object.keys(data);
  if (keys.length !== 1 || !keys[0]!.startsWith('{')) return data;
  try {
    return JSON.parse(keys[0]!);
  } catch {
    return data;
  }
}
