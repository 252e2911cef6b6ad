import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTsProcess } from './helpers/processes';
import { testAddress } from './helpers/temporal';

/** The README's main job, run as a user runs it (`npm run demo -- --json`), against the test dev server. */
describe('npm run demo', () => {
  test('answers every tweet as its owner chose, survives a SIGKILLed worker, and posts no duplicate', async () => {
    const demo = startTsProcess('scripts/demo.ts', { TEMPORAL_ADDRESS: testAddress() }, ['--json']);
    const { code } = await demo.exited;
    const summaryLine = demo
      .output()
      .split('\n')
      .find((line) => line.startsWith('{"tweets"'));
    assert.ok(summaryLine, demo.output());
    const summary = JSON.parse(summaryLine) as Record<string, unknown>;
    assert.equal(code, 0, demo.output());
    assert.deepEqual(
      { ...summary, webUi: undefined },
      {
        tweets: 18,
        posted: 14,
        rejected: 2,
        expired: 2,
        failed: 0,
        failedIds: [],
        unexpected: [],
        duplicates: 0,
        workerKilled: true,
        webUi: undefined,
      },
    );
  });
});
