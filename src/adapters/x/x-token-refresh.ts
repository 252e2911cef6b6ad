import { ApiResponseError, TwitterApi } from 'twitter-api-v2';
import { permanentFailure } from '../../domain/failure-vocabulary';
import { StaleTokens, type AccountStore, type StoredXOAuth2 } from '../../ports/account-store';
import type { XTokenState } from '../../ports/x';
import { classifyXError, needsAuthorisation } from './classify';
import { xRouting } from './x-routing';

export interface XTokenRefreshSettings {
  accounts: Pick<AccountStore, 'xOAuth2' | 'saveXOAuth2'>;
  /** The API v2 prefix, as for the X port; default X's own (x-routing.ts). */
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
 * Refreshes an account's X OAuth 2.0 tokens at X's token endpoint (`POST /2/oauth2/token`, the refresh grant; a
 * confidential client's id and secret in Basic auth, a public client's id alone) with twitter-api-v2's
 * refreshOAuth2Token, and writes the rotated pair straight into the account store with a version check. Only the
 * account's xTokenWorkflow calls it (one per account for the deployment), so no two refreshes of one account ever
 * race: X rotates the refresh token, and the old one stops working.
 */
export function createXTokenRefresher({ accounts, baseUrl, ca, timeoutMs = 12_000 }: XTokenRefreshSettings) {
  const routing = xRouting(baseUrl, { ca, timeoutMs });

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
      const app = new TwitterApi(
        { clientId: current.clientId, ...(current.clientSecret ? { clientSecret: current.clientSecret } : {}) },
        routing.settings,
      );
      let answer: { accessToken: string; refreshToken?: string; expiresIn: number };
      try {
        answer = await app.refreshOAuth2Token(current.refreshToken);
      } catch (err) {
        if (err instanceof ApiResponseError && (err.code === 400 || err.code === 401)) {
          const why = `X answered ${err.code}: ${(err.data as { error?: string } | undefined)?.error ?? 'refused'}`;
          await accounts.saveXOAuth2(accountId, { ...current, refused: why }, current.version).catch(ignoreStale);
          throw needsAuthorisation(accountId, why);
        }
        throw classifyXError(err);
      }
      if (!answer.refreshToken) {
        throw permanentFailure(
          'invalid-input',
          'X answered the refresh without a refresh token: ask for offline.access',
        );
      }
      const now = Date.now();
      const rotated = {
        clientId: current.clientId,
        clientSecret: current.clientSecret,
        accessToken: answer.accessToken,
        refreshToken: answer.refreshToken,
        issuedAt: now,
        expiresAt: now + answer.expiresIn * 1000,
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
