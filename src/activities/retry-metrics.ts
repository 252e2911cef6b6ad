import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { counters } from '../domain/metric-names';

/**
 * Counts the retries that Temporal absorbed: an attempt that succeeds after failed ones adds how many failed before
 * it (`steadfast_activity_retries_absorbed`, tagged with the activity type by the SDK's activity meter). Without
 * retries, each of those would have been a failure someone handled by hand.
 */
export class RetryMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const result = await next(input);
    const { attempt } = this.context.info;
    if (attempt > 1) {
      const { name, unit, description } = counters.retriesAbsorbed;
      this.context.metricMeter.createCounter(name, unit, description).add(attempt - 1);
    }
    return result;
  }
}
