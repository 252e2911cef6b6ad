import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stopProcessesStep } from '../worker-process';
import { benchDataConverter, type Bench } from './context';
import { startBenchServer } from './bench-server';
import { ratio, runFigures, type RunFigures } from './stats';

export interface StorageFigures {
  defaultJournal: RunFigures;
  wal: RunFigures;
  /** WAL's throughput over the default journal's. */
  walThroughputRatio: number;
}

export interface StorageServer {
  address: string;
  stop: () => Promise<void>;
}

/** Every storage server's one namespace. */
export const storageNamespace = 'bench-storage';

/** A dev server of its own on a new SQLite file, with `pragmas`. */
async function sqliteServer(pragmas: string[]): Promise<StorageServer> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-sqlite-'));
  const server = await startBenchServer([storageNamespace], ['--db-filename', join(dir, 'dev.sqlite'), ...pragmas]);
  return {
    address: server.address,
    stop: async () => {
      await stopProcessesStep('a storage bench server', [server]).stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `count` no-op replies (the baseline of the reply part) at once on a server of their own, on new storage, started by
 * `start` and stopped after.
 */
export async function noopRepliesOn(
  bench: Bench,
  count: number,
  start: () => Promise<StorageServer>,
): Promise<RunFigures> {
  const server = await start();
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: storageNamespace, dataConverter: benchDataConverter() });
    const worker = await bench.noopWorker(storageNamespace, server.address);
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
    await server.stop();
  }
}

/** `npm run server`'s SQLite file in write-ahead logging mode, on a dev server of its own. */
export const walServer = () => sqliteServer(['--sqlite-pragma', 'journal_mode=wal']);

/**
 * Where a dev server keeps its state: the same `count` no-op replies on `npm run server`'s SQLite file with SQLite's
 * default journal, then with write-ahead logging (`--sqlite-pragma journal_mode=wal`), each on a new file.
 */
export async function benchStorage(bench: Bench, count: number): Promise<StorageFigures> {
  const defaultJournal = await noopRepliesOn(bench, count, () => sqliteServer([]));
  const wal = await noopRepliesOn(bench, count, walServer);
  return { defaultJournal, wal, walThroughputRatio: ratio(wal.perSecond, defaultJournal.perSecond) };
}
