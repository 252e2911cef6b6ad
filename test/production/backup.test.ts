import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freeBasePort } from '../../src/free-port';
import { serverPortOffsets, temporaryStateDir } from '../../scripts/lib/production-stack';
import { sandboxEndpoints } from '../../src/sandbox/endpoints';
import { postTargetTweet, sandboxTweets, startSandbox, type RunningSandbox } from '../../src/sandbox/sandbox';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { sandboxCall } from '../helpers/sandbox';
import { eventually, uniqueId } from '../helpers/temporal';

/**
 * docs/operations.md's backup and restore, on the production engine as an owner runs it: replies wait for the owner's
 * approval and an account was added; `npm run backup`; the engine stops and its state folder is deleted, and Convex
 * loses its documents; `npm run restore`; the engine starts again: the replies still wait, the owner approves them
 * with the CLI, each is posted once, and the account is back.
 */
const started: RunningProcess[] = [];
let sandbox: RunningSandbox | undefined;
after(async () => {
  started.forEach((command) => command.child.kill('SIGKILL'));
  await sandbox?.close();
});

describe('npm run backup, then npm run restore', () => {
  test('replies waiting before the backup finish after a restore into a wiped engine and Convex', async () => {
    const port = await freeBasePort(serverPortOffsets);
    const [uiPort, dbPort, sandboxPort] = [await freeBasePort([0]), await freeBasePort([0]), await freeBasePort()];
    const state = temporaryStateDir('steadfast-backup-');
    const backup = join(temporaryStateDir('steadfast-backup-to-'), 'backup');
    sandbox = await startSandbox(sandboxPort);
    const env = {
      TEMPORAL_ADDRESS: `localhost:${port}`,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: uniqueId('backup'),
      TEMPORAL_UI_URL: `http://localhost:${uiPort}`,
      STEADFAST_POSTGRES_PORT: String(dbPort),
      STEADFAST_CODEC_PORT: '0',
      STEADFAST_METRICS_PORT: '0',
      STEADFAST_PRODUCTION_STATE: state,
      STEADFAST_SANDBOX: 'on',
      STEADFAST_SANDBOX_PORT: String(sandboxPort),
      STEADFAST_CONTROL_BOT: 'off',
    };
    const run = async (script: string, ...args: string[]) => {
      const command = startTsProcess(script, env, args);
      const { code } = await command.exited;
      return { code, output: command.output().trim() };
    };
    const cli = (...args: string[]) => run('bin/steadfast.js', ...args);
    const engine = async () => {
      const command = startTsProcess('scripts/server-production.ts', env, [], undefined, true);
      started.push(command);
      await command.waitForOutput(/^Web UI: /m, 180_000);
      return command;
    };
    const worker = async () => {
      const command = startTsProcess('src/workers/main.ts', env);
      started.push(command);
      await command.waitForOutput(/"msg":"worker polling"/, 120_000);
      return command;
    };
    const stop = async (command: RunningProcess, signal: NodeJS.Signals = 'SIGTERM') => {
      command.child.kill(signal);
      await command.exited;
    };
    const stage = async (workflowId: string) => {
      const shown = await cli('reply', 'status', workflowId, '--json');
      return JSON.parse(shown.output) as { execution: string; stage?: string; result?: { status: string } };
    };

    let server = await engine();
    let polling = await worker();
    const tweets = await Promise.all(
      [0, 1, 2].map((i) => postTargetTweet(sandboxPort, { text: `before the backup ${i}`, authorUsername: 'erin' })),
    );
    const replies = tweets.map((id) => `reply:alice:${id}`);
    for (const [i, id] of tweets.entries()) {
      const startedReply = await cli('reply', 'start', '--account', 'alice', '--tweet-id', id, '--text', `q ${i}`);
      assert.equal(startedReply.code, 0, startedReply.output);
    }
    const added = await cli('account', 'add', 'carol', '--name', 'Carol');
    assert.equal(added.code, 0, added.output);
    await eventually('the replies to wait for the owner', async () => {
      for (const id of replies) if ((await stage(id)).stage !== 'awaiting-approval') return false;
      return true;
    });

    const backedUp = await run('scripts/backup.ts', backup);
    assert.equal(backedUp.code, 0, backedUp.output);
    assert.match(backedUp.output, /Not in it: the encryption key/);
    for (const file of ['manifest.json', 'temporal.dump', 'temporal_visibility.dump', 'convex/accounts.jsonl']) {
      assert.ok(existsSync(join(backup, file)), file);
    }
    assert.equal(statSync(backup).mode & 0o777, 0o700, 'the backup is private');

    // Disaster: the engine's state folder is gone, and Convex lost its documents.
    await stop(polling);
    await stop(server, 'SIGINT');
    rmSync(state, { recursive: true, force: true });
    await sandbox.close();
    rmSync(join(sandboxEndpoints(sandboxPort).dir, 'convex.json'), { force: true });
    sandbox = await startSandbox(sandboxPort);
    const accounts = async () =>
      (
        await sandboxCall<{ accounts: Record<string, unknown> }>(
          { url: sandbox!.endpoints.convexUrl },
          'GET',
          '/_sandbox/state',
        )
      ).body.accounts;
    assert.ok(!('carol' in (await accounts())), 'Convex lost carol');

    const restored = await run('scripts/restore.ts', backup);
    assert.equal(restored.code, 0, restored.output);
    assert.match(restored.output, /Convex accounts: 1 restored, 2 kept as they are/);
    assert.match(restored.output, /account connect-x/);
    assert.ok('carol' in (await accounts()), 'carol is back in Convex');

    server = await engine();
    polling = await worker();
    for (const id of replies) assert.equal((await stage(id)).stage, 'awaiting-approval', `${id} waits again`);
    for (const id of replies) {
      const approved = await cli('reply', 'approve', id);
      assert.equal(approved.code, 0, approved.output);
    }
    for (const id of replies) {
      await eventually(`${id} to end`, async () => (await stage(id)).execution !== 'RUNNING', 120_000);
      assert.equal((await stage(id)).result?.status, 'posted', id);
    }
    const onX = await sandboxTweets(sandboxPort);
    for (const id of tweets) assert.equal(onX.filter((t) => t.in_reply_to === id).length, 1, `one reply to ${id}`);
    await stop(polling);
    await stop(server, 'SIGINT');
    assert.ok(readFileSync(join(backup, 'manifest.json'), 'utf8').includes('"temporal": "engine"'));
  });
});
