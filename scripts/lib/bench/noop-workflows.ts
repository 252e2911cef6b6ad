import { proxyActivities } from '@temporalio/workflow';
import { policies } from '../../../src/workflows/policies';

/**
 * The bench's baselines: workflows of the same shape as an auto reply and a synced message — the same number of
 * activities in sequence, under the same policies — whose activities return at once. What the real ones take beyond
 * these is Steadfast's own cost (its services' calls, its search attributes, its notices), not the server's.
 */
export interface NoopActivities {
  noop(step: string): Promise<string>;
}

const ai = proxyActivities<NoopActivities>(policies.aiGenerate);
const x = proxyActivities<NoopActivities>(policies.xApi);
const convex = proxyActivities<NoopActivities>(policies.convex);
const notice = proxyActivities<NoopActivities>(policies.ownerNotice);

/** An auto reply's shape: draft, post, record, notify. */
export async function noopReplyWorkflow(): Promise<string> {
  await ai.noop('generateReply');
  await x.noop('postReply');
  await convex.noop('recordReply');
  return notice.noop('notifyOwner');
}

/** A synced message's shape: one Convex write. */
export async function noopSyncWorkflow(): Promise<string> {
  return convex.noop('saveMessage');
}
