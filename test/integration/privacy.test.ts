import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { resolveTemporalCli } from '../../scripts/lib/temporal-cli-build';
import { loadConfig } from '../../src/config';
import { keyRingOf, sandboxKeyPath } from '../../src/encryption/key-ring';
import { postTargetTweet, sandboxEndpoints } from '../../src/sandbox/sandbox';
import { startOwnersCodecServer } from '../../src/encryption/remote-codec-server';
import { EncryptionCodec, encryptedEncoding } from '../../src/encryption/payload-codec';
import { startReply } from '../../src/temporal/start-reply';
import { startSync } from '../../src/temporal/start-sync';
import { accountSessionWorkflow } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { sessionStopSignal } from '../../src/workflows/messages';
import { testSandboxPort } from '../helpers/sandbox';
import { injectMessage, sessionState, storedTexts, uniqueChatId } from '../helpers/session';
import {
  closeTestClient,
  eventually,
  testAddress,
  testClient,
  testNamespace,
  uniqueId,
  uniqueTaskQueue,
} from '../helpers/temporal';
import { sandboxWorkers } from '../helpers/workers';

/**
 * What Temporal stores, read as someone with its database (or a backup, or the Web UI without the codec) reads it:
 * every history of a test's task queue, raw. Private text and secrets must be nowhere in it; with the codec — the
 * key's holder — the text is all there.
 */
const launch = sandboxWorkers();
after(closeTestClient);

const sandboxConfig = (env: NodeJS.ProcessEnv = {}) =>
  loadConfig({ STEADFAST_SANDBOX: 'on', STEADFAST_SANDBOX_PORT: String(testSandboxPort()), ...env });
const codec = () => new EncryptionCodec(keyRingOf(sandboxConfig().temporal.encryption)!);
const utf8 = (bytes: unknown) =>
  ArrayBuffer.isView(bytes)
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
    : JSON.stringify(bytes ?? '');

/** Every history on the task queue, as Temporal stores it: protobuf, payloads as the codec left them. */
async function rawHistories(client: Client, taskQueue: string, expected: string[]) {
  const listed = async () => {
    const runs: { workflowId: string; runId: string }[] = [];
    for await (const run of client.workflow.list({ query: `TaskQueue="${taskQueue}"` })) runs.push(run);
    return runs;
  };
  await eventually('every workflow listed', async () => {
    const ids = new Set((await listed()).map((run) => run.workflowId));
    return expected.every((id) => ids.has(id));
  });
  const runs = await listed();
  return Promise.all(
    runs.map(async (run) => ({
      workflowId: run.workflowId,
      history: await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(),
    })),
  );
}

/** The payloads in a part of a history, with where each was found (`searchAttributes` are indexed, never encoded). */
function payloadsIn(node: unknown, path = ''): { path: string; payload: Payload }[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return [];
  if ('data' in node && 'metadata' in node) return [{ path, payload: node as Payload }];
  return Object.entries(node).flatMap(([key, value]) => payloadsIn(value, `${path}.${key}`));
}

/** Every string value the account store holds long enough to be a secret: sessions, tokens. */
function accountStoreSecrets(): string[] {
  const strings = (node: unknown): string[] =>
    typeof node === 'string' ? [node] : node && typeof node === 'object' ? Object.values(node).flatMap(strings) : [];
  // The sandbox's placeholder secrets ("sandbox") are words found elsewhere; its sessions and tokens are not.
  return strings(JSON.parse(readFileSync(sandboxEndpoints(testSandboxPort()).accountStorePath, 'utf8'))).filter(
    (value) => value.length >= 12,
  );
}

describe('private by default', () => {
  test('a synced private message and a posted reply: no text and no secret in any raw history; decoded, the text is there', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('privacy');
    await launch(taskQueue);

    // A message someone sends bob on Telegram, synced by bob's session.
    const chatId = uniqueChatId();
    const privateText = `the door code is ${uniqueId('code')}`;
    const session = await client.workflow.start(accountSessionWorkflow, {
      taskQueue,
      workflowId: `${workflowIds.account('bob')}-privacy-${chatId}`,
      args: [{ accountId: 'bob' }],
    });
    await eventually('bob connected', async () => (await sessionState(session)) === 'connected');
    const messageId = await injectMessage('bob', chatId, privateText);
    await eventually('the message in Convex', async () => (await storedTexts('bob', chatId)).includes(privateText));
    await session.signal(sessionStopSignal);
    await session.result();

    // A reply alice posts on X, drafted by the AI.
    const question = `Which door, and when? ${uniqueId('question')}`;
    const tweetId = await postTargetTweet(testSandboxPort(), { text: question, authorUsername: 'erin' });
    const { handle } = await startReply(client, taskQueue, {
      accountId: 'alice',
      tweet: { id: tweetId, text: question, authorUsername: 'erin' },
      approval: 'auto',
    });
    const result = await handle.result();
    assert.equal(result.status, 'posted');
    const draft = (result.status === 'posted' && result.text) || '';
    assert.ok(draft.length > 10);

    const histories = await rawHistories(client, taskQueue, [
      session.workflowId,
      workflowIds.sync('bob', chatId, messageId),
      handle.workflowId,
    ]);
    const secrets = accountStoreSecrets();
    assert.ok(secrets.length >= 3, 'the sessions and tokens of the sandbox accounts');
    const key = keyRingOf(sandboxConfig().temporal.encryption)!.current.secret;
    const hidden = { privateText, question, draft, ...Object.fromEntries(secrets.map((s, i) => [`secret ${i}`, s])) };

    let encrypted = 0;
    const decoded: string[] = [];
    for (const { workflowId, history } of histories) {
      const stored = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
      for (const [what, value] of Object.entries(hidden)) {
        assert.ok(!stored.includes(value), `${what} is in the raw history of ${workflowId}`);
      }
      assert.ok(!stored.includes(key) && !stored.includes(key.toString('base64')), 'the key is not in history');
      for (const { path, payload } of payloadsIn(history.events)) {
        // The indexed search attributes, and the patch ids of patched() markers (written by the SDK's core).
        if (/searchAttributes|patch-data/.test(path)) continue;
        assert.equal(utf8(payload.metadata?.encoding), encryptedEncoding, `${workflowId} ${path} is encrypted`);
        encrypted++;
      }
      const payloads = payloadsIn(history.events).map(({ payload }) => payload);
      decoded.push(...(await codec().decode(payloads)).map((payload) => utf8(payload.data)));
    }
    assert.ok(encrypted > 20, `${encrypted} encrypted payloads`);
    const plain = decoded.join('\n');
    for (const value of [privateText, question, draft]) assert.ok(plain.includes(value), `${value} decodes`);
    for (const secret of secrets) assert.ok(!plain.includes(secret), 'no secret even decoded: none enters Temporal');
  });

  test('the codec server decodes a real payload for the Web UI only, and the temporal CLI shows it decoded', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('codec-server');
    await launch(taskQueue);
    const chatId = uniqueChatId();
    const text = `only the owner reads this ${uniqueId('text')}`;
    const message = { chatId, messageId: 1, senderId: chatId, text, date: 1_800_000_000 };
    await startSync(client, taskQueue, { accountId: 'alice', message });
    const handle: WorkflowHandle = client.workflow.getHandle(workflowIds.sync('alice', chatId, 1));
    await handle.result();
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0];
    assert.ok(payload);
    const body = JSON.stringify(
      temporal.api.common.v1.Payloads.toObject(temporal.api.common.v1.Payloads.create({ payloads: [payload] }), {
        bytes: String,
      }),
    );
    assert.ok(!body.includes(Buffer.from(text).toString('base64').slice(0, 16)));

    const webUi = 'http://localhost:8233';
    const server = await startOwnersCodecServer(sandboxConfig({ STEADFAST_CODEC_PORT: '0' }));
    assert.ok(server);
    try {
      const post = (origin: string | undefined, path = '/decode') =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-namespace': testNamespace(),
            ...(origin ? { origin } : {}),
          },
          body,
        });

      const fromUi = await post(webUi);
      assert.equal(fromUi.status, 200);
      assert.equal(fromUi.headers.get('access-control-allow-origin'), webUi);
      const answer = (await fromUi.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      const [plain] = answer.payloads;
      assert.equal(Buffer.from(plain?.metadata.encoding ?? '', 'base64').toString(), 'json/plain');
      assert.deepEqual(JSON.parse(Buffer.from(plain?.data ?? '', 'base64').toString()), {
        accountId: 'alice',
        message,
      });

      const preflight = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: webUi,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), webUi);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);

      for (const other of ['http://evil.example', 'http://localhost:8080']) {
        const refused = await post(other);
        assert.equal(refused.status, 403, other);
        assert.equal(refused.headers.get('access-control-allow-origin'), null, `no CORS grant for ${other}`);
        const refusedPreflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: other } });
        assert.equal(refusedPreflight.headers.get('access-control-allow-origin'), null);
      }
      // fetch may not set Host: a raw request, as a page whose name was rebound to 127.0.0.1 would send.
      const rebound = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${server.url}/decode`, { method: 'POST', headers: { host: 'evil.example' } });
        request.once('response', (response) => resolve(response.statusCode ?? 0)).once('error', reject);
        request.end(body);
      });
      assert.equal(rebound, 403, 'a page that rebinds its name to loopback is refused by Host');
      assert.equal((await post(undefined, '/nothing')).status, 404);
      assert.equal((await fetch(`${server.url}/decode`, { method: 'POST', body: '{"payloads": 7}' })).status, 400);

      // The owner's terminal: the pinned CLI, with and without the codec.
      // Not execFileSync: the codec server answering the CLI runs in this process.
      const show = async (...extra: string[]) =>
        (
          await promisify(execFile)(
            resolveTemporalCli({ build: false }),
            [
              'workflow',
              'show',
              '--address',
              testAddress(),
              '--namespace',
              testNamespace(),
              '--workflow-id',
              handle.workflowId,
              '--output',
              'json',
              ...extra,
            ],
            { encoding: 'utf8', timeout: 30_000 },
          )
        ).stdout;
      // Its JSON shows the first event's input as proto JSON: metadata and data in base64.
      const shownInput = async (...extra: string[]) => {
        const shown = JSON.parse(await show(...extra)) as {
          events: {
            workflowExecutionStartedEventAttributes?: {
              input: { payloads: { metadata: { encoding: string }; data: string }[] };
            };
          }[];
        };
        const [input] = shown.events[0]?.workflowExecutionStartedEventAttributes?.input.payloads ?? [];
        const base64 = (value = '') => Buffer.from(value, 'base64').toString('utf8');
        return { encoding: base64(input?.metadata.encoding), data: base64(input?.data) };
      };
      const raw = await shownInput();
      assert.equal(raw.encoding, encryptedEncoding, 'without the codec the CLI shows ciphertext');
      assert.ok(!raw.data.includes(text));
      const decodedInput = await shownInput('--codec-endpoint', server.url);
      assert.equal(decodedInput.encoding, 'json/plain');
      assert.deepEqual(JSON.parse(decodedInput.data), { accountId: 'alice', message }, 'with it, the message');
    } finally {
      await server.close();
    }

    const guarded = await startOwnersCodecServer(
      sandboxConfig({ STEADFAST_CODEC_PORT: '0', STEADFAST_CODEC_TOKEN: 'tok-123' }),
    );
    assert.ok(guarded);
    try {
      const call = (authorization?: string) =>
        fetch(`${guarded.url}/decode`, { method: 'POST', headers: authorization ? { authorization } : {}, body });
      assert.equal((await call()).status, 401);
      assert.equal((await call('Bearer wrong')).status, 401);
      assert.equal((await call('Bearer tok-123')).status, 200);
    } finally {
      await guarded.close();
    }
    assert.ok(readFileSync(sandboxKeyPath, 'utf8').length > 0, 'the sandbox key was made once, into .steadfast/');
  });
});
