import { Agent } from 'node:https';
import type { IClientSettings, ITwitterApiClientPlugin } from 'twitter-api-v2';

/** X's API v2 prefix, where every call goes unless X_API_BASE_URL says otherwise. */
export const xApiPrefix = 'https://api.x.com/2/';

/**
 * Where X's endpoints are, for every client of twitter-api-v2 the adapters make: X's own, or — with a configured API
 * prefix (a simulator, a proxy) — every endpoint at that prefix's origin, the OAuth ones included that the library
 * names in full (`https://api.x.com/oauth/request_token`, `…/2/oauth2/token`, `https://x.com/i/oauth2/authorize`).
 * The library's own plugin hook moves each request before it is signed, so OAuth 1.0a signatures cover the URL called.
 */
export interface XRouting {
  prefix: string;
  /** A URL of X's (a consent page, an endpoint) moved to the configured origin. */
  at: (url: string) => string;
  settings: Partial<IClientSettings>;
}

export function xRouting(baseUrl: string | undefined, options: { ca?: string; timeoutMs?: number } = {}): XRouting {
  const origin = baseUrl ? new URL(baseUrl).origin : undefined;
  const at = (url: string) => (origin ? url.replace(/^https:\/\/(?:api\.)?(?:x|twitter)\.com(?=\/)/, origin) : url);
  const route: ITwitterApiClientPlugin = {
    onBeforeRequestConfig: ({ params }) => {
      const moved = at(params.url);
      // The library reads an OAuth 1.0a endpoint's form-encoded answer only at api.x.com: wherever it was moved to.
      if (moved !== params.url && /\/oauth\/\w+$/.test(moved)) params.forceParseMode ??= 'url';
      params.url = moved;
      // X's token endpoint takes a form (twitter-api-v2 1.29 means to send one, but its check reads the URL's
      // password, so it sends JSON).
      if (/\/2\/oauth2\/token$/.test(moved)) params.forceBodyMode ??= 'url';
      // And a timeout for the calls made without one (the library's OAuth calls), which would wait as long as the socket.
      params.timeout ??= options.timeoutMs;
    },
  };
  return {
    prefix: baseUrl ?? xApiPrefix,
    at,
    settings: {
      httpAgent: new Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) }),
      plugins: [route],
    },
  };
}
