import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freeBasePort } from '../free-ports';
import { ProductionStack, serverPortOffsets, temporaryStateDir } from '../production-server';
import { stopProcessesStep } from '../worker-process';
import { benchDataConverter, type Bench } from './context';
import { startBenchServer } from './server';
import { ratio, runFigures, type RunFigures } from './stats';

export interface StorageFigures {
  defaultJournal: RunFigures;
  wal: RunFigures;
  /** WAL's throughput over the default journal's. */
  walThroughputRatio: number;
  /** With --production: the production engine, Temporal Server on PostgreSQL (`npm run server:production`). */
  postgres?: RunFigures;
  /** PostgreSQL's throughput over SQLite WAL's. */
  postgresVsWalRatio?: number;
}

interface StorageServer {
  address: string;
  stop: () => Promise<void>;
}

const namespace = 'bench-storage';

/** A dev server of its own on a new SQLite file, with `pragmas`. */
async function sqliteServer(pragmas: string[]): Promise<StorageServer> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-sqlite-'));
  const server = await startBenchServer([namespace], ['--db-filename', join(dir, 'dev.sqlite'), ...pragmas]);
  return {
    address: server.address,
    stop: async () => {
      await stopProcessesStep('a storage bench server', [server]).stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The production engine on a new PostgreSQL cluster of its own (scripts/production-server.ts). */
async function postgresServer(): Promise<StorageServer> {
  const dir = temporaryStateDir('steadfast-bench-postgres-');
  const { stack } = await ProductionStack.start({
    stateDir: dir,
    port: await freeBasePort(serverPortOffsets),
    dbPort: await freeBasePort([0]),
    namespaces: [namespace],
  });
  return {
    address: stack.address,
    stop: async () => {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Where a server keeps its state. The same `count` no-op replies (the baseline of the reply part) on servers of their
 * own, each on new storage: `npm run server`'s SQLite file with SQLite's default journal, then with write-ahead
 * logging (`--sqlite-pragma journal_mode=wal`), and with `production` the production engine on PostgreSQL.
 */
export async function benchStorage(bench: Bench, count: number, production: boolean): Promise<StorageFigures> {
  const run = async (start: () => Promise<StorageServer>): Promise<RunFigures> => {
    const server = await start();
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
      await server.stop();
    }
  };
  const defaultJournal = await run(() => sqliteServer([]));
  const wal = await run(() => sqliteServer(['--sqlite-pragma', 'journal_mode=wal']));
  const figures = { defaultJournal, wal, walThroughputRatio: ratio(wal.perSecond, defaultJournal.perSecond) };
  if (!production) return figures;
  const postgres = await run(postgresServer);
  return { ...figures, postgres, postgresVsWalRatio: ratio(postgres.perSecond, wal.perSecond) };
}
