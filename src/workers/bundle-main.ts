import { Socket } from 'node:net';
import { workflowBundleCode } from './workflow-bundle';

/**
 * Run by the worker as a process of its own (bundle-apart.ts): hands the workflow bundle back over the pipe on its
 * file descriptor 3 and exits, so that what webpack takes to make it is given back to the system instead of staying in
 * the worker. Not stdout: a line a library printed there would corrupt the bundle.
 */
async function run(): Promise<void> {
  const code = await workflowBundleCode();
  const pipe = new Socket({ fd: 3, readable: false, writable: true });
  await new Promise<void>((done, fail) => {
    pipe.once('error', fail);
    pipe.end(code, done);
  });
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
