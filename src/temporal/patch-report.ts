import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { compareReleases, releaseOfBuild } from '../release';
import { patches, retiredTypes, type PatchEntry } from '../workflows/patches';

/**
 * What `steadfast patches` says of each entry of the register (src/workflows/patches.ts), from the open runs of its
 * workflow types: which of them still need the code the entry's next step takes away.
 */
export interface PatchStanding {
  id: string;
  kind: 'patch' | 'type';
  state: 'patched' | 'deprecated' | 'removed';
  workflows: string[];
  change: string;
  /** Open runs of its workflow types. */
  openRuns: number;
  /** Open runs this checkout cannot run: they took a branch it no longer has, or are of a type it removed. */
  broken: string[];
  /** Open runs that keep the entry where it is: its next step would break them. */
  neededBy: string[];
  /** What may be done next, or why not yet. */
  next: string;
}

const running = (types: readonly string[]) =>
  `WorkflowType IN (${types.map((type) => `"${type}"`).join(', ')}) AND ExecutionStatus = "Running"`;

type History = temporal.api.history.v1.IHistory;

/** The patch markers of a history, in order: `{ id, deprecated }` as the SDK records them. */
function patchMarkers(history: History): { id: string; deprecated: boolean; eventIndex: number }[] {
  const found: { id: string; deprecated: boolean; eventIndex: number }[] = [];
  (history.events ?? []).forEach((event, eventIndex) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return;
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    if (!data) return;
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { id: string; deprecated: boolean };
    found.push({ ...parsed, eventIndex });
  });
  return found;
}

/** Whether a run has made any decision yet: before its first completed workflow task it has taken no branch. */
const decided = (history: History) => (history.events ?? []).some((e) => e.workflowTaskCompletedEventAttributes);

/** The releases that ran it (`BuildIds`); a build without a release's name is older than every named release. */
function ranOnOlderRelease(execution: WorkflowExecutionInfo, than: string): boolean {
  const builds = (execution.searchAttributes.BuildIds as string[] | undefined) ?? [];
  return builds
    .filter((build) => build !== 'unversioned')
    .some((build) => {
      const named = releaseOfBuild(build);
      return named === undefined || compareReleases(named, than) < 0;
    });
}

/** Whether the run took the patch's old branch, so that only code with `patched()` still runs it. */
function tookOldBranch(entry: PatchEntry, execution: WorkflowExecutionInfo, history: History): boolean {
  const markers = patchMarkers(history).filter((marker) => marker.id === entry.id);
  const { oldBranch } = entry;
  switch (oldBranch.kind) {
    case 'ends-the-run':
      return false;
    case 'asked-at-start':
      return decided(history) && markers.length === 0;
    case 'starts-child':
      return (history.events ?? []).some(
        (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === oldBranch.workflowType,
      );
    case 'activity-before-marker': {
      const firstMarker = markers[0]?.eventIndex ?? Infinity;
      return (history.events ?? []).some(
        (e, index) =>
          index < firstMarker && e.activityTaskScheduledEventAttributes?.activityType?.name === oldBranch.activityType,
      );
    }
    case 'older-build':
      // The patch's release is the first that may have it; a run on anything before it may have taken either branch.
      return ranOnOlderRelease(execution, compareReleases(entry.added, '0.2.0') < 0 ? '0.2.0' : entry.added);
  }
}

async function openRuns(client: Client, types: readonly string[]) {
  const runs: { execution: WorkflowExecutionInfo; history: () => Promise<History> }[] = [];
  for await (const execution of client.workflow.list({ query: running(types) })) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    let fetched: Promise<History> | undefined;
    runs.push({ execution, history: () => (fetched ??= handle.fetchHistory()) });
  }
  return runs;
}

export async function patchReport(client: Client): Promise<PatchStanding[]> {
  const report: PatchStanding[] = [];
  for (const entry of patches) {
    const runs = await openRuns(client, entry.workflows);
    const broken: string[] = [];
    const neededBy: string[] = [];
    for (const { execution, history } of runs) {
      const events = await history();
      const oldBranch = tookOldBranch(entry, execution, events);
      if (entry.state === 'patched') {
        if (oldBranch) neededBy.push(execution.workflowId);
        continue;
      }
      // Deprecated: a run on the old branch cannot replay here; one holding the patch's marker needs deprecatePatch.
      if (oldBranch) broken.push(execution.workflowId);
      if (patchMarkers(events).some((marker) => marker.id === entry.id && !marker.deprecated)) {
        neededBy.push(execution.workflowId);
      }
    }
    const next =
      entry.state === 'patched'
        ? neededBy.length === 0
          ? 'no open run took the old branch: the next release may deprecate it (deprecatePatch)'
          : `${neededBy.length} open run(s) took the old branch: keep patched() until they end or roll over`
        : neededBy.length === 0
          ? 'no open run holds its marker: the next release may remove it'
          : `${neededBy.length} open run(s) hold its marker: keep deprecatePatch() until they end or roll over`;
    report.push({
      id: entry.id,
      kind: 'patch',
      state: entry.state,
      workflows: [...entry.workflows],
      change: entry.change,
      openRuns: runs.length,
      broken,
      neededBy,
      next,
    });
  }
  for (const retired of retiredTypes) {
    const runs = await openRuns(client, [retired.workflowType]);
    const ids = runs.map(({ execution }) => execution.workflowId);
    report.push({
      id: retired.workflowType,
      kind: 'type',
      state: 'removed',
      workflows: [retired.workflowType],
      change: `${retired.change} (with ${retired.patches.join(', ')})`,
      openRuns: runs.length,
      broken: ids,
      neededBy: ids,
      next:
        ids.length === 0
          ? `removed in ${retired.removed}; no open run needs it`
          : `removed in ${retired.removed}, but ${ids.length} open run(s) need it: finish them on the release before`,
    });
  }
  return report;
}

/** The runs this checkout cannot run: before an upgrade, run with the new checkout while the old workers still run. */
export function upgradeBlockers(report: PatchStanding[]): { id: string; runs: string[] }[] {
  return report.filter((standing) => standing.broken.length > 0).map(({ id, broken }) => ({ id, runs: broken }));
}
