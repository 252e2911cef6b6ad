import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTsProcess } from './helpers/processes';
import { testAddress } from './helpers/temporal';

/** The README's main job, run as a user runs it (`npm run demo -- --json`), against the test dev server. */
describe('npm run demo', () => {
  test('30 watched tweets end as their owner chose, through faults and a SIGKILLed worker, with no duplicate', async () => {
    const demo = startTsProcess('scripts/demo.ts', { TEMPORAL_ADDRESS: testAddress() }, ['--json']);
    const { code } = await demo.exited;
    const summaryLine = demo
      .output()
      .split('\n')
      .find((line) => line.startsWith('{"tweets"'));
    assert.ok(summaryLine, demo.output());
    const summary = JSON.parse(summaryLine) as Record<string, unknown>;
    assert.equal(code, 0, demo.output());
    assert.ok(Number(summary.retriesAbsorbed) > 0, 'the injected faults were met and retried');
    assert.match(String(summary.webUi), /\/workflows\?query=TaskQueue%3D%22steadfast-demo-\d+%22$/);
    assert.deepEqual(
      { ...summary, webUi: undefined, retriesAbsorbed: undefined },
      {
        tweets: 30,
        posted: 26,
        rejected: 2,
        expired: 2,
        failed: 0,
        failedIds: [],
        unexpected: [],
        retriesAbsorbed: undefined,
        duplicates: 0,
        workerKilled: true,
        webUi: undefined,
      },
    );
  });
});
