import { Agent } from 'node:https';
import { ApiResponseError, TwitterApi } from 'twitter-api-v2';
import { permanentFailure } from '../../failure-vocabulary';
import { StaleTokens, type AccountStore, type StoredXOAuth2 } from '../../ports/account-store';
import type { XTokenState } from '../../ports/x';
import { classifyXError, needsAuthorisation } from './classify';

export interface XTokenRefreshSettings {
  accounts: Pick<AccountStore, 'xOAuth2' | 'saveXOAuth2'>;
  /** The API v2 prefix, as for the X port; default X's own. */
  baseUrl?: string;
  ca?: string;
  timeoutMs?: number;
}

/** What may travel through Temporal of an account's tokens: their version and times, never the tokens. */
function tokenState(stored: StoredXOAuth2): XTokenState {
  const { version, issuedAt, expiresAt, refused } = stored;
  return { version, issuedAt, expiresAt, ...(refused ? { refused } : {}) };
}

/**
 * Refreshes an account's X OAuth 2.0 tokens at X's token endpoint (`POST /2/oauth2/token`, the refresh grant, the
 * app's id and secret in Basic auth) through twitter-api-v2, and writes the rotated pair straight into the account
 * store with a version check. Only the account's xTokenWorkflow calls it (one per account for the deployment), so no
 * two refreshes of one account ever race: X rotates the refresh token, and the old one stops working.
 */
export function createXTokenRefresher({ accounts, baseUrl, ca, timeoutMs = 12_000 }: XTokenRefreshSettings) {
  const httpAgent = new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  const prefix = baseUrl ?? 'https://api.x.com/2/';

  const stored = async (accountId: string) => {
    const tokens = await accounts.xOAuth2(accountId);
    if (!tokens) throw permanentFailure('not-found', `Account ${accountId} has no X OAuth 2.0 tokens to refresh`);
    return tokens;
  };

  return {
    async state(accountId: string): Promise<XTokenState | null> {
      const tokens = await accounts.xOAuth2(accountId);
      return tokens ? tokenState(tokens) : null;
    },

    /** Refreshes unless the stored tokens are no longer version `basedOn` (the owner added new ones meanwhile). */
    async refresh(accountId: string, basedOn: number): Promise<XTokenState> {
      const current = await stored(accountId);
      if (current.version !== basedOn || current.refused) return tokenState(current);
      const app = new TwitterApi({ clientId: current.clientId, clientSecret: current.clientSecret }, { httpAgent });
      let answer: { access_token: string; refresh_token?: string; expires_in: number };
      try {
        // The library's refreshOAuth2Token posts to api.x.com only; this is the same request at the configured prefix,
        // form-encoded as the token endpoint requires.
        answer = await app.post(
          'oauth2/token',
          { refresh_token: current.refreshToken, grant_type: 'refresh_token', client_id: current.clientId },
          { prefix, forceBodyMode: 'url', timeout: timeoutMs },
        );
      } catch (err) {
        if (err instanceof ApiResponseError && (err.code === 400 || err.code === 401)) {
          const why = `X answered ${err.code}: ${(err.data as { error?: string } | undefined)?.error ?? 'refused'}`;
          await accounts.saveXOAuth2(accountId, { ...current, refused: why }, current.version).catch(ignoreStale);
          throw needsAuthorisation(accountId, why);
        }
        throw classifyXError(err);
      }
      if (!answer.refresh_token) {
        throw permanentFailure(
          'invalid-input',
          'X answered the refresh without a refresh token: ask for offline.access',
        );
      }
      const now = Date.now();
      const rotated = {
        clientId: current.clientId,
        clientSecret: current.clientSecret,
        accessToken: answer.access_token,
        refreshToken: answer.refresh_token,
        issuedAt: now,
        expiresAt: now + answer.expires_in * 1000,
      };
      try {
        return tokenState({ ...rotated, version: await accounts.saveXOAuth2(accountId, rotated, current.version) });
      } catch (err) {
        // The owner wrote new tokens while this refresh ran: theirs win, as they are what the owner meant.
        if (err instanceof StaleTokens) return tokenState(await stored(accountId));
        throw err;
      }
    },
  };
}

/** A refusal already recorded by someone else's newer write is nothing to record again. */
function ignoreStale(err: unknown): void {
  if (!(err instanceof StaleTokens)) throw err;
}
