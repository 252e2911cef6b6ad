import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveTemporalCli } from '../../scripts/lib/temporal-cli-build';
import { ownDevServerPorts } from '../../scripts/lib/dev-server';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { testSandboxPort } from '../helpers/sandbox';
import { eventually, uniqueTaskQueue } from '../helpers/temporal';

/**
 * Processes that start in any order, as a host's boot or a process manager starts them: `npm run worker` before its
 * Temporal server waits for it (one line, no stack trace) and polls once it answers; a second worker on the same
 * host with the defaults takes the next metrics port; `health` lists both.
 */
const running: RunningProcess[] = [];
let server: ChildProcess | undefined;
after(() => {
  for (const { child } of running) child.kill('SIGKILL');
  server?.kill('SIGKILL');
});

/** The real entry point with this host's defaults: the lane's harness gives its workers metrics port 0; not these. */
function worker(address: string, taskQueue: string): RunningProcess {
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    STEADFAST_SANDBOX: 'on',
    STEADFAST_SANDBOX_PORT: String(testSandboxPort()),
    STEADFAST_CONTROL_BOT: 'off',
    STEADFAST_METRICS_PORT: '',
  };
  const started = startTsProcess('src/workers/main.ts', env);
  running.push(started);
  return started;
}

/** The `"port":N` of the worker's "serving /metrics" line. */
const metricsPortOf = (output: string) => Number(/"port":(\d+)[^\n]*serving \/metrics/.exec(output)?.[1]);

describe('a worker started before its Temporal server', () => {
  test('waits without a stack trace, polls once the server answers; two on one host both run', async () => {
    // Below the ephemeral range: the server binds it 20 s later, and an outgoing connection of another test on this
    // host could be given an ephemeral port meanwhile (then the server cannot start and the workers wait on).
    const { port, startDev } = await ownDevServerPorts();
    const address = `127.0.0.1:${port}`;
    const taskQueue = uniqueTaskQueue('start-order');
    const first = worker(address, taskQueue);
    await first.waitForOutput(/Waiting for Temporal at 127\.0\.0\.1:\d+ \(connection refused\)/);
    const second = worker(address, taskQueue);
    await second.waitForOutput(/Waiting for Temporal at/);
    // A Ctrl-C while it waits ends it at once, cleanly.
    const interrupted = worker(address, taskQueue);
    await interrupted.waitForOutput(/Waiting for Temporal at/);
    interrupted.child.kill('SIGINT');
    assert.deepEqual(await interrupted.exited, { code: 0, signal: null }, interrupted.output());

    await sleep(20_000);
    assert.equal(first.child.exitCode, null, `the first worker is still waiting:\n${first.output()}`);
    server = spawn(resolveTemporalCli(), startDev(), { stdio: 'ignore' });
    await first.waitForOutput(/"msg":"worker polling"/, 90_000);
    await second.waitForOutput(/"msg":"worker polling"/, 90_000);
    for (const [name, started] of [
      ['first', first],
      ['second', second],
    ] as const) {
      const output = started.output();
      assert.equal(output.match(/Waiting for Temporal/g)?.length, 1, `${name}: one line for the wait\n${output}`);
      assert.match(output, /Temporal at 127\.0\.0\.1:\d+ answered after \d+ s/);
      assert.doesNotMatch(output, /^\s+at |TransportError|tonic::/m, `${name}: no stack trace\n${output}`);
    }
    // Both serve their metrics, on two ports, the second saying it moved.
    await eventually(
      'both metrics ports',
      async () => metricsPortOf(first.output()) > 0 && metricsPortOf(second.output()) > 0,
    );
    const ports = [metricsPortOf(first.output()), metricsPortOf(second.output())];
    assert.notEqual(ports[0], ports[1]);
    for (const metricsPort of ports) {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      assert.equal(response.status, 200);
    }
    assert.match(first.output() + second.output(), /metrics port 9464 is taken \(another worker\?\): serving on \d+/);

    // `health` lists both by their identities.
    const health = startTsProcess(
      'bin/steadfast.js',
      {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        STEADFAST_SANDBOX: 'on',
        STEADFAST_SANDBOX_PORT: String(testSandboxPort()),
      },
      ['health'],
    );
    await health.exited;
    const workers = /workers: 2 polling \S+: (.*)$/m.exec(health.output())?.[1] ?? '';
    for (const { child } of [first, second])
      assert.match(workers, new RegExp(`steadfast-worker@\\S+:${child.pid}\\b`), health.output());

    for (const { child } of [first, second]) child.kill('SIGTERM');
    assert.deepEqual((await first.exited).code, 0, first.output());
    assert.deepEqual((await second.exited).code, 0, second.output());
  });
});
