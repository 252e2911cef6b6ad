import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { codecEndpoint } from '../src/encryption/remote-codec-server';
import { isSandboxUp, sandboxEndpoints, startSandbox } from '../src/sandbox/sandbox';
import { isServerUp, startDevServer, stateDir } from './lib/dev-server';
import { startCodecServerStep } from './lib/owner-codec';
import { CommandError, runCommand, type Teardown } from './lib/run-command';
import { startWorkerProcess, stopProcessesStep, stopWorkersStep } from './lib/worker-process';

/**
 * `npm start`: for interactive use. Brings up what is not running — the dev server, the sandbox's simulators (with no
 * credentials) — and a worker, prints where to look and what to try, and on every way out (Ctrl-C, SIGTERM, the
 * worker's end, a failed start-up) stops what it started, worker first so in-flight activities drain.
 */
async function run(teardown: Teardown): Promise<number> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const say = (line: string) => console.log(line);

  const { signal } = teardown;
  if (!(await isServerUp(config.temporal))) {
    const onSpawn = (child: ChildProcess) =>
      teardown.defer(
        stopProcessesStep(`the Temporal dev server (pid ${child.pid})`, [
          { child, exited: once(child, 'exit').then(() => undefined) },
        ]),
      );
    await startDevServer(config.temporal, { detached: true, codecEndpoint: codecEndpoint(config), say, onSpawn });
    say(`Started the Temporal dev server at ${config.temporal.address} (log: .temporal/server.log)`);
  }
  // A Ctrl-C during start-up: start nothing more (what started is stopped).
  if (signal.aborted) return 0;
  const port = config.sandboxPort;
  if (config.sandbox && !(await isSandboxUp(port))) {
    const sandbox = await startSandbox(port);
    teardown.defer({
      what: `the sandbox's simulators (ports ${port}-${port + 4})`,
      stop: () => sandbox.close(),
      now: () => true, // they run in this process
    });
    say(`Started the sandbox's simulators on ports ${port}-${port + 4}`);
  }

  if (signal.aborted) return 0;
  await startCodecServerStep(config, teardown, say);
  if (signal.aborted) return 0;
  mkdirSync(stateDir, { recursive: true });
  const workerLog = join(stateDir, 'worker.log');
  const worker = startWorkerProcess(process.env, openSync(workerLog, 'a'));
  teardown.defer(stopWorkersStep([worker]));
  await Promise.race([
    worker.ready.catch((err: Error) => Promise.reject(new CommandError(`${err.message}; see ${workerLog}`, 1))),
    once(teardown.signal, 'abort'),
  ]);
  if (teardown.signal.aborted) return 0;

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

  await Promise.race([once(teardown.signal, 'abort'), worker.exited]);
  if (!teardown.signal.aborted) {
    say(`The worker exited (${worker.child.signalCode ?? worker.child.exitCode}); see ${workerLog}. Stopping…`);
    return 1;
  }
  say('Stopping…');
  return 0;
}

runCommand(run, { endsOnSignal: true, say: (line) => console.log(line), farewell: 'Steadfast stopped.' });
