import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isSandboxUp } from '../../src/sandbox/sandbox';
import { startTsProcess } from '../helpers/processes';
import { testSandboxPort } from '../helpers/sandbox';
import { testAddress, uniqueTaskQueue } from '../helpers/temporal';

/** `npm start` as a user runs it: brings up what is missing and a worker, says what to try, stops on Ctrl-C. */
const startCommand = (port: number, env: NodeJS.ProcessEnv = {}) =>
  startTsProcess('scripts/start.ts', {
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('start'),
    STEADFAST_SANDBOX_PORT: String(port),
    ...env,
  });

describe('npm start', () => {
  test('uses the running server, starts the missing sandbox and a worker, and stops what it started on Ctrl-C', async () => {
    const port = testSandboxPort() + 20; // no sandbox there: npm start brings one up
    const start = startCommand(port);
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

  test('a worker that cannot start: one line naming its log, and the sandbox it started is stopped', async () => {
    const port = testSandboxPort() + 25;
    const start = startCommand(port, { TEMPORAL_NAMESPACE: 'no-such-namespace' }); // the worker fails against it
    const { code } = await start.exited;
    assert.equal(code, 1, start.output());
    // The worker says why in its log, in one line: the namespace does not exist, and how to create it.
    const log = /^Error: a worker exited with 2 before polling; see (\S+worker\.log)$/m.exec(start.output())?.[1];
    assert.ok(log, start.output());
    assert.match(
      readFileSync(log, 'utf8'),
      /has no namespace no-such-namespace: create it with `.*setup-namespace\.sh`/,
    );
    assert.doesNotMatch(start.output(), /^\s+at /m, 'no stack trace');
    assert.match(start.output(), /Steadfast stopped\.$/m);
    assert.equal(await isSandboxUp(port), false, 'the sandbox it started is gone');
  });

  test('SIGTERM stops it as Ctrl-C does', async () => {
    const port = testSandboxPort() + 30;
    const start = startCommand(port);
    await start.waitForOutput(/Ctrl-C stops what this started\./, 90_000);
    start.child.kill('SIGTERM');
    const { code } = await start.exited;
    assert.equal(code, 0, start.output());
    assert.match(start.output(), /Steadfast stopped\.$/m);
    assert.equal(await isSandboxUp(port), false, 'the sandbox it started is gone');
  });
});
