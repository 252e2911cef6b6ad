import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { startSandbox, type RunningSandbox } from '../src/sandbox/sandbox';
import { searchAttributeKeys } from '../src/workflows/search-attributes';
import { freeBasePort } from './helpers/ports';

/**
 * The test harness: one real Temporal dev server (the pinned CLI) and one workflow bundle for the whole run, then
 * Node's test runner over every `*.test.ts` (or the files given as arguments) with their address in the environment.
 */
const root = resolve(__dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? testFiles(path) : entry.name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

const sandboxPortOf = (sandbox: RunningSandbox) => Number(new URL(sandbox.endpoints.openaiUrl).port);

async function run(): Promise<number> {
  const files = process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(file)) : testFiles(__dirname);
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const cli = resolveTemporalCli({ say: (line) => console.error(line) });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'error'],
    },
  });
  try {
    const bundleDir = join(root, '.cache', 'test');
    mkdirSync(bundleDir, { recursive: true });
    const bundlePath = join(bundleDir, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../src/workflows'),
      logger: new DefaultLogger('WARN'),
    });
    writeFileSync(bundlePath, code);
    const sandbox = await startSandbox(await freeBasePort());
    console.log(
      `Temporal dev server ${cli} at ${env.address}; sandbox from port ${sandboxPortOf(sandbox)}; ${files.length} test files`,
    );

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        // One file at a time: some (the demo, the fault tests) set faults on the shared sandbox.
        '--test-concurrency=1',
        '--test-reporter=spec',
        ...files.map((file) => relative(root, file)),
      ],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          STEADFAST_TEST_TEMPORAL_ADDRESS: env.address,
          STEADFAST_TEST_WORKFLOW_BUNDLE: bundlePath,
          // Worker processes that tests start find the sandbox here, as they would find `npm run sandbox`.
          STEADFAST_SANDBOX_PORT: String(sandboxPortOf(sandbox)),
        },
      },
    );
    const stop = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const exitCode = await new Promise<number>((done) =>
      child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0))),
    );
    await sandbox.close();
    // Its certificate, account store and Convex data were for this run only.
    rmSync(sandbox.endpoints.dir, { recursive: true, force: true });
    return exitCode;
  } finally {
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
