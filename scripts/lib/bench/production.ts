import { rmSync } from 'node:fs';
import { freeBasePort } from '../../../src/free-port';
import { ProductionStack, serverPortOffsets, temporaryStateDir } from '../production-stack';
import type { Bench } from './context';
import { ratio, shownFigures } from './stats';
import { noopRepliesOn, storageNamespace, walServer, type StorageServer } from './storage';

export interface ShardPoint {
  shards: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Its throughput over the SQLite WAL dev server's, the same load in the same run. */
  vsWalRatio: number;
}

export interface ProductionFigures {
  /** No-op replies started at once on each server. */
  load: number;
  /** The baseline: `npm run server`'s SQLite file in WAL mode. */
  wal: { perSecond: number; p50Ms: number; p99Ms: number };
  /** The production engine (`npm run server:production`) on a new cluster with each history shard count. */
  shards: ShardPoint[];
}

/** The production engine on a new PostgreSQL cluster of its own, made with `historyShards` history shards. */
function postgresServer(historyShards: number) {
  return async (): Promise<StorageServer> => {
    const dir = temporaryStateDir('steadfast-bench-postgres-');
    const { stack } = await ProductionStack.start({
      stateDir: dir,
      port: await freeBasePort(serverPortOffsets),
      dbPort: await freeBasePort([0]),
      namespaces: [storageNamespace],
      historyShards,
    });
    return {
      address: stack.address,
      stop: async () => {
        await stack.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

/**
 * The production engine, Temporal Server on PostgreSQL, on this host: `load` no-op replies at once on a cluster made
 * with each of `shardCounts` history shards, beside the same load on a SQLite WAL dev server just before.
 */
export async function benchProduction(bench: Bench, load: number, shardCounts: number[]): Promise<ProductionFigures> {
  const wal = await noopRepliesOn(bench, load, walServer);
  const shards: ShardPoint[] = [];
  for (const count of shardCounts) {
    const figures = await noopRepliesOn(bench, load, postgresServer(count));
    shards.push({ shards: count, ...shownFigures(figures), vsWalRatio: ratio(figures.perSecond, wal.perSecond) });
    bench.say(`    ${count} history shards: ${JSON.stringify(shards.at(-1))}`);
  }
  return { load, wal: shownFigures(wal), shards };
}
