import { writeWorkflowBundle } from './workflow-bundle';

/**
 * Run by the worker as a process of its own (bundle-apart.ts): writes the workflow bundle to the path it is given and
 * exits, so that what webpack takes to make it is given back to the system instead of staying in the worker.
 */
async function run(): Promise<void> {
  const [path] = process.argv.slice(2);
  if (!path) throw new Error('usage: bundle-main.ts <bundle path>');
  await writeWorkflowBundle(path);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
