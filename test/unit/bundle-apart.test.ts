import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { BundlingFailed, bundleApart } from '../../src/workers/bundle-apart';

/**
 * The worker run from the sources has its workflows bundled by a process of its own (src/workers/bundle-apart.ts):
 * the code it hands back runs the shipped workflows, whatever heap limit the worker's environment sets; a bundler
 * that fails or is stopped says how, and leaves no listener on the worker.
 */
describe('the workflow bundle made apart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-apart-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** A stand-in bundler: plain JavaScript, run without a loader. */
  const bundler = (name: string, source: string) => {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  };

  test('replays a recorded reply, though NODE_OPTIONS gives the worker a heap too small for webpack', async () => {
    const listeners = process.listenerCount('exit');
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-old-space-size=48'; // what the bundler inherits, as a worker's would
    const code = await bundleApart().finally(() => {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    });
    assert.equal(process.listenerCount('exit'), listeners);
    const history = JSON.parse(
      readFileSync(join(__dirname, '..', 'histories', 'reply-v2-owner-approved-by-update.json'), 'utf8'),
    ) as unknown;
    await Worker.runReplayHistory({ workflowBundle: { code } }, history, 'owner-approved-by-update');
  });

  test('a bundler that fails is named with its exit; one stopped by a signal says which', async () => {
    const listeners = process.listenerCount('exit');
    const failing = bundler('failing.js', "console.error('no workflows here'); process.exit(3);\n");
    await assert.rejects(bundleApart(failing), (err: unknown) => {
      assert.ok(err instanceof BundlingFailed);
      assert.match(err.message, /^Bundling the workflows failed \(exit 3\): see the lines above$/);
      assert.equal(err.signal, undefined);
      return true;
    });
    const stopped = bundler('stopped.js', "process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 10_000);\n");
    await assert.rejects(bundleApart(stopped), (err: unknown) => {
      assert.ok(err instanceof BundlingFailed);
      assert.equal(err.signal, 'SIGTERM');
      return true;
    });
    assert.equal(process.listenerCount('exit'), listeners);
  });
});
