import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { isSandboxUp, sandboxEndpoints, startSandbox } from '../src/sandbox/sandbox';
import { isServerUp, startDevServer, stateDir } from './dev-server';

/**
 * `npm start`: for interactive use. Brings up what is not running — the dev server, the sandbox's simulators (with no
 * credentials) — and a worker, prints where to look and what to try, and on Ctrl-C stops what it started, worker
 * first so in-flight activities drain.
 */
async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const say = (line: string) => console.log(line);

  const server = (await isServerUp(config.temporal))
    ? undefined
    : await startDevServer(config.temporal, { detached: true, say });
  if (server) say(`Started the Temporal dev server at ${config.temporal.address} (log: .temporal/server.log)`);
  const port = config.sandboxPort;
  const sandbox = config.sandbox && !(await isSandboxUp(port)) ? await startSandbox(port) : undefined;
  if (sandbox) say(`Started the sandbox's simulators on ports ${port}-${port + 4}`);

  mkdirSync(stateDir, { recursive: true });
  const workerLog = join(stateDir, 'worker.log');
  const log = openSync(workerLog, 'a');
  const worker = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../src/workers/main.ts')], {
    stdio: ['ignore', 'pipe', log],
  });
  await new Promise<void>((ready, fail) => {
    worker.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"msg":"worker polling"')) ready();
    });
    worker.once('exit', (code) => fail(new Error(`the worker exited with ${code} before polling; see ${workerLog}`)));
  });
  // Keep the worker's JSON log lines out of the terminal: they go to the log file.
  worker.stdout?.removeAllListeners('data');
  worker.stdout?.on('data', () => undefined);

  const { caPath, xUrl } = sandboxEndpoints(port);
  say('');
  say(
    `Steadfast is running${config.sandbox ? ' on the sandbox' : ''}: a worker polls task queue ${config.temporal.taskQueue}.`,
  );
  say(`  Web UI       ${config.temporal.webUiUrl}`);
  say(`  Worker log   ${workerLog}`);
  say('Try, in another terminal:');
  if (config.sandbox) {
    say(`  curl -s --cacert ${caPath} ${xUrl}/_sandbox/x/tweets -H 'content-type: application/json' \\`);
    say(`    -d '{"authorUsername":"carol","text":"Is Temporal durable?"}'      # a tweet to answer: note its id`);
  }
  say('  npm run cli -- reply start --account alice --tweet-id <id> --text "Is Temporal durable?" --author carol');
  say('  npm run cli -- reply status reply:alice:<id>');
  say('  npm run cli -- reply approve reply:alice:<id>');
  say('  npm run cli -- watch add --account bob --username carol --approval auto');
  say('  npm run cli -- failures list');
  say('Ctrl-C stops what this started.');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    worker.once('exit', done);
  });
  say('Stopping…');
  await stop(worker);
  await sandbox?.close();
  if (server) await stop(server);
  say('Steadfast stopped.');
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  await exited;
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
