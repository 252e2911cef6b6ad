import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config';
import { startOwnersCodecServer } from '../src/encryption/remote-codec-server';
import { loadEnvFile } from '../src/env-file';
import { connectClient } from '../src/temporal/connection';
import { untilTemporalAnswers } from '../src/temporal/wait-for-temporal';
import { CommandError, runCommand } from './lib/run-command';

/**
 * `npm run webui:pictures [-- DIR] [-- --no-demo]`: the Web UI pictures docs/usage.md shows. Runs `npm run demo`
 * and, while it runs, takes two screenshots with a headless Chromium (Debian's `chromium`) of the first reply of alice's
 * that waits for the owner: its User Metadata tab (summary, current details, each step's summary:
 * DIR/web-ui-reply-metadata.png) and its history (DIR/web-ui-reply.png), decoded by the browser through the demo's
 * codec server. `--no-demo` takes them of a closed reply the server holds, through a codec server of its own (no
 * worker answers for its current details then).
 */
runCommand(async (teardown) => {
  loadEnvFile();
  const config = loadConfigOrExit();
  const args = process.argv.slice(2);
  const dir = resolve(args.find((arg) => !arg.startsWith('--')) ?? 'docs');
  if (spawnSync('chromium', ['--version'], { stdio: 'ignore' }).error) {
    throw new CommandError('chromium is not installed: apt-get install chromium');
  }
  if (config.temporal.encryption.mode === 'off') {
    throw new CommandError('STEADFAST_ENCRYPTION is off: the pictures are of the codec server decoding; turn it on');
  }
  const { namespace, webUiUrl } = config.temporal;
  mkdirSync(dir, { recursive: true });
  const pictures = async (reply: { workflowId: string; runId: string }) => {
    const page = `${webUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(reply.workflowId)}/${reply.runId}`;
    await screenshot(`${page}/user-metadata`, `${dir}/web-ui-reply-metadata.png`, 800);
    await screenshot(`${page}/history`, `${dir}/web-ui-reply.png`, 1300);
  };
  const firstReply = async (client: Client, status: string): Promise<Reply | undefined> => {
    for await (const run of client.workflow.list({
      // One of alice's, whose owner approves: its page shows every kind of step, the wait for the owner too.
      query: `WorkflowType = 'replyWorkflowV2' AND AccountId = 'alice' AND ${status}`,
    })) {
      return { workflowId: run.workflowId, runId: run.runId };
    }
    return undefined;
  };

  if (args.includes('--no-demo')) {
    // The server's own workers may be gone: the codec server is this process's, and a closed reply is shown.
    const codec = await startOwnersCodecServer(config);
    if (!codec) throw new CommandError('no codec server: STEADFAST_ENCRYPTION is off');
    teardown.defer({ what: 'the codec server', stop: () => codec.close(), now: () => true });
    const client = await connectClient(config.temporal);
    teardown.defer({ what: 'the connection', stop: () => client.connection.close(), now: () => true, quiet: true });
    const reply = await firstReply(client, "ExecutionStatus = 'Completed'");
    if (!reply) throw new CommandError(`no completed reply of alice in namespace ${namespace}: run the demo first`);
    await pictures(reply);
    return 0;
  }

  // While the demo runs (its workers answer the Web UI's query for current details, its codec server decodes), the
  // first reply that waits for the owner is the one pictured.
  const demo = spawn('npm', ['run', '--silent', 'demo'], { stdio: 'inherit' });
  const exited = once(demo, 'exit') as Promise<[number | null]>;
  const client = await untilTemporalAnswers(() => connectClient(config.temporal), {
    address: config.temporal.address,
    say: (line) => console.log(line),
    signal: teardown.signal,
  });
  teardown.defer({ what: 'the connection', stop: () => client.connection.close(), now: () => true, quiet: true });
  let pictured = false;
  while (!pictured && demo.exitCode === null) {
    const waiting = await firstReply(client, "ExecutionStatus = 'Running' AND Stage = 'awaiting-approval'");
    if (waiting) {
      await pictures(waiting);
      pictured = true;
    } else {
      await sleep(500);
    }
  }
  const [code] = await exited;
  if (code !== 0) throw new CommandError(`npm run demo exited with ${code}`);
  if (!pictured) throw new CommandError('no reply of alice waited for the owner during the demo: no pictures');
  return 0;
});

interface Reply {
  workflowId: string;
  runId: string;
}

/** Spawned, not run synchronously: the codec server the page asks is in this process and must go on answering. */
async function screenshot(url: string, output: string, height: number): Promise<void> {
  rmSync(output, { force: true });
  const shot = spawn(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      // The Web UI is a single-page app: time for it to load, list, and ask the codec server to decode.
      '--virtual-time-budget=20000',
      `--screenshot=${output}`,
      `--window-size=1500,${height}`,
      url,
    ],
    { stdio: 'ignore' },
  );
  const [status] = (await once(shot, 'exit')) as [number | null];
  if (status !== 0 || !existsSync(output)) {
    throw new CommandError(`chromium could not take the screenshot of ${url} (exit ${status})`);
  }
  console.log(`Wrote ${output}: ${url}`);
}
