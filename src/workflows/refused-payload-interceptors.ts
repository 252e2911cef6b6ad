import {
  ApplicationFailure,
  log,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { isRefusedPayload, refusedPayloadReason } from './refused-payload';

/**
 * Refuses what arrives in payloads that were not encrypted with the deployment's key (refused-payload.ts): an
 * Update's validator rejects it (nothing enters the history, and a reply waiting for its owner goes on waiting), a
 * signal is dropped, a query fails, a workflow started with one fails at once, an activity result (from a worker
 * that is not the deployment's) fails its activity's caller. Registered with every worker's workflows
 * (src/workers/worker-options.ts, and the bundle: src/workers/workflow-bundle.ts).
 */
const refused = (what: string) => ApplicationFailure.nonRetryable(`${what}: ${refusedPayloadReason}`, 'invalid-input');
const anyRefused = (values: readonly unknown[]) => values.some(isRefusedPayload);

class RefusePlainInbound implements WorkflowInboundCallsInterceptor {
  // Async: the workflow's own failure is a rejected execution; a throw before it would fail the task, over and over.
  execute: NonNullable<WorkflowInboundCallsInterceptor['execute']> = async (input, next) => {
    if (anyRefused(input.args)) throw refused('the workflow’s input');
    return next(input);
  };
  validateUpdate: NonNullable<WorkflowInboundCallsInterceptor['validateUpdate']> = (input, next) => {
    if (anyRefused(input.args)) throw refused(`the Update ${input.name}`);
    next(input);
  };
  handleSignal: NonNullable<WorkflowInboundCallsInterceptor['handleSignal']> = async (input, next) => {
    if (anyRefused(input.args)) {
      log.warn('a signal with a payload that is not encrypted was dropped', { signal: input.signalName });
      return;
    }
    await next(input);
  };
  handleQuery: NonNullable<WorkflowInboundCallsInterceptor['handleQuery']> = async (input, next) => {
    if (anyRefused(input.args)) throw refused(`the query ${input.queryName}`);
    return next(input);
  };
}

class RefusePlainOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity: NonNullable<WorkflowOutboundCallsInterceptor['scheduleActivity']> = async (input, next) => {
    const result = await next(input);
    if (isRefusedPayload(result)) throw refused(`the result of ${input.activityType}`);
    return result;
  };
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new RefusePlainInbound()],
  outbound: [new RefusePlainOutbound()],
});
