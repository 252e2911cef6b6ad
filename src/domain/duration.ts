import { msToNumber } from '@temporalio/common/lib/time';

/**
 * The one duration type of every setting, option and workflow input: Temporal's own strings ("90s", "5m", "24h",
 * "1.5 hours"), parsed by the SDK's own parser, so a value means the same in `.env`, on the command line and in a
 * workflow's history. Deterministic: workflows import it too.
 */
export type Duration = Parameters<typeof msToNumber>[0];

/** What to tell someone who gave something else. */
export const durationHint = 'a duration such as 90s, 5m or 24h';

/** The duration in ms when `value` is one and longer than zero; otherwise undefined. */
export function durationMs(value: string): number | undefined {
  try {
    const ms = msToNumber(value as Duration);
    return Number.isFinite(ms) && ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}
