import { prebuiltBundlePath } from '../src/workers/worker-options';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';

/**
 * `node dist/scripts/bundle-workflows.js` in the Docker build: the workflow bundle the compiled worker loads at start
 * (src/workers/worker-options.ts), so a worker starts without bundling its workflows first.
 */
writeWorkflowBundle(prebuiltBundlePath).then(
  () => console.log(`workflow bundle: ${prebuiltBundlePath}`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
