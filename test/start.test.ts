import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSandboxUp } from '../src/sandbox/sandbox';
import { startTsProcess } from './helpers/processes';
import { testSandboxPort } from './helpers/sandbox';
import { testAddress, uniqueTaskQueue } from './helpers/temporal';

/** `npm start` as a user runs it: brings up what is missing and a worker, says what to try, stops on Ctrl-C. */
describe('npm start', () => {
  test('uses the running server, starts the missing sandbox and a worker, and stops what it started on Ctrl-C', async () => {
    const port = testSandboxPort() + 20; // no sandbox there: npm start brings one up
    const start = startTsProcess('scripts/start.ts', {
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('start'),
      STEADFAST_SANDBOX_PORT: String(port),
    });
    await start.waitForOutput(/Ctrl-C stops what this started\./, 90_000);
    const output = start.output();
    assert.doesNotMatch(output, /Started the Temporal dev server/, 'the server was already up');
    assert.match(output, new RegExp(`Started the sandbox's simulators on ports ${port}-${port + 4}`));
    assert.match(output, /Web UI {7}http:\/\/localhost:8233/);
    assert.match(output, /npm run cli -- reply start --account alice/);
    assert.ok(await isSandboxUp(port));

    start.child.kill('SIGINT');
    const { code } = await start.exited;
    assert.equal(code, 0, start.output());
    assert.match(start.output(), /Steadfast stopped\.$/m);
    assert.equal(await isSandboxUp(port), false, 'the sandbox it started is gone');
  });
});
