import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { bundleApart } from '../../src/workers/bundle-apart';

/**
 * The worker run from the sources has its workflows bundled by a process of its own (src/workers/bundle-apart.ts):
 * the bundle it gets runs the shipped workflows, sits where no other user can read or change it, and is gone once
 * read; a bundler that fails says so, and leaves nothing behind.
 */
/** The bundles' folders in `dir` (tsx keeps its cache beside them). */
const bundleFolders = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('steadfast-workflows-'));

describe('the workflow bundle made apart', () => {
  const savedTmp = process.env.TMPDIR;
  let tmp = '';
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'bundle-apart-test-'));
    process.env.TMPDIR = tmp; // os.tmpdir() reads it at each call
  });
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });

  test('replays a recorded reply, in a folder of its own user, removed once read', async () => {
    const bundle = await bundleApart();
    assert.equal(bundleFolders(tmp).length, 1);
    assert.equal(dirname(dirname(bundle.path)), tmp);
    assert.equal(statSync(dirname(bundle.path)).mode & 0o777, 0o700);
    const history = JSON.parse(
      readFileSync(join(__dirname, '..', 'histories', 'reply-v2-owner-approved-by-update.json'), 'utf8'),
    ) as unknown;
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundle.path } }, history, 'owner-approved-by-update');
    bundle.remove();
    assert.deepEqual(bundleFolders(tmp), []);
  });

  test('a bundler that fails is named, with its exit, and leaves no folder', async () => {
    const failing = join(tmp, 'failing-bundler.js');
    writeFileSync(failing, "console.error('no workflows here'); process.exit(3);\n");
    await assert.rejects(bundleApart(failing), /^Error: Bundling the workflows failed \(exit 3\)/);
    assert.deepEqual(bundleFolders(tmp), []);
    assert.ok(existsSync(failing));
  });
});
