import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { watchTweetsWorkflow } from '../workflows';
import { workflowIds, type ApprovalMode, type WatchInput } from '../domain/contracts';
import { accountIdKey } from '../workflows/search-attributes';
import { workflowSummaries } from '../domain/summaries';

/**
 * One Temporal Schedule per account, `watch:{accountId}`, polls its watched X users every `interval`. Overlapping
 * polls are skipped (a slow poll behind a rate limit never piles up), and the users live in the Schedule's own
 * action, so the Web UI shows what each account watches.
 */
export interface Watch {
  accountId: string;
  usernames: string[];
  approval: ApprovalMode;
  interval: string;
  paused: boolean;
}

export async function addWatch(
  client: Client,
  taskQueue: string,
  request: { accountId: string; username: string; approval: ApprovalMode; interval: string; approvalTimeout?: string },
): Promise<Watch> {
  const { accountId, username, approval, interval, approvalTimeout } = request;
  const existing = await describeWatch(client, accountId);
  const usernames = [...new Set([...(existing?.usernames ?? []), username])];
  const input: WatchInput = { accountId, usernames, approval, approvalTimeout };
  const handle = client.schedule.getHandle(workflowIds.watch(accountId));
  if (existing) {
    await handle.update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: interval }] },
      action: {
        ...previous.action,
        type: 'startWorkflow',
        workflowType: watchTweetsWorkflow,
        args: [input],
        staticSummary: workflowSummaries.watch(accountId, usernames),
      },
    }));
  } else {
    await client.schedule.create({
      scheduleId: workflowIds.watch(accountId),
      spec: { intervals: [{ every: interval }] },
      action: {
        type: 'startWorkflow',
        workflowType: watchTweetsWorkflow,
        workflowId: workflowIds.watch(accountId),
        taskQueue,
        args: [input],
        staticSummary: workflowSummaries.watch(accountId, usernames),
        typedSearchAttributes: [{ key: accountIdKey, value: accountId }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  }
  return { accountId, usernames, approval, interval, paused: false };
}

/** Stops watching one user; the Schedule goes when its last user does. False when the user was not watched. */
export async function removeWatch(client: Client, accountId: string, username: string): Promise<boolean> {
  const existing = await describeWatch(client, accountId);
  if (!existing?.usernames.includes(username)) return false;
  const handle = client.schedule.getHandle(workflowIds.watch(accountId));
  const usernames = existing.usernames.filter((name) => name !== username);
  if (usernames.length === 0) {
    await handle.delete();
    return true;
  }
  await handle.update((previous) => {
    const [input] = (previous.action.type === 'startWorkflow' ? previous.action.args : []) as WatchInput[];
    return {
      ...previous,
      action: { ...previous.action, args: [{ ...(input as WatchInput), usernames }] },
    };
  });
  return true;
}

export async function describeWatch(client: Client, accountId: string): Promise<Watch | undefined> {
  try {
    const description = await client.schedule.getHandle(workflowIds.watch(accountId)).describe();
    const [input] = (description.action.type === 'startWorkflow' ? description.action.args : []) as WatchInput[];
    const every = description.spec.intervals?.[0]?.every;
    return {
      accountId,
      usernames: input?.usernames ?? [],
      approval: input?.approval ?? 'owner',
      interval: typeof every === 'number' ? humanDuration(every) : String(every ?? '?'),
      paused: description.state.paused,
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

export async function listWatches(client: Client): Promise<Watch[]> {
  const watches: Watch[] = [];
  for await (const schedule of client.schedule.list()) {
    if (!schedule.scheduleId.startsWith('watch:')) continue;
    const watch = await describeWatch(client, schedule.scheduleId.slice('watch:'.length));
    if (watch) watches.push(watch);
  }
  return watches;
}

/** 3600000 → '1h', 120000 → '2m', 45000 → '45s': the way the interval was given. */
function humanDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
