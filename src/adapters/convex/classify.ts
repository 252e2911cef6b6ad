import type { ApplicationFailure } from '@temporalio/common';
import { ConvexError } from 'convex/values';
import { permanentFailure, transientFailure } from '../../domain/failure-vocabulary';

/**
 * The Convex HTTP client reports every non-OK answer as a plain Error with the body as its message, losing the status;
 * the adapter's fetch raises these instead, so classification sees what happened on the wire.
 */
export class ConvexHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`Convex answered ${status}: ${body.slice(0, 200)}`);
  }
}
export class ConvexUnreachable extends Error {
  constructor(
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(
      `Convex ${timedOut ? 'did not answer in time' : 'is unreachable'}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** Outages (5xx, 429, network, timeout) are waited out by the policy; 4xx and function errors are never retried. */
export function classifyConvexError(err: unknown): ApplicationFailure {
  if (err instanceof ConvexUnreachable) return transientFailure(err.timedOut ? 'timeout' : 'network', err.message, err);
  if (err instanceof ConvexHttpError) {
    if (err.status >= 500) return transientFailure('upstream', err.message, err);
    if (err.status === 429) return transientFailure('rate-limit', err.message, err);
    if (err.status === 401) return permanentFailure('auth', err.message, err);
    if (err.status === 403) return permanentFailure('permission', err.message, err);
    if (err.status === 404) return permanentFailure('not-found', err.message, err);
    return permanentFailure('invalid-input', err.message, err);
  }
  // The functions refuse a caller without the backend's secret (convex/backend.ts): a configuration to fix.
  if (err instanceof ConvexError && (err.data as { code?: unknown } | undefined)?.code === 'unauthorized') {
    const why = (err.data as { message?: string }).message ?? 'unauthorized';
    return permanentFailure('auth', `Convex refused the call: ${why} (STEADFAST_CONVEX_SECRET)`, err);
  }
  // Anything else came back in Convex's error envelope: the function itself refused (bad arguments, a thrown error).
  const data = err instanceof ConvexError ? ` ${JSON.stringify(err.data)}` : '';
  const message = err instanceof Error ? err.message : String(err);
  return permanentFailure('invalid-input', `Convex function failed: ${message}${data}`, err);
}
