import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';

/** Heartbeat timeouts up to this one are the worker's to keep: longer ones belong to activities that heartbeat. */
const keptUpToMs = 10_000;

/**
 * Keeps a short activity alive while its call runs: a heartbeat at every half of its policy's heartbeatTimeout, the
 * first one only after that half. A worker that dies mid-call (SIGKILL, a lost host) is then noticed within the
 * heartbeat timeout rather than the whole startToCloseTimeout. A call quicker than the half sends no heartbeat, and so
 * costs no action; a slower one costs one each half (policies.ts). The session activities (30 s) pace their own.
 */
export class KeepAliveInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const timeoutMs = this.context.info.heartbeatTimeoutMs;
    if (!timeoutMs || timeoutMs > keptUpToMs) return await next(input);
    const beat = setInterval(() => this.context.heartbeat(), timeoutMs / 2);
    try {
      return await next(input);
    } finally {
      clearInterval(beat);
    }
  }
}
