import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTsProcess } from '../helpers/processes';

/**
 * `npm run bench -- --quick --json --production` runs end to end with the production engine (a PostgreSQL cluster and
 * a Temporal Server of its own, made with 4 and then 16 history shards). A smoke test: the figures are the bench's.
 */
describe('npm run bench -- --production', () => {
  test(
    '--quick --json prints the PostgreSQL figures by shard count beside the SQLite ones',
    { timeout: 600_000 },
    async () => {
      const bench = startTsProcess('scripts/bench.ts', {}, ['--quick', '--json', '--production']);
      let stdout = '';
      bench.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const { code } = await bench.exited;
      assert.equal(code, 0, bench.output());
      const { production } = JSON.parse(stdout) as {
        production: {
          wal: { perSecond: unknown };
          shards: { shards: number; perSecond: unknown; vsWalRatio: unknown }[];
        };
      };
      assert.deepEqual(
        production.shards.map((point) => point.shards),
        [4, 16],
      );
      for (const value of [
        production.wal.perSecond,
        ...production.shards.flatMap((p) => [p.perSecond, p.vsWalRatio]),
      ]) {
        assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, JSON.stringify(production));
      }
    },
  );
});
