import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, afterEach, describe, test } from 'node:test';
import { resolveTemporalCli } from '../../scripts/lib/temporal-cli-build';
import { ownDevServerPorts } from '../../scripts/lib/dev-server';
import { postTargetTweet, setSandboxFaults } from '../../src/sandbox/sandbox';
import { startReply } from '../../src/temporal/start-reply';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { testSandboxPort } from '../helpers/sandbox';
import { closeTestClient, eventually, testAddress, testClient, uniqueTaskQueue } from '../helpers/temporal';

/** The worker's monitoring port (`STEADFAST_METRICS_PORT`), on the real entry point (`npm run worker`). */
const running: RunningProcess[] = [];
afterEach(() => running.splice(0).forEach((worker) => worker.child.kill('SIGKILL')));
after(closeTestClient);

/** A worker on any free monitoring port (0), and the port it logged. */
async function startWorker(env: NodeJS.ProcessEnv): Promise<{ worker: RunningProcess; base: string }> {
  const worker = startTsProcess('src/workers/main.ts', {
    STEADFAST_SANDBOX: 'on',
    STEADFAST_METRICS_PORT: '0',
    ...env,
  });
  running.push(worker);
  await worker.waitForOutput(/"msg":"worker polling"/, 120_000);
  const port = /"port":(\d+)[^\n]*"msg":"serving \/metrics, \/healthz, \/readyz"/.exec(worker.output())?.[1];
  assert.ok(port, worker.output());
  return { worker, base: `http://127.0.0.1:${port}` };
}

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
};

describe('worker metrics and health', () => {
  test("/metrics has the SDK's temporal_ metrics and ours, with their labels, after a reply whose post was retried once", async () => {
    const taskQueue = uniqueTaskQueue('metrics');
    const { base } = await startWorker({ TEMPORAL_ADDRESS: testAddress(), TEMPORAL_TASK_QUEUE: taskQueue });
    const client = await testClient();
    const tweet = { text: `metrics ${Date.now()}`, authorUsername: 'carol' };
    await setSandboxFaults(testSandboxPort(), 'x', {
      errorRate: 1,
      errorStatus: 503,
      burst: 1,
      requests: ['POST /2/tweets'],
    });
    const { handle } = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: await postTargetTweet(testSandboxPort(), tweet), ...tweet },
      approval: 'auto',
    });
    assert.equal((await handle.result()).status, 'posted');
    await setSandboxFaults(testSandboxPort(), 'x', {});

    const metrics = await get(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    const series = (name: string) => metrics.text.split('\n').filter((line) => line.startsWith(name));
    assert.ok(series('temporal_workflow_completed').length > 0, 'the SDK metrics');
    assert.ok(
      series('steadfast_replies{').some((line) => /outcome="posted"/.test(line) && / 1$/.test(line)),
      series('steadfast_replies').join('\n'),
    );
    assert.ok(
      series('steadfast_replies{').some(
        (line) => line.includes(`taskQueue="${taskQueue}"`) && line.includes('workflowType="replyWorkflowV2"'),
      ),
      `with the SDK tags: ${series('steadfast_replies{').join('; ')}`,
    );
    assert.ok(
      series('steadfast_activity_retries_absorbed{').some(
        (line) => line.includes('activityType="postReply"') && / 1$/.test(line),
      ),
      series('steadfast_activity_retries_absorbed').join('\n'),
    );
    for (const service of ['x', 'ai', 'convex']) {
      assert.ok(
        series('steadfast_circuit_breaker_state{').includes(
          `steadfast_circuit_breaker_state{service="${service}",state="closed"} 1`,
        ),
        `breaker ${service}: ${series('steadfast_circuit_breaker_state').join('\n')}`,
      );
    }
    assert.ok(series('steadfast_sessions{').some((line) => line.includes('state="connected"')));
    assert.equal((await get(`${base}/healthz`)).status, 200);
    assert.equal((await get(`${base}/readyz`)).status, 200);

    // A reply X refuses for good (400): a dead letter, so the failure series exist too.
    await setSandboxFaults(testSandboxPort(), 'x', {
      errorRate: 1,
      errorStatus: 400,
      burst: 1,
      requests: ['POST /2/tweets'],
    });
    const refused = { text: `metrics refused ${Date.now()}`, authorUsername: 'carol' };
    const dead = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: await postTargetTweet(testSandboxPort(), refused), ...refused },
      approval: 'auto',
    });
    await assert.rejects(dead.handle.result());
    await setSandboxFaults(testSandboxPort(), 'x', {});

    // Every series the dashboard's panels and the alert rules query is one this worker or the server serves.
    const worker = (await get(`${base}/metrics`)).text;
    const server = (await get(process.env.STEADFAST_TEST_SERVER_METRICS ?? '')).text;
    const served = (name: string) =>
      [worker, server].some((text) =>
        text.split('\n').some((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)),
      );
    const dashboard = JSON.parse(readFileSync('deploy/grafana/steadfast.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const queries = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => ({ where: panel.title, expr: target.expr })),
      ),
      ...[...readFileSync('deploy/prometheus/rules.yml', 'utf8').matchAll(/expr: (.+)/g)].map((m) => ({
        where: 'rules.yml',
        expr: m[1] ?? '',
      })),
    ];
    // A metric in PromQL is a name before its selector's { or its range's [; `up` is Prometheus's own.
    const names = queries.flatMap(({ where, expr }) =>
      [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*[{[]/g)].map((m) => ({ where, name: m[1] ?? '' })),
    );
    assert.ok(names.length >= 12, JSON.stringify(names));
    const missing = names.filter(({ name }) => name !== 'up' && !served(name));
    assert.deepEqual(missing, [], 'each queried series is served');
  });

  test('/readyz turns unready when Temporal is stopped, while /healthz still answers', async () => {
    // A dev server of this test's own, so it can be stopped.
    const { port, startDev } = await ownDevServerPorts();
    const server = spawn(resolveTemporalCli(), startDev(), { stdio: 'ignore' });
    try {
      const { base } = await startWorker({
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        TEMPORAL_NAMESPACE: 'default',
        STEADFAST_CONTROL_BOT: 'off',
      });
      assert.equal((await get(`${base}/readyz`)).status, 200);
      server.kill('SIGKILL');
      await eventually('/readyz says not ready', async () => (await get(`${base}/readyz`)).status === 503, 20_000);
      assert.match((await get(`${base}/readyz`)).text, /^not ready: Temporal does not answer/);
      assert.equal((await get(`${base}/healthz`)).status, 200);
    } finally {
      server.kill('SIGKILL');
    }
  });
});
