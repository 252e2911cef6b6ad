import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stopProcessesStep } from '../worker-process';
import { benchDataConverter, type Bench } from './context';
import { startBenchServer } from './server';
import { ratio, runFigures, type RunFigures } from './stats';

export interface StorageFigures {
  defaultJournal: RunFigures;
  wal: RunFigures;
  /** WAL's throughput over the default journal's. */
  walThroughputRatio: number;
}

/**
 * `npm run server` keeps its state in a SQLite file. The same `count` no-op replies (the baseline of the reply part)
 * on two dev servers of their own, each on a new file: SQLite's default journal, and write-ahead logging
 * (`--sqlite-pragma journal_mode=wal`).
 */
export async function benchStorage(bench: Bench, count: number): Promise<StorageFigures> {
  const run = async (pragmas: string[]): Promise<RunFigures> => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-sqlite-'));
    const namespace = 'bench-storage';
    const server = await startBenchServer([namespace], ['--db-filename', join(dir, 'dev.sqlite'), ...pragmas]);
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection, namespace, dataConverter: benchDataConverter() });
      const worker = await bench.noopWorker(namespace, server.address);
      const units = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const startedAt = performance.now();
          await client.workflow.execute('noopReplyWorkflow', { taskQueue: bench.taskQueue, workflowId: `noop-${i}` });
          return { startedAt, doneAt: performance.now() };
        }),
      );
      await bench.stop([worker]);
      return runFigures(units);
    } finally {
      await connection.close();
      await stopProcessesStep('a storage bench server', [server]).stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const defaultJournal = await run([]);
  const wal = await run(['--sqlite-pragma', 'journal_mode=wal']);
  return { defaultJournal, wal, walThroughputRatio: ratio(wal.perSecond, defaultJournal.perSecond) };
}
