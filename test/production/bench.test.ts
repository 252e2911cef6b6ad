import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTsProcess } from '../helpers/processes';

/**
 * `npm run bench -- --quick --json --production` runs end to end with the production engine in its storage part (a
 * PostgreSQL cluster and a Temporal Server of its own). A smoke test: the figures are the bench's to say.
 */
describe('npm run bench -- --production', () => {
  test('--quick --json prints the PostgreSQL figures beside the SQLite ones', { timeout: 600_000 }, async () => {
    const bench = startTsProcess('scripts/bench.ts', {}, ['--quick', '--json', '--production']);
    let stdout = '';
    bench.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const { code } = await bench.exited;
    assert.equal(code, 0, bench.output());
    const { storage } = JSON.parse(stdout) as {
      storage: { postgresVsWalRatio: unknown; postgres: { perSecond: unknown }; wal: { perSecond: unknown } };
    };
    for (const value of [storage.postgresVsWalRatio, storage.postgres.perSecond, storage.wal.perSecond]) {
      assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, JSON.stringify(storage));
    }
  });
});
