import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  guardedServices,
  type BreakerChange,
  type GuardedService,
  type ServiceHealthInput,
  type ServiceOutage,
} from '../domain/contracts';
import { breakerChangeSignal, outagesQuery } from './messages';
import { notifyOwnerThroughOutbox } from './owner-notice';

/** Continue as new well before the history is long: each change is a signal and, at most, one hand-over. */
const maxHistory = 2000;

/**
 * The deployment's view of its services, one per task queue. Every worker's circuit breaker decides for that worker
 * and reports here when it opens or closes; the owner hears once per outage for the whole deployment: when the first
 * breaker for a service opens, and when one closes again (a call went through: the service is back). A breaker that
 * opens later on another worker while the outage is told already adds nothing but its name.
 */
export async function serviceHealthWorkflow(input: ServiceHealthInput = {}): Promise<void> {
  const outages: Partial<Record<GuardedService, ServiceOutage>> = { ...input.outages };
  const changes: BreakerChange[] = [];
  setHandler(breakerChangeSignal, (change) => void changes.push(change));
  setHandler(outagesQuery, () => outages);

  while (workflowInfo().historyLength < maxHistory || changes.length > 0) {
    await condition(() => changes.length > 0 || workflowInfo().continueAsNewSuggested);
    const change = changes.shift();
    if (!change) break;
    const notice = apply(outages, change);
    if (notice)
      await notifyOwnerThroughOutbox({ key: notice.key, accountId: 'all accounts', text: notice.text, kind: 'notice' });
  }
  await continueAsNew<typeof serviceHealthWorkflow>({ outages });
}

/** Records a change; what the owner is told of it, if anything. */
function apply(
  outages: Partial<Record<GuardedService, ServiceOutage>>,
  change: BreakerChange,
): { key: string; text: string } | undefined {
  const { service, worker = 'a worker' } = change;
  const name = guardedServices[service];
  const outage = outages[service];
  if (change.state === 'open') {
    if (outage) {
      if (!outage.openOn.includes(worker)) outage.openOn.push(worker);
      return undefined;
    }
    outages[service] = { since: change.since, lastError: change.lastError, openOn: [worker] };
    const waiting =
      change.waitingReplies === undefined ? '' : `, ${plural(change.waitingReplies, 'reply', 'replies')} waiting`;
    const last = change.lastError ? `, last error: ${change.lastError}` : '';
    return {
      key: `breaker:${service}:${change.since}:open`,
      text: `circuit breaker open: ${name} — since ${clock(change.since)}${last}${waiting}`,
    };
  }
  if (!outage) return undefined;
  delete outages[service];
  return {
    key: `breaker:${service}:${outage.since}:closed`,
    text: `circuit breaker closed: ${name} — down ${lasted(change.at - outage.since)}, waiting replies resume`,
  };
}

function clock(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)} UTC`;
}

function lasted(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
