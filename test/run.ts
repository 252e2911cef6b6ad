import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { startSandbox, type RunningSandbox } from '../src/sandbox/sandbox';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';
import { searchAttributeKeys } from '../src/workflows/search-attributes';
import { freeBasePort } from '../scripts/free-ports';

/**
 * The test harness. Files that need no Temporal (unit files) start at once, one after another, while one real
 * Temporal dev server (the pinned CLI) starts and the workflows are bundled once. The other files then run in
 * parallel lanes: each lane has a namespace of that server and a sandbox of its own, and runs its files one at a
 * time, so a file that sets faults on its sandbox or counts what reached it meets no other file's traffic. Each file
 * is its own `node --test` process; its report is printed whole when it ends.
 *
 * `npm test -- <files>` runs those files; STEADFAST_TEST_LANES sets the number of lanes (default: 3, or 1 lane per
 * 2 cores beyond 4).
 */
const root = resolve(__dirname, '..');
const cache = join(root, '.cache', 'test');
const durationsPath = join(cache, 'durations.json');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? testFiles(path) : entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * A file for a lane: it uses the harness's server or sandbox (it imports the helpers that read their addresses), or
 * starts the project's own processes (the bench's smoke test), which weigh as much as a lane's file.
 */
function needsTemporal(file: string): boolean {
  return /from '\.\/helpers\/(temporal|sandbox|cli|session|workers|processes)'/.test(readFileSync(file, 'utf8'));
}

interface Outcome {
  file: string;
  ok: boolean;
  seconds: number;
  tests: { pass: number; fail: number };
}

const running = new Set<ChildProcess>();

/** Runs one test file in its own process; its report (buffered, so lanes do not interleave) when it ends. */
function runFile(file: string, env: NodeJS.ProcessEnv, label: string): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', relative(root, file)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      const seconds = (performance.now() - started) / 1000;
      const count = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      const ok = code === 0 && !signal;
      process.stdout.write(
        `\n── ${relative(root, file)} (${label}, ${seconds.toFixed(1)} s)${ok ? '' : ' FAILED'}\n${output}`,
      );
      // A file that failed without a failing test (it crashed, or timed out) counts as one failure.
      const fail = ok ? count('fail') : Math.max(1, count('fail'));
      done({ file, ok, seconds, tests: { pass: count('pass'), fail } });
    }),
  );
}

/** Longest first (by the last run's times, else by size), so the long files do not start last. */
function longestFirst(files: string[]): string[] {
  const last = existsSync(durationsPath)
    ? (JSON.parse(readFileSync(durationsPath, 'utf8')) as Record<string, number>)
    : {};
  const weight = (file: string) => last[relative(root, file)] ?? statSync(file).size / 1000;
  return [...files].sort((a, b) => weight(b) - weight(a));
}

async function run(): Promise<number> {
  const started = performance.now();
  const files = process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(file)) : testFiles(__dirname);
  const unit = files.filter((file) => !needsTemporal(file));
  const integration = longestFirst(files.filter(needsTemporal));
  const lanes = Math.max(
    1,
    Math.min(integration.length, Number(process.env.STEADFAST_TEST_LANES) || Math.max(3, availableParallelism() / 2)),
  );
  const stop = () => running.forEach((child) => child.kill('SIGTERM'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`${files.length} test files: ${unit.length} without Temporal, ${integration.length} in ${lanes} lanes`);

  const units = (async () => {
    const outcomes: Outcome[] = [];
    for (const file of unit) outcomes.push(await runFile(file, {}, 'no Temporal'));
    return outcomes;
  })();
  const integrated = integration.length ? runIntegration(integration, lanes) : Promise.resolve([]);
  const outcomes = [...(await units), ...(await integrated)];

  mkdirSync(cache, { recursive: true });
  const durations = existsSync(durationsPath)
    ? (JSON.parse(readFileSync(durationsPath, 'utf8')) as Record<string, number>)
    : {};
  for (const outcome of outcomes) durations[relative(root, outcome.file)] = Math.round(outcome.seconds);
  writeFileSync(durationsPath, JSON.stringify(durations, null, 2));

  const failed = outcomes.filter((outcome) => !outcome.ok);
  const sum = (pick: (o: Outcome) => number) => outcomes.reduce((total, o) => total + pick(o), 0);
  const wall = (performance.now() - started) / 1000;
  console.log(
    `\nℹ files ${outcomes.length}, tests ${sum((o) => o.tests.pass + o.tests.fail)}, pass ${sum((o) => o.tests.pass)}, fail ${sum((o) => o.tests.fail)}`,
  );
  console.log(
    `ℹ wall time ${wall.toFixed(0)} s (the files' own times add up to ${sum((o) => o.seconds).toFixed(0)} s)`,
  );
  for (const outcome of failed) console.log(`✖ ${relative(root, outcome.file)}`);
  return failed.length ? 1 : 0;
}

/** The dev server (one namespace per lane), the bundle, a sandbox per lane, then the lanes. */
async function runIntegration(files: string[], lanes: number): Promise<Outcome[]> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const namespaces = Array.from({ length: lanes }, (_, i) => `test-lane-${i + 1}`);
  const cli = resolveTemporalCli({ say: (line) => console.error(line) });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      // --search-attribute registers them in every namespace created at launch.
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'error', ...namespaces.flatMap((namespace) => ['--namespace', namespace])],
    },
  });
  const sandboxes: RunningSandbox[] = [];
  try {
    const bundlePath = join(cache, 'workflow-bundle.js');
    await writeWorkflowBundle(bundlePath);
    // One at a time: each takes its ports before the next looks for free ones.
    for (let lane = 0; lane < lanes; lane++) sandboxes.push(await startSandbox(await freeBasePort()));
    console.log(`Temporal dev server ${cli} at ${env.address}; namespaces ${namespaces.join(', ')}`);
    const queue = [...files];
    const outcomes: Outcome[] = [];
    await Promise.all(
      sandboxes.map(async (sandbox, lane) => {
        const laneEnv = {
          STEADFAST_TEST_TEMPORAL_ADDRESS: env.address,
          STEADFAST_TEST_WORKFLOW_BUNDLE: bundlePath,
          TEMPORAL_NAMESPACE: namespaces[lane],
          // Worker processes that tests start find the lane's sandbox here, as they would find `npm run sandbox`.
          STEADFAST_SANDBOX_PORT: new URL(sandbox.endpoints.openaiUrl).port,
          // Many workers run on this host at once: each serves /metrics on a free port of its own.
          STEADFAST_METRICS_PORT: '0',
          // And the codec servers of `npm start` and the demo, so that lanes running them at once do not meet.
          STEADFAST_CODEC_PORT: '0',
        };
        for (let file = queue.shift(); file; file = queue.shift()) {
          outcomes.push(await runFile(file, laneEnv, `lane ${lane + 1}`));
        }
      }),
    );
    return outcomes;
  } finally {
    for (const sandbox of sandboxes) {
      await sandbox.close();
      // Its certificate, account store and Convex data were for this run only.
      rmSync(sandbox.endpoints.dir, { recursive: true, force: true });
    }
    await env.teardown();
  }
}

run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
