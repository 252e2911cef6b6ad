import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleNotFoundError } from '@temporalio/client';
import { sandboxEndpoints } from '../../src/sandbox/sandbox';
import { addWatch, describeWatch, removeWatch } from '../../src/temporal/watch-schedules';
import { workflowIds } from '../../src/domain/contracts';
import { freeBasePort } from '../../src/free-port';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { closeTestClient, eventually, testAddress, testClient } from '../helpers/temporal';

/** The README's main job, run as a user runs it (`npm run demo`), against the test dev server. */
after(closeTestClient);

/** `sandboxPort`: a port with no sandbox, so that the demo starts (and must stop) simulators of its own. */
function startDemo(options: { json?: boolean; sandboxPort?: number; ownGroup?: boolean } = {}): RunningProcess {
  const env = {
    TEMPORAL_ADDRESS: testAddress(),
    ...(options.sandboxPort ? { STEADFAST_SANDBOX_PORT: String(options.sandboxPort) } : {}),
  };
  return startTsProcess('scripts/demo.ts', env, options.json ? ['--json'] : [], undefined, options.ownGroup);
}

/** Waits for the demo's end and checks its summary; returns its task queue and workers. */
async function assertPassed(demo: RunningProcess): Promise<DemoRun> {
  const { code } = await demo.exited;
  const summaryLine = demo
    .output()
    .split('\n')
    .find((line) => line.startsWith('{"tweets"'));
  assert.ok(summaryLine, demo.output());
  const summary = JSON.parse(summaryLine) as Record<string, unknown>;
  assert.equal(code, 0, demo.output());
  assert.ok(Number(summary.retriesAbsorbed) > 0, 'the injected faults were met and retried');
  assert.match(String(summary.webUi), /\/workflows\?query=TaskQueue%3D%22steadfast-demo-\d+%22$/);
  const told = summary.ownerMessages as { pending: number; sent: number; merged: number; undelivered: number };
  assert.deepEqual([told.pending, told.undelivered], [0, 0], "every notice reached the owner's chat");
  assert.ok(told.sent > 0, 'the owner heard from the demo');
  assert.deepEqual(
    {
      ...summary,
      webUi: undefined,
      retriesAbsorbed: undefined,
      taskQueue: undefined,
      workerPids: undefined,
      ownerMessages: undefined,
    },
    {
      tweets: 30,
      posted: 26,
      rejected: 2,
      expired: 2,
      failed: 0,
      failedIds: [],
      unexpected: [],
      retriesAbsorbed: undefined,
      duplicates: 0,
      workerKilled: true,
      ownerMessages: undefined,
      webUi: undefined,
      taskQueue: undefined,
      workerPids: undefined,
    },
  );
  return { taskQueue: String(summary.taskQueue), workerPids: summary.workerPids as number[] };
}

interface DemoRun {
  taskQueue: string;
  workerPids: number[];
}

/** What the demo says of its run as it starts: its task queue and its two workers. */
function demoRun(demo: RunningProcess): DemoRun {
  const match = /Two workers \(pids (\d+), (\d+)\) polling (steadfast-demo-\d+)/.exec(demo.output());
  assert.ok(match, demo.output());
  return { taskQueue: match[3] ?? '', workerPids: [Number(match[1]), Number(match[2])] };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const portOpen = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

/** No Schedule of the demo, no workflow running on its task queue, no simulator listening, no worker alive. */
async function assertNothingLeft(run: DemoRun, sandboxPort: number) {
  const client = await testClient();
  for (const accountId of ['alice', 'bob']) {
    await assert.rejects(client.schedule.getHandle(workflowIds.watch(accountId)).describe(), ScheduleNotFoundError);
  }
  const query = `TaskQueue="${run.taskQueue}"`;
  const all: string[] = [];
  for await (const execution of client.workflow.list({ query })) all.push(execution.workflowId);
  assert.ok(all.length > 0, `the demo ran workflows on ${run.taskQueue}`);
  // Visibility may lag a moment behind the terminations; a description never does.
  for (const workflowId of all) {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    assert.notEqual(status.name, 'RUNNING', `${workflowId} still runs on ${run.taskQueue}`);
  }
  await eventually(
    'visibility to list nothing running',
    async () => (await client.workflow.count(`${query} AND ExecutionStatus="Running"`)).count === 0,
  );
  for (const offset of [0, 1, 2, 3, 4]) {
    assert.equal(await portOpen(sandboxPort + offset), false, `port ${sandboxPort + offset} is closed`);
  }
  for (const pid of run.workerPids) assert.equal(isAlive(pid), false, `worker pid ${pid} is gone`);
}

/** Waits until a few replies have settled: the demo is mid-run, with most replies in flight. */
const midRun = (demo: RunningProcess) => demo.waitForOutput(/\[ 3\/30\]/, 120_000);

describe('npm run demo', () => {
  const sandboxDirs: string[] = [];
  after(() => sandboxDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const ownSandboxPort = async () => {
    const port = await freeBasePort();
    sandboxDirs.push(sandboxEndpoints(port).dir);
    return port;
  };

  test('30 watched tweets end as their owner chose, through faults and a SIGKILLed worker, with no duplicate', async () => {
    await assertPassed(startDemo({ json: true }));
  });

  test('SIGINT to the demo alone mid-run stops all it started: Schedules, workflows, workers, simulators', async (t) => {
    const sandboxPort = await ownSandboxPort();
    const demo = startDemo({ sandboxPort });
    await midRun(demo);
    const run = demoRun(demo);
    const interruptedAt = Date.now();
    demo.child.kill('SIGINT'); // as `kill -INT <pid>` or a supervisor: the workers get no signal of their own
    const { code } = await demo.exited;
    t.diagnostic(`the clean-up after SIGINT took ${Date.now() - interruptedAt} ms`);
    assert.equal(code, 130, demo.output());
    const output = demo.output();
    assert.match(output, /Ctrl-C: stopping what this started/);
    assert.match(output, new RegExp(`terminated \\d+ workflows? still running on ${run.taskQueue}`));
    assert.match(output, /stopped the worker processes/);
    assert.match(output, /Nothing the demo started is running now, but the dev server\./);
    assert.doesNotMatch(output.slice(output.indexOf('Ctrl-C: stopping')), /\/30\]/, 'no progress after Ctrl-C');
    await assertNothingLeft(run, sandboxPort);
  });

  test("refuses in one line, starting nothing, beside another demo or over an account's own watch", async () => {
    const sandboxPort = await ownSandboxPort();
    const first = startDemo({ sandboxPort });
    await first.waitForOutput(/Two workers/, 120_000);
    const beside = startDemo({ sandboxPort: sandboxPort + 10 });
    assert.equal((await beside.exited).code, 2, beside.output());
    assert.match(
      beside.output(),
      new RegExp(`^Error: Another npm run demo \\(pid ${first.child.pid}\\) is running against \\S+: wait for it`, 'm'),
    );
    assert.equal(await portOpen(sandboxPort + 10), false, 'the refused demo started no simulator');
    first.child.kill('SIGINT');
    assert.equal((await first.exited).code, 130, first.output());

    const client = await testClient();
    const username = `own${Date.now() % 100_000}`;
    await addWatch(client, 'steadfast', { accountId: 'alice', username, approval: 'owner', interval: '1h' });
    try {
      const over = startDemo({ sandboxPort });
      assert.equal((await over.exited).code, 2, over.output());
      assert.match(over.output(), /^Error: The Schedule watch:alice is alice's own watch \(task queue steadfast\)/m);
      assert.doesNotMatch(over.output(), /Started the sandbox/);
      assert.equal((await describeWatch(client, 'alice'))?.usernames.join(), username, 'the watch is unchanged');
    } finally {
      await removeWatch(client, 'alice', username);
    }
  });

  test('a second Ctrl-C stops at once and says what was left; the next demo clears it and passes as the first', async (t) => {
    const sandboxPort = await ownSandboxPort();
    const interrupted = startDemo({ sandboxPort, ownGroup: true });
    await midRun(interrupted);
    const run = demoRun(interrupted);
    const pid = interrupted.child.pid ?? 0;
    process.kill(-pid, 'SIGINT'); // a terminal's Ctrl-C reaches the whole group, workers too
    await interrupted.waitForOutput(/stopping what this started/);
    await sleep(700);
    process.kill(-pid, 'SIGINT');
    const { code } = await interrupted.exited;
    assert.equal(code, 130, interrupted.output());
    assert.match(interrupted.output(), /Stopped at once\. Left behind: .+\. The next npm run demo clears it\./);

    // The same sandbox folder, new simulators: the control bot's stored session means nothing to them now.
    const startedAt = Date.now();
    const next = startDemo({ sandboxPort, json: true });
    const nextRun = await assertPassed(next);
    t.diagnostic(`the next demo took ${Date.now() - startedAt} ms`);
    assert.match(next.output(), /did not finish; cleared what it left/);
    await assertNothingLeft(run, sandboxPort);
    await assertNothingLeft(nextRun, sandboxPort);
  });
});
