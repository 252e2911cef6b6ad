import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTsProcess } from '../helpers/processes';

/**
 * `npm run bench -- --quick --json` runs end to end (its own dev server, sandbox and workers) and prints every figure
 * docs/performance.md's table shows. A smoke test: what the figures are is the bench's to say, not a test's to assert.
 */
describe('npm run bench', () => {
  test(
    '--quick --json prints every figure, and the waiting replies all posted once',
    { timeout: 600_000 },
    async (t) => {
      // With --report, as the docs are written: the run's own figures land in the page.
      const page = join(mkdtempSync(join(tmpdir(), 'steadfast-bench-')), 'performance.md');
      writeFileSync(page, '# Performance\n\n<!-- bench:report:start -->\n<!-- bench:report:end -->\n');
      const bench = startTsProcess('scripts/bench.ts', {}, ['--quick', '--json', '--report', page]);
      // The figures are standard output; progress and the workers' warnings go to standard error.
      let stdout = '';
      bench.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const { code } = await bench.exited;
      assert.equal(code, 0, bench.output());
      const figures = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
      const keys = [
        'reply.throughputRatio',
        'reply.p50Ratio',
        'sync.throughputRatio',
        'actions.autoReply',
        'actions.ownerReply',
        'actions.autoReplyAlone',
        'actions.ownerReplyAlone',
        'actions.syncedMessage',
        'actions.idleAccountHour',
        'actions.idleControlBotHour',
        'recovery.replyP99AddedMs',
        'recovery.sessionFailoverMs',
        'session.pauseMs',
        'session.reconnectMs',
        'memory.workerRssMb',
        'memory.workerIdleRssMb',
        'memory.workerPeakRssMb',
        'storage.walThroughputRatio',
      ];
      for (const key of keys) {
        const [group = '', name = ''] = key.split('.');
        const value = figures[group]?.[name];
        assert.equal(typeof value, 'number', `${key}: ${JSON.stringify(value)}`);
        assert.ok(Number.isFinite(value) && (value as number) >= 0, `${key}: ${String(value)}`);
      }
      // A slope through a few noisy points: any sign, but a number.
      assert.ok(
        Number.isFinite(figures.memory?.perThousandMb),
        `memory.perThousandMb: ${String(figures.memory?.perThousandMb)}`,
      );
      assert.equal(figures.memory?.postedOnce, true);
      const report = readFileSync(page, 'utf8');
      assert.match(report, /a quick run, \d+ minutes\./);
      assert.match(
        report,
        new RegExp(
          `\\| actions per owner-approved reply, at once \\(the approval included\\) +\\| ${String(figures.actions?.ownerReply)} +\\|`,
        ),
      );
      t.diagnostic(
        `figures: ${JSON.stringify({ reply: figures.reply, actions: figures.actions, recovery: figures.recovery })}`,
      );
    },
  );

  test('--report with a page that has no place for it is refused before anything starts', async () => {
    const page = join(mkdtempSync(join(tmpdir(), 'steadfast-bench-')), 'notes.md');
    writeFileSync(page, '# Notes\n');
    const bench = startTsProcess('scripts/bench.ts', {}, ['--report', page]);
    const { code } = await bench.exited;
    assert.equal(code, 2, bench.output());
    assert.match(bench.output(), /notes\.md: the file has no place for the report/);
    assert.doesNotMatch(bench.output(), /Starting a dev server/);
  });
});
