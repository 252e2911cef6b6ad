import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundlePath } from './helpers/temporal';

/**
 * Replays the recorded histories of shipped workflows (test/histories/*.json) against the current workflow code.
 * A non-deterministic change (a new activity, a reordered step, a removed timer) fails here: make it behind
 * `patched()` instead, so workflows already running in production keep replaying.
 */
const dir = join(__dirname, 'histories');
const histories = readdirSync(dir).filter((file) => file.endsWith('.json'));

describe('replay of recorded histories', () => {
  test('there are histories to replay', () => {
    assert.ok(histories.length >= 5, `expected recorded histories in ${dir}`);
  });
  for (const file of histories) {
    test(file, async () => {
      const history: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, file);
    });
  }
});
