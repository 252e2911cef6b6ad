import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { TemporalConfig } from '../../src/config';
import { isSandboxUp, setSandboxFaults, type SandboxService } from '../../src/sandbox/sandbox';
import { terminateTaskQueue } from './terminate-task-queue';
import { workflowIds } from '../../src/domain/contracts';
import { stateDir } from './dev-server';

/**
 * A running demo's record of what it started, kept up to date as it starts things, so that the next demo clears
 * what one left behind when it was killed or stopped at once: its workers, the faults it set on a shared sandbox,
 * its Schedules and the workflows on its task queue. One per Temporal server, since the Schedules live there.
 */
export interface DemoRecord {
  pid: number;
  startedAt: string;
  taskQueue: string;
  sandboxPort: number;
  /** Faults set on a sandbox the demo did not start (its own stops with it). */
  sharedSandboxFaults: boolean;
  workerPids: number[];
}

/** Every demo's task queue starts with it: nothing else runs there, and no worker polls it once the demo ends. */
export const demoTaskQueuePrefix = 'steadfast-demo-';
export const demoAccounts = ['alice', 'bob'] as const;
const services: SandboxService[] = ['openai', 'x', 'convex', 'telegram'];

const recordPath = ({ address, namespace }: TemporalConfig) =>
  join(stateDir, `demo-${`${address}-${namespace}`.replace(/[^\w.-]/g, '_')}.json`);

export function readDemoRecord(config: TemporalConfig): DemoRecord | undefined {
  const path = recordPath(config);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DemoRecord) : undefined;
}

export function writeDemoRecord(config: TemporalConfig, record: DemoRecord): void {
  mkdirSync(stateDir, { recursive: true });
  const path = recordPath(config);
  writeFileSync(`${path}.tmp`, JSON.stringify(record));
  renameSync(`${path}.tmp`, path);
}

export function removeDemoRecord(config: TemporalConfig): void {
  rmSync(recordPath(config), { force: true });
}

/**
 * True only when `pid` is, as far as can be told, the process the record names: alive, running `script` (its command
 * line, from /proc or `ps`), and, where /proc shows its environment, with `taskQueue` as its TEMPORAL_TASK_QUEUE. A
 * pid the system reused for something else is never taken for it; what cannot be checked counts as not running.
 */
export function isRunning(pid: number, script: string, taskQueue?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const proc = `/proc/${pid}`;
  if (existsSync(proc)) {
    try {
      if (!readFileSync(`${proc}/cmdline`, 'utf8').includes(script)) return false;
      return (
        !taskQueue || readFileSync(`${proc}/environ`, 'utf8').split('\0').includes(`TEMPORAL_TASK_QUEUE=${taskQueue}`)
      );
    } catch {
      return false;
    }
  }
  const ps = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 && ps.stdout.includes(script);
}

/** Clears what a demo that is no longer running left; returns what it did, a line each. */
export async function clearDemoLeftovers(client: Client, record: DemoRecord): Promise<string[]> {
  const done: string[] = [];
  const workers = record.workerPids.filter((pid) => isRunning(pid, 'workers/main', record.taskQueue));
  for (const pid of workers) process.kill(pid, 'SIGKILL');
  if (workers.length) done.push(`SIGKILLed its worker processes (pids ${workers.join(', ')})`);
  if (record.sharedSandboxFaults && (await isSandboxUp(record.sandboxPort))) {
    for (const service of services) await setSandboxFaults(record.sandboxPort, service, {});
    done.push(`cleared the faults it set on the sandbox at port ${record.sandboxPort}`);
  }
  done.push(...(await clearDemoTaskQueue(client, record.taskQueue)));
  return done;
}

/**
 * Deletes the demo accounts' Schedules when they start workflows on `taskQueue`, then terminates what still runs
 * there. A Schedule on another task queue is not the demo's and is left alone.
 */
export async function clearDemoTaskQueue(client: Client, taskQueue: string): Promise<string[]> {
  const done: string[] = [];
  const deleted: string[] = [];
  for (const accountId of demoAccounts) {
    if ((await watchTaskQueue(client, accountId)) !== taskQueue) continue;
    await client.schedule.getHandle(workflowIds.watch(accountId)).delete();
    deleted.push(workflowIds.watch(accountId));
  }
  if (deleted.length) done.push(`deleted the Schedules ${deleted.join(', ')}`);
  const reason = `npm run demo ended: no worker polls ${taskQueue} any more`;
  const terminated = await terminateTaskQueue(client, taskQueue, reason);
  if (terminated.length) done.push(terminatedLine(taskQueue, terminated));
  return done;
}

export function terminatedLine(taskQueue: string, ids: string[]): string {
  const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
  return `terminated ${ids.length} workflow${ids.length === 1 ? '' : 's'} still running on ${taskQueue}: ${shown}`;
}

/** The task queue an account's watch Schedule starts its polls on; undefined when it has none. */
export async function watchTaskQueue(client: Client, accountId: string): Promise<string | undefined> {
  try {
    const { action } = await client.schedule.getHandle(workflowIds.watch(accountId)).describe();
    return action.type === 'startWorkflow' ? action.taskQueue : undefined;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}
