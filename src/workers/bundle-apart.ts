import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A bundle made apart: its path, and how to remove it once the worker has read it (at Worker.create). */
export interface BundleMadeApart {
  path: string;
  remove: () => void;
}

/**
 * The workflow bundle, made by a short-lived node process (bundle-main.ts) for a worker run from the sources (`npm
 * run worker`, the systemd unit, `npm start`). Bundling in the worker itself (the SDK's `workflowsPath`) ran webpack
 * there, and the worker kept what that took: some 80 MB of its RSS for as long as it ran (docs/performance.md). The
 * child writes into a folder only this user can read or write (mkdtemp's 0700), which goes when the worker has read
 * it or ends; its warnings and errors go to the worker's stderr.
 */
export function bundleApart(entry = require.resolve('./bundle-main')): Promise<BundleMadeApart> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-workflows-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const path = join(dir, 'workflow-bundle.js');
  // The sources run under tsx's CommonJS loader, as the worker does (scripts/lib/worker-process.ts); compiled, alone.
  const loader = entry.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
  const child = spawn(process.execPath, [...loader, entry, path], { stdio: ['ignore', 'inherit', 'inherit'] });
  // A worker that ends first (a failed start-up) takes its bundler and the folder along.
  const stop = () => {
    child.kill();
    remove();
  };
  process.once('exit', stop);
  return new Promise<BundleMadeApart>((done, fail) => {
    const failed = (why: string) => {
      process.off('exit', stop);
      remove();
      fail(new Error(why));
    };
    child.once('error', (err) => failed(`Cannot start the workflow bundler (${entry}): ${err.message}`));
    child.once('exit', (code, signal) => {
      if (code !== 0) return failed(`Bundling the workflows failed (${signal ?? `exit ${code}`}): see the lines above`);
      done({
        path,
        remove: () => {
          process.off('exit', stop);
          remove();
        },
      });
    });
  });
}
