import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { workerNodeArgs } from '../../scripts/lib/worker-process';
import { testSandboxPort } from '../helpers/sandbox';
import { eventually, testAddress, uniqueTaskQueue } from '../helpers/temporal';

/**
 * `npm run service:install` (docs/operations.md, "Start at boot"): the systemd units for a checkout, accepted by
 * `systemd-analyze verify` (this machine has no systemd running to start them), with their order, their restarts and
 * the engine's data outside the clone; and the worker unit's command, run as systemd runs it, polls.
 */
const root = resolve(__dirname, '..', '..');
const at = mkdtempSync(join(tmpdir(), 'steadfast-services-'));
after(() => rmSync(at, { recursive: true, force: true }));

/** A checkout of its own (this one's files, linked; its own .env); what the installer writes goes there. */
function install(...args: string[]) {
  const checkout = mkdtempSync(join(at, 'checkout-'));
  for (const entry of ['bin', 'src', 'scripts', 'convex', 'deploy', 'node_modules', 'tsconfig.json']) {
    symlinkSync(join(root, entry), join(checkout, entry));
  }
  copyFileSync(join(root, 'package.json'), join(checkout, 'package.json'));
  const units = join(checkout, 'units');
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(root, 'scripts', 'service-install.ts'),
      '--to',
      units,
      ...args,
    ],
    { cwd: checkout, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr || run.stdout);
  const unit = (name: string) => readFileSync(join(units, name), 'utf8');
  return { checkout, units, unit, output: run.stdout };
}

/** A unit as the project ships it (the installer fills in its paths and user). */
const unitTemplate = (name: string) => readFileSync(join(root, 'deploy', 'systemd', name), 'utf8');

/** systemd's own check of unit files; its complaints are on standard error even when it exits 0. */
function verify(dir: string, files: string[]): void {
  const check = spawnSync('systemd-analyze', ['verify', ...files.map((file) => join(dir, file))], { encoding: 'utf8' });
  assert.ok(!check.error, 'systemd-analyze is missing: install systemd (Debian: apt-get install systemd)');
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stderr.trim(), '', 'systemd-analyze verify has nothing to say');
}

describe('npm run service:install', () => {
  test("the user's units: ordered, restarted, the engine's data in the state directory, accepted by systemd", () => {
    const state = join(at, 'state');
    const { checkout, units, unit, output } = install('--state-dir', state, '--workers', '2');
    assert.match(output, /systemctl --user enable --now steadfast\.target/);
    assert.match(output, /loginctl enable-linger/);

    const engine = unit('steadfast-engine.service');
    assert.match(engine, new RegExp(`^WorkingDirectory=${checkout}$`, 'm'));
    assert.match(engine, /^ExecStart=\S+node \S+tsx\/dist\/cli\.mjs scripts\/server-production\.ts$/m);
    assert.match(engine, /^Restart=on-failure$/m);
    assert.match(engine, /^StateDirectory=steadfast$/m);
    const worker = unit('steadfast-worker@.service');
    assert.match(worker, /^After=network-online\.target steadfast-engine\.service$/m);
    assert.match(worker, /^Restart=always$/m);
    assert.match(worker, /^Environment=STEADFAST_WORKER_ID=%i$/m);
    // One process a worker: node with tsx's CommonJS loader (workerNodeArgs), not tsx's command; as `npm run worker`.
    const command = `${workerNodeArgs.join(' ')} src/workers/main.ts`;
    assert.match(worker, new RegExp(`^ExecStart=\\S+node ${command.replaceAll('.', '\\.')}$`, 'm'));
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.worker, `node ${command}`);
    // Every unit that runs tsx gives it a TMPDIR of the service's own: tsx's cache of compiled sources is code it runs.
    for (const name of ['steadfast-engine.service', 'steadfast-worker@.service', 'steadfast-codec.service']) {
      const text = unitTemplate(name);
      assert.match(text, /^CacheDirectory=steadfast\/tmp$/m, name);
      assert.match(text, /^CacheDirectoryMode=0700$/m, name);
      assert.match(text, /^Environment=TMPDIR=%C\/steadfast\/tmp$/m, name);
    }
    const target = unit('steadfast.target');
    assert.match(target, /^Wants=steadfast-engine\.service steadfast-worker@1\.service steadfast-worker@2\.service$/m);
    assert.match(target, /^WantedBy=default\.target$/m);

    // The engine, backup and restore read the state directory from .env: outside the clone, set once.
    const env = join(checkout, '.env');
    assert.match(readFileSync(env, 'utf8'), new RegExp(`^STEADFAST_PRODUCTION_STATE=${state}/production$`, 'm'));
    const again = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(root, 'scripts', 'service-install.ts'),
        '--to',
        units,
      ],
      { cwd: checkout, encoding: 'utf8' },
    );
    assert.match(again.stdout, /keeps STEADFAST_PRODUCTION_STATE=/);
    assert.equal(readFileSync(env, 'utf8').match(/STEADFAST_PRODUCTION_STATE=/g)?.length, 1);

    copyFileSync(join(units, 'steadfast-worker@.service'), join(units, 'steadfast-worker@1.service'));
    verify(units, [
      'steadfast.target',
      'steadfast-engine.service',
      'steadfast-worker@.service',
      'steadfast-worker@1.service',
    ]);
  });

  test('system units run as the user who installed them; without the engine, the codec server', () => {
    const { units, unit } = install('--system', '--no-engine', '--workers', '1');
    assert.ok(!existsSync(join(units, 'steadfast-engine.service')));
    assert.match(unit('steadfast-codec.service'), /^User=\S+$/m);
    assert.match(unit('steadfast-worker@.service'), /^User=\S+$/m);
    assert.match(unit('steadfast.target'), /^Wants=steadfast-codec\.service steadfast-worker@1\.service$/m);
    assert.match(unit('steadfast.target'), /^WantedBy=multi-user\.target$/m);
    verify(units, ['steadfast.target', 'steadfast-codec.service', 'steadfast-worker@.service']);
  });

  test('the worker unit runs its command as systemd would: it polls, and SIGTERM stops it cleanly', async () => {
    const { checkout, unit } = install();
    const text = unit('steadfast-worker@.service');
    const [command = '', ...args] = (/^ExecStart=(.+)$/m.exec(text)?.[1] ?? '').split(' ');
    assert.equal(/^WorkingDirectory=(.+)$/m.exec(text)?.[1], checkout);
    assert.equal(command, process.execPath);
    // The unit's environment (instance 1), and the settings of this test's Temporal and sandbox, as .env would give.
    // %C is systemd's cache root, where it makes the unit's CacheDirectory (0700) before it starts the command.
    const cacheRoot = mkdtempSync(join(at, 'cache-'));
    const cacheDirectory = join(cacheRoot, /^CacheDirectory=(.+)$/m.exec(text)?.[1] ?? '');
    mkdirSync(cacheDirectory, { mode: 0o700, recursive: true });
    const unitEnv: Record<string, string> = {};
    for (const [, name = '', value = ''] of text.matchAll(/^Environment=(\w+)=(.*)$/gm)) {
      unitEnv[name] = value.replace('%i', '1').replace('%C', cacheRoot);
    }
    const worker = spawn(command, args, {
      cwd: checkout,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...unitEnv,
        TEMPORAL_ADDRESS: testAddress(),
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('unit'),
        STEADFAST_SANDBOX: 'on',
        STEADFAST_SANDBOX_PORT: String(testSandboxPort()),
        STEADFAST_CONTROL_BOT: 'off',
        STEADFAST_METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => worker.once('exit', (code) => done(code)));
    try {
      await eventually(
        'the worker to poll',
        async () => {
          if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}:\n${output}`);
          return /"msg":"worker polling"/.test(output);
        },
        120_000,
      );
    } finally {
      worker.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
    // tsx kept its cache there, not in the host's /tmp.
    assert.ok(
      readdirSync(cacheDirectory).some((name) => name.startsWith('tsx-')),
      `no tsx cache in ${cacheDirectory}`,
    );
  });
});
