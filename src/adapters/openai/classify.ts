import type { ApplicationFailure } from '@temporalio/common';
import OpenAI from 'openai';
import { permanentFailure, retryAfterFailure, transientFailure } from '../../domain/failure-vocabulary';

/**
 * Turns anything the `openai` library throws into a classified failure. 429 waits for the server's reset time
 * (`retry-after-ms`, else `retry-after` in seconds or as an HTTP date); 400/401/403/404 are never retried.
 */
export function classifyOpenAiError(err: unknown, now = Date.now()): ApplicationFailure {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return transientFailure('timeout', 'AI request timed out', err);
  if (err instanceof OpenAI.APIConnectionError)
    return transientFailure('network', `AI API unreachable: ${err.message}`, err);
  if (!(err instanceof OpenAI.APIError)) {
    return transientFailure('upstream', `AI call failed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const what = `AI API answered ${err.status ?? '?'}: ${err.message}`;
  switch (err.status) {
    case 400:
    case 422:
      return permanentFailure('invalid-input', what, err);
    case 401:
      return permanentFailure('auth', what, err);
    case 403:
      return permanentFailure('permission', what, err);
    case 404:
      return permanentFailure('not-found', what, err);
    case 429: {
      const delayMs = retryAfterMs(err.headers as Headers | undefined, now);
      return delayMs === undefined
        ? transientFailure('rate-limit', what, err)
        : retryAfterFailure('rate-limit', what, delayMs);
    }
    default:
      return transientFailure('upstream', what, err);
  }
}

function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (headers?.get('retry-after-ms') && Number.isFinite(ms)) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
