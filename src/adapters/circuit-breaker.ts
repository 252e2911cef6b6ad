import { ApplicationFailure } from '@temporalio/common';
import { outageCategories, retryAfterFailure } from '../domain/failure-vocabulary';
import { guardedServices, type BreakerChange, type BreakerSettings, type GuardedService } from '../domain/contracts';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What a breaker says of itself, for the metrics. */
export interface BreakerView {
  service: GuardedService;
  state: BreakerState;
}

/**
 * A circuit breaker over one service's port, deciding for one worker. Errors arrive classified by the adapter
 * (failure-vocabulary.ts): only an outage category counts; a 4xx or a rate limit proves the service answers. Open, it
 * fails a call at once with a retry-after failure (`circuit-open`) whose delay is the time until half-open plus
 * jitter, so the activities waiting on it come back spread out, and Temporal's retry policy does the waiting: no
 * request, no work dropped. Written here rather than taken from cockatiel 3, whose half-open state lets one call
 * through and holds every other call until it returns: the seeds let several through, and each waiting activity must
 * be told when to come back (docs/reliability.md, "Circuit breakers").
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  /** When the outage began (epoch ms): the first opening since the breaker was last closed. */
  private since = 0;
  private lastError: string | undefined;
  private admitted = 0;
  private succeeded = 0;

  constructor(
    readonly service: GuardedService,
    private readonly settings: BreakerSettings,
    private readonly onChange: (change: BreakerChange) => void = () => undefined,
    private readonly clock: { now: () => number; random: () => number } = { now: Date.now, random: Math.random },
  ) {}

  view(): BreakerView {
    this.advance();
    return { service: this.service, state: this.state };
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    this.advance();
    if (this.state === 'open') throw this.refusal(this.openUntil - this.clock.now());
    const probe = this.state === 'half-open';
    if (probe) {
      if (this.admitted >= this.settings.halfOpenCalls) throw this.refusal(0);
      this.admitted++;
    }
    try {
      const result = await call();
      this.answered(probe);
      return result;
    } catch (err) {
      if (isOutage(err)) this.failed(err);
      else this.answered(probe);
      throw err;
    }
  }

  /** An open breaker whose time is up turns half-open on the next look. */
  private advance(): void {
    if (this.state === 'open' && this.clock.now() >= this.openUntil) {
      this.state = 'half-open';
      this.admitted = 0;
      this.succeeded = 0;
    }
  }

  private answered(probe: boolean): void {
    this.failures = 0;
    if (!probe || this.state !== 'half-open') return;
    if (++this.succeeded < this.settings.halfOpenCalls) return;
    this.state = 'closed';
    this.onChange({ service: this.service, state: 'closed', at: this.clock.now(), since: this.since });
  }

  private failed(err: ApplicationFailure): void {
    this.lastError = err.message;
    this.failures++;
    if (this.state === 'closed' && this.failures < this.settings.failures) return;
    if (this.state === 'open') return;
    const reopened = this.state === 'half-open';
    const now = this.clock.now();
    this.state = 'open';
    this.openUntil = now + this.settings.openMs;
    // A half-open probe that fails continues the same outage: the deployment has heard of it already.
    if (reopened) return;
    this.since = now;
    this.onChange({ service: this.service, state: 'open', at: now, since: now, lastError: err.message });
  }

  /**
   * The failure of a call refused without a request: retried once the breaker is half-open, plus up to a tenth of the
   * open time (at least 2 s) at random, so the waiting calls do not all arrive at once.
   */
  private refusal(untilHalfOpenMs: number): ApplicationFailure {
    const jitterMs = this.clock.random() * Math.max(2_000, this.settings.openMs / 10);
    const name = guardedServices[this.service];
    const last = this.lastError ? `; last error: ${this.lastError}` : '';
    return retryAfterFailure(
      'circuit-open',
      `circuit breaker open: ${name} is down since ${new Date(this.since).toISOString()}${last}. No request was made`,
      Math.max(0, untilHalfOpenMs) + jitterMs,
    );
  }
}

function isOutage(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure && (outageCategories as readonly unknown[]).includes(err.type);
}

/**
 * The port with every method run through the breaker. Each method is called on the port itself, so a method that
 * calls another of the port's (X's duplicate check) is one call to the breaker.
 */
export function guardPort<T extends object>(port: T, breaker: CircuitBreaker): T {
  const guarded = { ...port } as Record<string, unknown>;
  for (const [name, member] of Object.entries(port)) {
    if (typeof member !== 'function') continue;
    const method = member as (...args: unknown[]) => Promise<unknown>;
    guarded[name] = (...args: unknown[]) => breaker.run(() => method.apply(port, args));
  }
  return guarded as T;
}
