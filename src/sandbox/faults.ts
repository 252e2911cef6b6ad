import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/** The faults a simulator injects (`POST /_sandbox/faults`), seeded so that a run with the same faults repeats. */
export const faultsSchema = z.object({
  errorRate: z.number().min(0).max(1).default(0),
  /** The status of an injected error: 500 by default; 4xx to exercise permanent failures. */
  errorStatus: z.number().int().min(400).max(599).default(500),
  rateLimitRate: z.number().min(0).max(1).default(0),
  /** Seconds until an injected rate limit resets. */
  rateLimitResetSeconds: z.number().min(0).default(5),
  timeoutRate: z.number().min(0).max(1).default(0),
  /** The request is carried out, then its answer is dropped: the ambiguous failure that idempotency must absorb. */
  lostAnswerRate: z.number().min(0).max(1).default(0),
  latencyMs: z.number().int().min(0).default(0),
  seed: z.number().int().default(1),
  /** Apply the faults to the next `burst` requests only, then answer normally again; unset: until changed. */
  burst: z.number().int().min(1).optional(),
  /**
   * Only these requests get faults (and count towards `burst`): `POST /2/tweets` on HTTP, the method's name such as
   * `messages.SendMessage` on MTProto; unset: every request.
   */
  requests: z
    .array(
      z
        .string()
        .regex(
          /^([A-Z]+ \/\S*|([a-z]\w*\.)?[A-Z]\w*)$/,
          'a request is "METHOD /path" (HTTP) or an MTProto method as GramJS names it, such as messages.SendMessage',
        ),
    )
    .min(1)
    .optional(),
});
export type Faults = z.infer<typeof faultsSchema>;

/**
 * What happens to one request: answered normally, never answered (nor carried out), carried out with its answer lost,
 * rate-limited, or failed with a status.
 */
export type FaultOutcome =
  | { kind: 'answer' }
  | { kind: 'no-answer' }
  | { kind: 'answer-lost' }
  | { kind: 'rate-limit'; resetSeconds: number }
  | { kind: 'error'; status: number };

export interface FaultInjector {
  set(faults: Partial<Faults>): Faults;
  /** Waits out the injected latency, then draws the fate of the request (`POST /path`, or an MTProto method). */
  next(request: string): Promise<FaultOutcome>;
}

/** A small seeded generator (mulberry32): the same seed gives the same sequence of faults. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createFaultInjector(): FaultInjector {
  const none = faultsSchema.parse({});
  let faults = none;
  let random = seededRandom(faults.seed);
  let burstLeft = Infinity;
  return {
    set(next) {
      faults = faultsSchema.parse(next);
      random = seededRandom(faults.seed);
      burstLeft = faults.burst ?? Infinity;
      return faults;
    },
    async next(request) {
      if (faults.requests && !faults.requests.includes(request)) return { kind: 'answer' };
      const active = burstLeft > 0 ? faults : none;
      burstLeft -= 1;
      if (active.latencyMs > 0) await sleep(active.latencyMs);
      // One draw against the rates laid end to end.
      let draw = random();
      if ((draw -= active.timeoutRate) < 0) return { kind: 'no-answer' };
      if ((draw -= active.lostAnswerRate) < 0) return { kind: 'answer-lost' };
      if ((draw -= active.rateLimitRate) < 0) return { kind: 'rate-limit', resetSeconds: active.rateLimitResetSeconds };
      if (draw < active.errorRate) return { kind: 'error', status: active.errorStatus };
      return { kind: 'answer' };
    },
  };
}
