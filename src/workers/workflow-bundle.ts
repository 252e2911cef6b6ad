import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/**
 * Bundles the workflows once into `path`, for workers that then start without bundling: the Docker image
 * (scripts/bundle-workflows.ts at build time) and the test harness (one bundle per run).
 */
export async function writeWorkflowBundle(path: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
}
