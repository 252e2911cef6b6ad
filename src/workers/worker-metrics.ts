import type { MetricMeter } from '@temporalio/common';
import type { CircuitBreaker, BreakerState } from '../adapters/circuit-breaker';
import { counters } from '../domain/metric-names';
import type { SessionReport } from '../workflows/messages';

const breakerStates: BreakerState[] = ['closed', 'half-open', 'open'];
const sessionStates = ['connected', 'reconnecting'] as const;

/**
 * The worker's own metrics beside the SDK's, on the runtime's meter (docs/reliability.md, "Metrics and health"): its breakers'
 * states and the sessions it holds, set when /metrics is read, and the reconnects counted as they are reported.
 */
export function workerMetrics(meter: MetricMeter, breakers: CircuitBreaker[]) {
  const breakerGauge = meter.createGauge(
    'steadfast_circuit_breaker_state',
    'int',
    'breaker',
    "1 for the breaker's current state (closed, half-open, open), by service; one breaker per worker",
  );
  const sessionGauge = meter.createGauge(
    'steadfast_sessions',
    'int',
    'sessions',
    'Sessions this worker holds, by state',
  );
  // Every Steadfast counter at 0 from the start, so each series is scraped before its first event (metric-names.ts).
  for (const { name, unit, description } of Object.values(counters))
    meter.createCounter(name, unit, description).add(0);
  const { name, unit, description } = counters.sessionReconnects;
  const reconnects = meter.createCounter(name, unit, description);
  /** The state each session this worker holds last reported, by its workflow id. */
  const sessions = new Map<string, SessionReport['state']>();

  return {
    /** The session activity's reports to its workflow, seen on the way. */
    observeSessions<T extends { report: (workflowId: string, report: SessionReport) => Promise<void> }>(deps: T): T {
      return {
        ...deps,
        report: async (workflowId: string, report: SessionReport) => {
          if (report.state === 'disconnected') sessions.delete(workflowId);
          else sessions.set(workflowId, report.state);
          if (report.state === 'reconnecting') reconnects.add(1);
          await deps.report(workflowId, report);
        },
      };
    },

    /** Sets the gauges to what is true now; called before each scrape. */
    refresh(): void {
      for (const breaker of breakers) {
        const { service, state } = breaker.view();
        for (const candidate of breakerStates)
          breakerGauge.set(candidate === state ? 1 : 0, { service, state: candidate });
      }
      for (const state of sessionStates) {
        sessionGauge.set([...sessions.values()].filter((held) => held === state).length, { state });
      }
    },
  };
}
