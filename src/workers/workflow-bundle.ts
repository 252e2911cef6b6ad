import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { failureConverterPath } from '../encryption/data-converter';
import { workflowInterceptorModules } from './worker-options';

/**
 * The workflows bundled: the code a worker loads into its workflow thread. Made by the Docker build
 * (scripts/bundle-workflows.ts), the test harness (one bundle per run), and the worker run from the sources, in a
 * process of its own (bundle-apart.ts); the bench bundles its baselines' workflows (`workflowsPath`) the same way.
 */
export async function workflowBundleCode(workflowsPath = require.resolve('../workflows')): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    // Failures' text goes into encrypted payloads from inside workflows too (src/encryption/failure-converter.ts).
    failureConverterPath,
    // Payloads that are not encrypted are refused (src/workflows/refused-payload-interceptors.ts).
    workflowInterceptorModules,
    // The workflows' modules, loaded once in the reused V8 context and shared by every workflow instead of a copy per
    // cached workflow (about 0.1 MB each: docs/performance.md). Safe because none keeps state at module level.
    preloadModules: [workflowsPath],
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

/** Bundles the workflows once into `path`, for workers that then start without bundling. */
export async function writeWorkflowBundle(
  path: string,
  workflowsPath = require.resolve('../workflows'),
): Promise<void> {
  const code = await workflowBundleCode(workflowsPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
}
