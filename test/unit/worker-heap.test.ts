import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

/** The worker's heap flags, in a process of their own (V8's flags are the process's): what its threads then get. */
function probe(args: string[], nodeOptions?: string): { set: string[]; youngMb: number } {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions ?? '' };
  const script = resolve(__dirname, '../fixtures/heap-probe.ts');
  const output = execFileSync(process.execPath, ['--import', 'tsx', script, ...args], { env, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as { set: string[]; youngMb: number };
}

describe('worker heap flags', () => {
  test("a thread started after them (the SDK's workflow thread) keeps a small young generation", () => {
    // V8's own size depends on the host's memory (1 MB a semi-space at 1 GB, 16 from 8 GB): the control sets 16.
    const untuned = probe(['untuned'], '--max-semi-space-size=16');
    const tuned = probe([]);
    assert.deepEqual(tuned.set, ['--max-semi-space-size=2', '--heap-growing-percent=15']);
    // Two semi-spaces of 2 MB at most, where 16 MB ones let the same garbage take several times that.
    assert.ok(tuned.youngMb <= 4, `young generation ${tuned.youngMb} MB with the flags`);
    assert.ok(untuned.youngMb > 4, `young generation ${untuned.youngMb} MB without them`);
  });

  test('a flag the owner gave the process stays as given', () => {
    const given = probe([], '--max-semi-space-size=8');
    assert.deepEqual(given.set, ['--heap-growing-percent=15']);
    assert.ok(given.youngMb > 4, `young generation ${given.youngMb} MB with the owner's 8 MB`);
  });
});
