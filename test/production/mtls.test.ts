import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freeBasePort } from '../../src/free-port';
import { ProductionStack, serverPortOffsets, temporaryStateDir } from '../../scripts/lib/production-stack';
import { clientTlsConfig, clientTlsEnv, makeTemporalCertificates } from '../../scripts/lib/tls-certificates';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { startTsProcess, type RunningProcess } from '../helpers/processes';
import { testSandboxPort } from '../helpers/sandbox';
import { testDataConverter, uniqueTaskQueue } from '../helpers/temporal';

/**
 * The production engine with mutual TLS (`npm run tls:generate`, STEADFAST_PRODUCTION_TLS): a client without the
 * client certificate is refused, with or without TLS; one with it works, and a worker configured as the guide says
 * (Temporal's TEMPORAL_TLS_* variables) runs a reply to its post.
 */
let stack: ProductionStack | undefined;
const workers: RunningProcess[] = [];
after(async () => {
  for (const { child } of workers) child.kill('SIGKILL');
  await stack?.stop();
});

describe('the production engine with mutual TLS', () => {
  test('refuses a client without the certificate; a worker with it runs a reply', async () => {
    const state = temporaryStateDir('steadfast-mtls-');
    const tls = await makeTemporalCertificates(join(state, 'tls'));
    const port = await freeBasePort(serverPortOffsets);
    const dbPort = await freeBasePort([0]);
    ({ stack } = await ProductionStack.start({ stateDir: state, port, dbPort, namespaces: ['mtls'], tls }));
    const address = stack.address;
    const systemInfo = async (options: Parameters<typeof Connection.connect>[0]) => {
      const connection = await Connection.connect({ ...options, connectTimeout: '3s' });
      try {
        await connection.withDeadline(Date.now() + 3000, () => connection.workflowService.getSystemInfo({}));
      } finally {
        await connection.close();
      }
    };
    // No TLS at all, and TLS that trusts the server but shows no certificate: both refused.
    await assert.rejects(systemInfo({ address }));
    const trusting = { serverNameOverride: 'localhost', serverRootCACertificate: readFileSync(tls.ca) };
    await assert.rejects(systemInfo({ address, tls: trusting }));
    // A certificate the deployment's CA did not sign: refused too.
    const stranger = await makeTemporalCertificates(join(state, 'stranger'));
    await assert.rejects(
      systemInfo({ address, tls: { ...trusting, clientCertPair: clientTlsConfig(stranger).clientCertPair } }),
    );
    await systemInfo({ address, tls: clientTlsConfig(tls) });

    // A worker with the client certificate, set as the guide says; a reply it drafts, posts and records.
    const taskQueue = uniqueTaskQueue('mtls');
    const worker = startTsProcess('src/workers/main.ts', {
      TEMPORAL_ADDRESS: `localhost:${port}`,
      TEMPORAL_NAMESPACE: 'mtls',
      TEMPORAL_TASK_QUEUE: taskQueue,
      STEADFAST_SANDBOX: 'on',
      STEADFAST_CONTROL_BOT: 'off',
      ...clientTlsEnv(tls),
    });
    workers.push(worker);
    await worker.waitForOutput(/"msg":"worker polling"/, 120_000);
    const connection = await Connection.connect({ address, tls: clientTlsConfig(tls) });
    try {
      const client = new Client({ connection, namespace: 'mtls', dataConverter: testDataConverter() });
      const text = `Is this connection mutual? ${Date.now()}`;
      const id = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text });
      const result = await client.workflow.execute(replyWorkflowV2, {
        taskQueue,
        workflowId: workflowIds.reply('bob', id),
        args: [{ accountId: 'bob', tweet: { id, text, authorUsername: 'bob' }, approval: 'auto', firstRun: true }],
      });
      assert.equal(result.status, 'posted');
    } finally {
      await connection.close();
    }
    worker.child.kill('SIGTERM');
    assert.equal((await worker.exited).code, 0, worker.output());
  });
});
