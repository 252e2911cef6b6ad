import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { searchAttributeKeys } from '../../../src/workflows/search-attributes';
import { ownDevServerPorts, untilServerAnswers } from '../dev-server';
import { resolveTemporalCli } from '../temporal-cli-build';

/**
 * The bench's own Temporal dev server (the pinned CLI), in memory, with its metrics on: its `action` counter is what
 * Temporal Cloud bills, labelled by namespace, so each part of the bench runs in a namespace of its own and counts
 * only its own actions.
 */
export interface BenchServer {
  address: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Billable actions in `namespace` so far, in total and by action type. */
  actions(namespace: string): Promise<{ total: number; byType: Record<string, number> }>;
  /** The server process's resident memory, MB. */
  rssMb(): number;
}

/** A dev server of the bench's own; `extraArgs` for `start-dev` (a database file, its pragmas). */
export async function startBenchServer(namespaces: string[], extraArgs: string[] = []): Promise<BenchServer> {
  const { port, metricsPort, startDev } = await ownDevServerPorts();
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    resolveTemporalCli({ say: (line) => console.error(line) }),
    startDev([
      ...namespaces.flatMap((namespace) => ['--namespace', namespace]),
      ...searchAttributeKeys.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
      ...extraArgs,
    ]),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await untilServerAnswers(address, child, "the bench's dev server", { timeoutMs: 60_000 });
  return {
    address,
    child,
    exited,
    async actions(namespace) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      // Prometheus label values carry the namespace with '-' as '_'.
      const label = `namespace="${namespace.replace(/-/g, '_')}"`;
      const byType: Record<string, number> = {};
      let total = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith('action{') || !line.includes(label)) continue;
        const type = /action_type="([^"]+)"/.exec(line)?.[1] ?? '?';
        const value = Number(line.slice(line.lastIndexOf(' ') + 1));
        byType[type] = (byType[type] ?? 0) + value;
        total += value;
      }
      return { total, byType };
    },
    rssMb: () => processRssMb(child.pid),
  };
}

/** A process's resident memory (VmRSS), MB; 0 once it is gone. */
export function processRssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** The difference of two action counts, by type, without the types that did not change. */
export function actionsBetween(
  before: { total: number; byType: Record<string, number> },
  after: { total: number; byType: Record<string, number> },
): { total: number; byType: Record<string, number> } {
  const byType: Record<string, number> = {};
  for (const [type, value] of Object.entries(after.byType)) {
    const delta = value - (before.byType[type] ?? 0);
    if (delta) byType[type] = delta;
  }
  return { total: after.total - before.total, byType };
}
