import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTsProcess } from './helpers/processes';

/**
 * `npm run bench -- --quick --json` runs end to end (its own dev server, sandbox and workers) and prints every figure
 * the README's table shows. A smoke test: what the figures are is the bench's to say, not a test's to assert.
 */
describe('npm run bench', () => {
  test(
    '--quick --json prints every figure, and the waiting replies all posted once',
    { timeout: 600_000 },
    async (t) => {
      const bench = startTsProcess('scripts/bench.ts', {}, ['--quick', '--json']);
      const { code } = await bench.exited;
      const output = bench.output();
      assert.equal(code, 0, output);
      const figures = JSON.parse(output.slice(output.indexOf('\n{') + 1)) as Record<string, Record<string, unknown>>;
      const keys = [
        'reply.throughputRatio',
        'reply.p50Ratio',
        'sync.throughputRatio',
        'actions.autoReply',
        'actions.ownerReply',
        'actions.syncedMessage',
        'actions.idleAccountHour',
        'actions.idleControlBotHour',
        'recovery.replyP99AddedMs',
        'recovery.sessionFailoverMs',
        'memory.workerRssMb',
      ];
      for (const key of keys) {
        const [group = '', name = ''] = key.split('.');
        const value = figures[group]?.[name];
        assert.equal(typeof value, 'number', `${key}: ${JSON.stringify(value)}`);
        assert.ok(Number.isFinite(value) && (value as number) >= 0, `${key}: ${String(value)}`);
      }
      assert.equal(figures.memory?.postedOnce, true);
      t.diagnostic(
        `figures: ${JSON.stringify({ reply: figures.reply, actions: figures.actions, recovery: figures.recovery })}`,
      );
    },
  );
});
