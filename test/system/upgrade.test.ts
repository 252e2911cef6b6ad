import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { freeBasePort } from '../../src/free-port';
import { compareReleases, release } from '../../src/release';
import { sandboxCall } from '../helpers/sandbox';
import { eventually, testAddress, testNamespace, uniqueTaskQueue } from '../helpers/temporal';

/**
 * An upgrade from the previous release (deploy/releases.json names its commit; git gives its files) with work in
 * flight, as docs/operations.md tells the owner to do it: the previous release's worker runs replies that wait for the
 * owner's approval and replies that retry an X outage; the worker stops; the checkout's files become this release's
 * (what `git pull` does; the folder's `.steadfast/` key and `.cache/` stay); the new worker starts; the owner
 * approves with the new CLI. Every reply finishes, posted once. The services (here the previous release's sandbox)
 * stay up throughout, as X, Telegram and Convex do while an owner upgrades.
 */
const root = resolve(__dirname, '..', '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });

interface Release {
  version: string;
  commit: string;
}

/** The release before this checkout's: the newest one deploy/releases.json names below package.json's version. */
function previousRelease(): Release {
  const { releases } = JSON.parse(readFileSync(join(root, 'deploy', 'releases.json'), 'utf8')) as {
    releases: Release[];
  };
  const older = releases.filter((r) => compareReleases(r.version, release) < 0);
  const previous = older.sort((a, b) => compareReleases(b.version, a.version))[0];
  if (!previous) throw new Error(`deploy/releases.json names no release before ${release}`);
  return previous;
}

/** The lock's packages without the project's own entry (whose version each release changes). */
function lockedPackages(lock: string): unknown {
  const parsed = JSON.parse(lock) as { packages: Record<string, unknown> };
  const packages = { ...parsed.packages };
  delete packages[''];
  return packages;
}

const running: ChildProcess[] = [];
after(() => {
  for (const child of running) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(cwd: string, env: NodeJS.ProcessEnv, command: string, args: string[]): Run {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

async function waitFor(run: Run, pattern: RegExp, what: string, timeoutMs = 120_000): Promise<void> {
  await eventually(
    what,
    async () => {
      if (run.child.exitCode !== null) throw new Error(`${what}: exited with ${run.child.exitCode}:\n${run.output()}`);
      return pattern.test(run.output());
    },
    timeoutMs,
  );
}

async function stop(run: Run): Promise<void> {
  if (run.child.exitCode !== null) return;
  process.kill(-run.child.pid!, 'SIGTERM');
  await run.exited;
}

describe('an upgrade from the previous release with work in flight', () => {
  test('replies waiting for approval and retrying an X outage all finish, each posted once', async () => {
    const previous = previousRelease();
    const at = mkdtempSync(join(tmpdir(), 'steadfast-upgrade-'));
    after(() => rmSync(at, { recursive: true, force: true }));

    // The previous release's checkout, from git by its commit.
    git('cat-file', '-e', `${previous.commit}^{commit}`);
    execFileSync('sh', ['-c', `git archive --format=tar ${previous.commit} | tar -x -C "${at}"`], { cwd: root });
    // Its packages: this checkout's, when the lock is the same; else installed as the guide says.
    const sameLock =
      JSON.stringify(lockedPackages(readFileSync(join(at, 'package-lock.json'), 'utf8'))) ===
      JSON.stringify(lockedPackages(readFileSync(join(root, 'package-lock.json'), 'utf8')));
    if (sameLock) symlinkSync(join(root, 'node_modules'), join(at, 'node_modules'));
    else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: at, stdio: 'ignore', timeout: 600_000 });

    const port = await freeBasePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_NAMESPACE: testNamespace(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('upgrade'),
      STEADFAST_SANDBOX: 'on',
      STEADFAST_SANDBOX_PORT: String(port),
      STEADFAST_CONTROL_BOT: 'off',
      STEADFAST_METRICS_PORT: '0',
      STEADFAST_CODEC_PORT: '0',
    };
    const tsx = join(at, 'node_modules', '.bin', 'tsx');
    const cli = async (...args: string[]) => {
      const run = start(at, env, process.execPath, [join(at, 'bin', 'steadfast.js'), ...args]);
      const code = await run.exited;
      return { code, output: run.output().trim() };
    };

    const services = start(at, env, tsx, ['scripts/sandbox.ts']);
    await waitFor(services, /Ctrl-C stops them/, 'the sandbox');
    const endpoints = join(at, '.cache', `sandbox-${port}`);
    const x = { url: `https://127.0.0.1:${port + 1}`, ca: readFileSync(join(endpoints, 'x-ca.pem'), 'utf8') };
    const tweet = async (text: string) =>
      (await sandboxCall<{ id: string }>(x, 'POST', '/_sandbox/x/tweets', { text, authorUsername: 'erin' })).body.id;

    const oldWorker = start(at, env, tsx, ['src/workers/main.ts']);
    await waitFor(oldWorker, /"msg":"worker polling"/, `the ${previous.version} worker`);

    // Three replies wait for the owner's approval.
    const waiting: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const id = await tweet(`waiting ${i}`);
      const started = await cli('reply', 'start', '--account', 'alice', '--tweet-id', id, '--text', `waiting ${i}`);
      assert.equal(started.code, 0, started.output);
      waiting.push(id);
    }
    // Three retry an X outage: every post fails with 503 until it ends.
    await sandboxCall(x, 'POST', '/_sandbox/faults', { errorRate: 1, errorStatus: 503, requests: ['POST /2/tweets'] });
    const retrying: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const id = await tweet(`retrying ${i}`);
      const started = await cli(
        ...['reply', 'start', '--account', 'bob', '--tweet-id', id, '--text', `retrying ${i}`, '--approval', 'auto'],
      );
      assert.equal(started.code, 0, started.output);
      retrying.push(id);
    }
    const status = async (accountId: string, id: string) => {
      const shown = await cli('reply', 'status', `reply:${accountId}:${id}`, '--json');
      assert.equal(shown.code, 0, shown.output);
      return JSON.parse(shown.output) as {
        execution: string;
        stage?: string;
        retrying?: { activity?: string; attempt?: number };
        result?: { status: string };
      };
    };
    await eventually('the replies to wait for the owner', async () => {
      for (const id of waiting) if ((await status('alice', id)).stage !== 'awaiting-approval') return false;
      return true;
    });
    await eventually('the others to retry the post', async () => {
      for (const id of retrying) {
        const { stage, retrying: step } = await status('bob', id);
        if (stage !== 'posting' || step?.activity !== 'postReply' || (step.attempt ?? 0) < 2) return false;
      }
      return true;
    });

    // The upgrade: the worker stops; the files become this release's, as `git pull` makes them.
    await stop(oldWorker);
    const current = git('ls-files', '--cached', '--others', '--exclude-standard')
      .split('\n')
      .filter((file) => file && existsSync(join(root, file)));
    const kept = new Set(current);
    for (const file of git('ls-tree', '-r', '--name-only', previous.commit).split('\n')) {
      if (file && !kept.has(file)) rmSync(join(at, file), { force: true });
    }
    for (const file of current) {
      mkdirSync(dirname(join(at, file)), { recursive: true });
      copyFileSync(join(root, file), join(at, file));
    }
    assert.equal((JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { version: string }).version, release);

    // The check the guide runs before starting the new workers: no open run needs what this release removed.
    const check = await cli('patches', '--check');
    assert.equal(check.code, 0, check.output);

    const newWorker = start(at, env, tsx, ['src/workers/main.ts']);
    await waitFor(newWorker, /"msg":"worker polling"/, `the ${release} worker`);
    await sandboxCall(x, 'POST', '/_sandbox/faults', {});
    for (const id of waiting) {
      const approved = await cli('reply', 'approve', `reply:alice:${id}`);
      assert.equal(approved.code, 0, approved.output);
    }
    for (const [accountId, ids] of [
      ['alice', waiting],
      ['bob', retrying],
    ] as const) {
      for (const id of ids) {
        await eventually(
          `reply:${accountId}:${id} to end`,
          async () => (await status(accountId, id)).execution !== 'RUNNING',
          120_000,
        );
        const ended = await status(accountId, id);
        assert.equal(ended.execution, 'COMPLETED', `reply:${accountId}:${id}`);
        assert.equal(ended.result?.status, 'posted', `reply:${accountId}:${id}`);
      }
    }
    const { tweets } = (await sandboxCall<{ tweets: { in_reply_to?: string }[] }>(x, 'GET', '/_sandbox/state')).body;
    for (const id of [...waiting, ...retrying]) {
      assert.equal(tweets.filter((t) => t.in_reply_to === id).length, 1, `one reply on X to tweet ${id}`);
    }
    await stop(newWorker);
    await stop(services);
  });
});
