import { z } from 'zod';

/**
 * Telegram's sending limits, as its bot FAQ states them: about one message a second into one chat (a short burst
 * passes) and about 30 a second for one bot across all chats. A send over a limit is refused with FLOOD_WAIT_N,
 * N the seconds until it would pass. `POST /_sandbox/telegram/limits` changes them (`{ "off": true }` lifts them).
 */
export const floodLimitsSchema = z.object({
  off: z.boolean().default(false),
  perChatPerSecond: z.number().positive().default(1),
  /** Sends one chat takes at once before the per-second rate applies. */
  perChatBurst: z.number().int().min(1).default(3),
  perBotPerSecond: z.number().positive().default(30),
});
export type FloodLimits = z.infer<typeof floodLimitsSchema>;

/** A token bucket: `capacity` sends at once, refilled at `rate` a second. */
interface Bucket {
  tokens: number;
  at: number;
}

export function createFloodControl() {
  let limits = floodLimitsSchema.parse({});
  const buckets = new Map<string, Bucket>();
  let floodWaits = 0;

  /** Seconds until the bucket has a token (0: it has one now, and takes it). */
  const take = (key: string, rate: number, capacity: number, now: number): number => {
    const bucket = buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) return 0;
    return (1 - bucket.tokens) / rate;
  };

  return {
    set(input: unknown): FloodLimits {
      limits = floodLimitsSchema.parse(input ?? {});
      buckets.clear();
      return limits;
    },
    state: () => ({ limits, floodWaits }),
    /**
     * Whether a send by `sender` into `chatId` passes now: undefined if it does (and it is counted), else the seconds
     * to wait. Both limits must pass, so neither is charged for a refused send.
     */
    check(sender: { accountId: string; bot: boolean }, chatId: string, now = Date.now()): number | undefined {
      if (limits.off) return undefined;
      const chatKey = `chat:${sender.accountId}:${chatId}`;
      const botKey = `bot:${sender.accountId}`;
      const chatWait = take(chatKey, limits.perChatPerSecond, limits.perChatBurst, now);
      const botWait = sender.bot ? take(botKey, limits.perBotPerSecond, limits.perBotPerSecond, now) : 0;
      const wait = Math.max(chatWait, botWait);
      if (wait > 0) {
        floodWaits += 1;
        return Math.max(1, Math.ceil(wait));
      }
      buckets.get(chatKey)!.tokens -= 1;
      if (sender.bot) buckets.get(botKey)!.tokens -= 1;
      return undefined;
    },
  };
}
