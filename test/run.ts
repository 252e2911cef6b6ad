import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveTemporalCli } from '../scripts/lib/temporal-cli-build';
import { ProductionStack, serverPortOffsets } from '../scripts/lib/production-stack';
import { LocalPostgres } from '../scripts/lib/postgres';
import { resolveTemporalServer } from '../scripts/lib/temporal-server-build';
import { startSandbox, type RunningSandbox } from '../src/sandbox/sandbox';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';
import { searchAttributeKeys } from '../src/workflows/search-attributes';
import { freeBasePort } from '../src/free-port';
import { ownDevServerPorts } from '../scripts/lib/dev-server';
import { productionSuite } from './production/suite';
import { serveStackControl } from './production/stack-control';

/**
 * The test harness, choosing by folder. Unit files (test/unit/) start at once, one after another, while one real
 * Temporal dev server (the pinned CLI) starts and the workflows are bundled once. The other files then run in
 * parallel lanes: each lane has a namespace of that server and a sandbox of its own, and runs its files one at a
 * time, so a file that sets faults on its sandbox or counts what reached it meets no other file's traffic. Each file
 * is its own `node --test` process; its report is printed whole when it ends.
 *
 * `npm test -- <files>` runs those files; STEADFAST_TEST_LANES sets the number of lanes (default: 3, or 1 lane per
 * 2 cores beyond 4).
 *
 * `npm run test:production` (`--production`) runs the files of test/production/suite.ts on the production engine
 * instead: Temporal Server on PostgreSQL with SQL visibility (scripts/lib/production-stack.ts), in 2 lanes; the files that
 * ask the stack for faults (they import ./helpers/production) then run alone, after the lanes.
 */
const root = resolve(__dirname, '..');
const cache = join(root, '.cache', 'test');
const production = process.argv.includes('--production');
// The same file takes another time on the other server: each run orders its files by its own last times.
const durationsPath = join(cache, production ? 'durations-production.json' : 'durations.json');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? testFiles(path) : entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * A file for a lane: an integration or a system test (test/integration/, test/system/: it uses the harness's server
 * and sandbox, or starts the project's own processes, which weigh as much). Unit tests (test/unit/) need neither.
 */
function needsTemporal(file: string): boolean {
  return !file.startsWith(join(__dirname, 'unit') + '/');
}

/** A file that kills and restarts the server or its database: it runs with the whole stack to itself. */
function breaksTheStack(file: string): boolean {
  return /from '\.\.?\/helpers\/production'/.test(readFileSync(file, 'utf8'));
}

/** The Temporal server of a run, with what each lane's files are told of it. */
interface TestServer {
  address: string;
  describe: string;
  env: NodeJS.ProcessEnv;
  teardown: () => Promise<void>;
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
  const named = process.argv.slice(2).filter((arg) => arg !== '--production');
  const files = named.length
    ? named.map((file) => resolve(file))
    : production
      ? productionSuite.map((file) => resolve(root, file))
      : testFiles(__dirname).filter((file) => !file.startsWith(join(__dirname, 'production') + '/'));
  const unit = files.filter((file) => !needsTemporal(file));
  const integration = longestFirst(files.filter(needsTemporal));
  const defaultLanes = production ? 2 : Math.max(3, availableParallelism() / 2);
  const lanes = Math.max(1, Math.min(integration.length, Number(process.env.STEADFAST_TEST_LANES) || defaultLanes));
  const stop = () => running.forEach((child) => child.kill('SIGTERM'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`${files.length} test files: ${unit.length} without Temporal, ${integration.length} in ${lanes} lanes`);
  // Built (once per machine) before any file runs: the stack and the files that render its config share the binaries.
  if (production) resolveTemporalServer((line) => console.error(line));

  const units = (async () => {
    const outcomes: Outcome[] = [];
    for (const file of unit) outcomes.push(await runFile(file, {}, 'no Temporal'));
    return outcomes;
  })();
  const integrated = integration.length ? runIntegration(integration, lanes, production) : Promise.resolve([]);
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

/** The pinned CLI's dev server, its namespaces registered at launch. */
async function startDevServer(namespaces: string[]): Promise<TestServer> {
  const cli = resolveTemporalCli({ say: (line) => console.error(line) });
  const { port, metricsPort, portArgs } = await ownDevServerPorts();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      // Below the ephemeral range, where the SDK would choose it (src/free-port.ts says why).
      port,
      // --search-attribute registers them in every namespace created at launch.
      searchAttributes: searchAttributeKeys,
      extraArgs: [
        '--log-level',
        'error',
        ...portArgs,
        ...namespaces.flatMap((namespace) => ['--namespace', namespace]),
      ],
    },
  });
  return {
    address: env.address,
    describe: `Temporal dev server ${cli}`,
    // The server's own /metrics (the `action` series), for the files that read it.
    env: { STEADFAST_TEST_SERVER_METRICS: `http://127.0.0.1:${metricsPort}/metrics` },
    teardown: () => env.teardown(),
  };
}

/** The production engine in a folder of this run's own, and the fault control its solo files use. */
async function startProductionServer(namespaces: string[]): Promise<TestServer> {
  const stateDir = join(cache, 'production');
  // A fresh cluster each run; one a killed run left is stopped first (ProductionStack.start stops its server).
  if (existsSync(join(stateDir, 'postgres', 'data', 'PG_VERSION'))) {
    new LocalPostgres({ dir: join(stateDir, 'postgres'), port: 0 }).stop('immediate');
  }
  rmSync(join(stateDir, 'postgres'), { recursive: true, force: true });
  const port = await freeBasePort(serverPortOffsets);
  const dbPort = await freeBasePort([0]);
  const say = (line: string) => console.log(line);
  const { stack, timings } = await ProductionStack.start({ stateDir, port, dbPort, namespaces, say });
  const control = await serveStackControl(stack);
  console.log(
    `Production stack up: server build ${timings.build.toFixed(1)} s (cached when ~0), PostgreSQL ${timings.postgres.toFixed(1)} s, ` +
      `schema setup ${timings.schema.toFixed(1)} s, server start ${timings.server.toFixed(1)} s, namespaces ${timings.namespaces.toFixed(1)} s`,
  );
  return {
    address: stack.address,
    describe: `Temporal Server on PostgreSQL (${stack.serverLog})`,
    env: { STEADFAST_TEST_STACK_CONTROL: control.url, STEADFAST_TEST_SERVER_METRICS: stack.metricsUrl },
    teardown: async () => {
      control.server.close();
      await stack.stop();
    },
  };
}

/** The server (one namespace per lane), the bundle, a sandbox per lane, then the lanes, then the solo files. */
async function runIntegration(files: string[], lanes: number, production: boolean): Promise<Outcome[]> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const namespaces = Array.from({ length: lanes }, (_, i) => `test-lane-${i + 1}`);
  const server = await (production ? startProductionServer : startDevServer)(namespaces);
  const sandboxes: RunningSandbox[] = [];
  try {
    const bundlePath = join(cache, 'workflow-bundle.js');
    await writeWorkflowBundle(bundlePath);
    // One at a time: each takes its ports before the next looks for free ones.
    for (let lane = 0; lane < lanes; lane++) sandboxes.push(await startSandbox(await freeBasePort()));
    console.log(`${server.describe} at ${server.address}; namespaces ${namespaces.join(', ')}`);
    const queue = files.filter((file) => !breaksTheStack(file));
    const solo = files.filter(breaksTheStack);
    const outcomes: Outcome[] = [];
    const laneEnvs = sandboxes.map((sandbox, lane) => ({
      ...server.env,
      STEADFAST_TEST_TEMPORAL_ADDRESS: server.address,
      STEADFAST_TEST_WORKFLOW_BUNDLE: bundlePath,
      TEMPORAL_NAMESPACE: namespaces[lane],
      // Worker processes that tests start find the lane's sandbox here, as they would find `npm run sandbox`.
      STEADFAST_SANDBOX_PORT: new URL(sandbox.endpoints.openaiUrl).port,
      // Many workers run on this host at once: each serves /metrics on a free port of its own.
      STEADFAST_METRICS_PORT: '0',
      // And the codec servers of `npm start` and the demo, so that lanes running them at once do not meet.
      STEADFAST_CODEC_PORT: '0',
    }));
    await Promise.all(
      laneEnvs.map(async (laneEnv, lane) => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          outcomes.push(await runFile(file, laneEnv, `lane ${lane + 1}`));
        }
      }),
    );
    for (const file of solo) outcomes.push(await runFile(file, laneEnvs[0]!, 'alone'));
    return outcomes;
  } finally {
    for (const sandbox of sandboxes) {
      await sandbox.close();
      // Its certificate, account store and Convex data were for this run only.
      rmSync(sandbox.endpoints.dir, { recursive: true, force: true });
    }
    await server.teardown();
  }
}

run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
