import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freeBasePort } from '../../src/free-port';
import { serverPortOffsets, temporaryStateDir } from '../../scripts/lib/production-stack';
import { accountIdKey } from '../../src/workflows/search-attributes';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { eventually, testDataConverter, uniqueId } from '../helpers/temporal';

/**
 * `npm run server:production` as an owner runs it for months: started (the namespace keeping dead letters 30 days), its command killed with SIGKILL (the server,
 * the UI and PostgreSQL left running without it), started again, stopped with Ctrl-C. The second start stops what the
 * first left and comes up on the same data: a workflow started before is still there, listed by its search attribute.
 */
const started: RunningProcess[] = [];

/** How long the `owner` namespace keeps closed workflows. */
async function retentionSeconds(connection: Connection): Promise<number> {
  const described = await connection.workflowService.describeNamespace({ namespace: 'owner' });
  return Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
}
after(() => started.forEach((command) => command.child.kill('SIGKILL')));

describe('npm run server:production', () => {
  test('a killed run leaves nothing in the way of the next; the state and the search attributes stay; Ctrl-C stops it all', async () => {
    const port = await freeBasePort(serverPortOffsets);
    const [uiPort, dbPort, codecPort] = [await freeBasePort([0]), await freeBasePort([0]), await freeBasePort([0])];
    const state = temporaryStateDir('steadfast-production-');
    const env = {
      TEMPORAL_ADDRESS: `localhost:${port}`,
      TEMPORAL_NAMESPACE: 'owner',
      TEMPORAL_UI_URL: `http://localhost:${uiPort}`,
      STEADFAST_POSTGRES_PORT: String(dbPort),
      STEADFAST_CODEC_PORT: String(codecPort),
      STEADFAST_PRODUCTION_STATE: state,
    };
    const start = async (more: Record<string, string> = {}) => {
      const command = startTsProcess('scripts/server-production.ts', { ...env, ...more }, [], undefined, true);
      started.push(command);
      await command.waitForOutput(/^Web UI: /m, 120_000);
      return command;
    };

    // The cluster is made with the shard count the owner chose; later starts need not say it again.
    const first = await start({ STEADFAST_HISTORY_SHARDS: '8' });
    assert.match(first.output(), /namespace owner with the AccountId and Stage search attributes/);
    assert.match(first.output(), /, 8 history shards \(log: /);
    assert.equal((await fetch(`http://127.0.0.1:${uiPort}/`)).status, 200, 'the Web UI answers');
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    assert.equal(await retentionSeconds(connection), 30 * 86_400, 'dead letters kept 30 days by default');
    const client = new Client({ connection, namespace: 'owner', dataConverter: testDataConverter() });
    const workflowId = uniqueId('kept');
    // No worker polls this queue: the workflow stays running, in the server's database.
    await client.workflow.start('replyWorkflowV2', {
      taskQueue: uniqueId('nobody'),
      workflowId,
      args: [],
      typedSearchAttributes: [{ key: accountIdKey, value: 'kept-account' }],
    });
    await connection.close();

    // The command alone dies; what it started goes on running, orphaned.
    first.child.kill('SIGKILL');
    await first.exited;
    const leftServer = Number(readFileSync(join(state, 'server.pid'), 'utf8'));
    assert.ok(existsSync(`/proc/${leftServer}`), 'the server outlived its command');

    // Started again with another retention: the namespace made before takes the setting.
    const second = await start({ TEMPORAL_NAMESPACE_RETENTION: '45 days' });
    assert.match(
      second.output(),
      new RegExp(`Stopped the temporal-server an earlier run left running \\(pid ${leftServer}\\)`),
    );
    assert.match(second.output(), /Stopped the temporal-ui-server an earlier run left running/);
    assert.ok(!existsSync(`/proc/${leftServer}`));
    assert.match(second.output(), /, 8 history shards \(log: /, 'the count the cluster was made with');
    const again = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      assert.equal(Number((await again.workflowService.getClusterInfo({})).historyShardCount), 8);
      assert.equal(await retentionSeconds(again), 45 * 86_400, 'the setting applies to the existing namespace');
      const kept = new Client({ connection: again, namespace: 'owner', dataConverter: testDataConverter() });
      assert.equal((await kept.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING');
      await eventually('the workflow listed by AccountId', async () => {
        for await (const found of kept.workflow.list({ query: `AccountId = 'kept-account'` })) {
          if (found.workflowId === workflowId) return true;
        }
        return false;
      });
    } finally {
      await again.close();
    }

    // Ctrl-C, as a terminal sends it: to the whole group.
    process.kill(-second.child.pid!, 'SIGINT');
    const { code } = await second.exited;
    assert.equal(code, 0, second.output());
    assert.match(second.output(), /^Stopped\.$/m);
    const nothingLeftRunning = () => {
      for (const file of ['server.pid', 'ui.pid', 'postgres/data/postmaster.pid']) {
        assert.ok(!existsSync(join(state, file)), `${file} is gone: nothing left running`);
      }
    };
    nothingLeftRunning();

    // Another shard count for the same cluster is refused by name, not silently ignored, and stops what it started.
    const resharded = startTsProcess(
      'scripts/server-production.ts',
      { ...env, STEADFAST_HISTORY_SHARDS: '16' },
      [],
      undefined,
      true,
    );
    started.push(resharded);
    const refused = await resharded.exited;
    assert.notEqual(refused.code, 0, resharded.output());
    assert.match(resharded.output(), /STEADFAST_HISTORY_SHARDS=16, but this cluster .* was made with 8 history shards/);
    nothingLeftRunning();
  });
});
