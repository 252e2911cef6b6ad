import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { keyRing, newKey, type KeyRing } from '../../src/encryption/keys';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { dataConverter } from '../../src/encryption/data-converter';
import { EncryptionCodec, keyIdMetadata } from '../../src/encryption/payload-codec';
import { startReply } from '../../src/temporal/start-reply';
import type { replyWorkflowV2 } from '../../src/workflows';
import { approveSignal } from '../../src/workflows/messages';
import { sandboxActivities, testSandboxPort } from '../helpers/sandbox';
import {
  closeTestClient,
  testClient,
  testNamespace,
  uniqueTaskQueue,
  waitForStage,
  withWorker,
} from '../helpers/temporal';

/**
 * A key rotation as docs/configuration.md tells the owner to do it: replies waiting for the owner under key A; every worker and
 * client restarted with key B to encrypt and A kept to decrypt; the owner approves (signals encrypted with B) and
 * the replies finish, their histories holding payloads of both keys.
 */
after(closeTestClient);

async function clientWith(keys: KeyRing): Promise<Client> {
  const { connection } = await testClient();
  return new Client({ connection, namespace: testNamespace(), dataConverter: dataConverter(keys) });
}

describe('key rotation', () => {
  test('replies started under key A finish after the encrypting key becomes B', async () => {
    const taskQueue = uniqueTaskQueue('rotation');
    const a = newKey();
    const b = newKey();
    const count = 5;

    const underA = keyRing(a);
    const clientA = await clientWith(underA);
    const workflowIds: string[] = [];
    await withWorker(
      {
        taskQueue,
        activities: (await sandboxActivities(taskQueue, { client: clientA })).activities,
        dataConverter: dataConverter(underA),
      },
      async () => {
        for (let i = 0; i < count; i++) {
          const tweet = { text: `Rotate the keys? ${i} ${Date.now()}`, authorUsername: 'erin' };
          const id = await postTargetTweet(testSandboxPort(), tweet);
          const { handle } = await startReply(clientA, taskQueue, {
            accountId: 'alice',
            tweet: { id, ...tweet },
            approval: 'owner',
          });
          workflowIds.push(handle.workflowId);
        }
        for (const id of workflowIds) await waitForStage(clientA.workflow.getHandle(id), 'awaiting-approval');
      },
    );

    // Key B encrypts from now on; A stays to decrypt what it encrypted.
    const rotated = keyRing(b, [a]);
    const clientB = await clientWith(rotated);
    const results = await withWorker(
      {
        taskQueue,
        activities: (await sandboxActivities(taskQueue, { client: clientB })).activities,
        dataConverter: dataConverter(rotated),
      },
      async () => {
        for (const id of workflowIds) await clientB.workflow.getHandle(id).signal(approveSignal, {});
        return Promise.all(workflowIds.map((id) => clientB.workflow.getHandle<typeof replyWorkflowV2>(id).result()));
      },
    );
    assert.deepEqual(
      results.map((result) => result.status),
      workflowIds.map(() => 'posted'),
    );

    // Each history holds payloads of both keys: its input under A, the owner's approval and its result under B.
    for (const id of workflowIds) {
      const history = JSON.stringify(await clientB.workflow.getHandle(id).fetchHistory());
      const keyIds = new Set(
        [...history.matchAll(new RegExp(`"${keyIdMetadata}":"([^"]+)"`, 'g'))].map((match) =>
          Buffer.from(match[1] ?? '', 'base64').toString(),
        ),
      );
      assert.deepEqual([...keyIds].sort(), [a.id, b.id].sort(), id);
    }

    // Without A, B alone cannot read what A encrypted: the error names the key to add.
    const first = await clientB.workflow.getHandle(workflowIds[0] ?? '').fetchHistory();
    const input = first.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    await assert.rejects(
      new EncryptionCodec(keyRing(b)).decode(input),
      new RegExp(`encrypted with key "${a.id}".*STEADFAST_DECRYPTION_KEYS`),
    );
  });
});
