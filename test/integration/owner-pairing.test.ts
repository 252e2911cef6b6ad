import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { createFileAccountStore } from '../../src/adapters/account-store/file-account-store';
import { ownerDirectory } from '../../src/owner/owner-directory';
import { postTargetTweet } from '../../src/sandbox/sandbox';
import { helpText } from '../../src/control/commands';
import { startControlBot } from '../../src/temporal/start-control-bot';
import { replyWorkflowV2 } from '../../src/workflows';
import { workflowIds } from '../../src/domain/contracts';
import { ownerOutboxStatusQuery, statusQuery } from '../../src/workflows/messages';
import { sandboxActivities, sandboxCall, testSandboxPort } from '../helpers/sandbox';
import { controlBotListening, sentMessages, telegramControl, tellTheBot } from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

/**
 * A deployment with no owner configured (as on real services): the bot serves nobody until someone sends it the code
 * `steadfast owner pair` made; a stranger's guesses, a used code and every command from a stranger change nothing;
 * what waited for an owner reaches the one who paired.
 */
let client: Client;
const taskQueue = uniqueTaskQueue('owner-pairing');
const store = join(mkdtempSync(join(tmpdir(), 'steadfast-pairing-')), 'accounts.json');
const stranger = '5555';
const newOwner = '4242';
before(async () => {
  client = await testClient();
  // The bot answers a stranger directly, at once: the test's commands come faster than Telegram lets one chat take.
  await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/limits', { off: true });
  // One bot per deployment: a worker of another test file may have started it on its own task queue.
  await client.workflow
    .getHandle(workflowIds.controlBot())
    .terminate('test')
    .catch(() => undefined);
});
after(async () => {
  await sandboxCall(telegramControl(), 'POST', '/_sandbox/telegram/limits', {});
  await client.workflow
    .getHandle(workflowIds.controlBot())
    .terminate('test over')
    .catch(() => undefined);
  await closeTestClient();
});

describe('owner pairing', () => {
  test('nobody is the owner until the code is sent; strangers change nothing; what waited is delivered', async () => {
    const { activities, ownQueue, accounts } = await sandboxActivities(taskQueue, { owner: null, accountStore: store });
    const owners = ownerDirectory(accounts, undefined);
    await withWorker({ taskQueue, activities }, () =>
      withWorker(ownQueue, async () => {
        await startControlBot(client, taskQueue);
        await eventually('the bot listening', () => controlBotListening(client));

        // No owner: every command is refused, saying how the owner pairs.
        for (const command of [
          '/status',
          '/pending',
          '/help',
          '/pause',
          '/retry reply:alice:1',
          '/approve reply:alice:1',
        ]) {
          assert.match(await tellTheBot(command, { senderId: stranger }), /^This bot has no owner yet\..*\/pair CODE$/);
        }
        // An approval request for the owner waits in the outbox, whole.
        const text = `Who owns this bot? ${Date.now()}`;
        const tweetId = await postTargetTweet(testSandboxPort(), { authorUsername: 'bob', text });
        const reply = await client.workflow.start(replyWorkflowV2, {
          taskQueue,
          workflowId: workflowIds.reply('alice', tweetId),
          args: [
            {
              accountId: 'alice',
              tweet: { id: tweetId, text, authorUsername: 'bob' },
              approval: 'owner',
              firstRun: true,
            },
          ],
        });
        const outbox = client.workflow.getHandle(workflowIds.ownerOutbox(taskQueue));
        await eventually('the request waiting for an owner', async () => {
          const status = await outbox.query(ownerOutboxStatusQuery).catch(() => undefined);
          return status?.pending === 1 && /no-owner|Nobody is paired/.test(status.lastError ?? '');
        });
        assert.equal((await outbox.query(ownerOutboxStatusQuery)).undelivered, 0, 'not given up');

        // A stranger's guesses: refused, and nothing is stored.
        const { code } = await owners.startPairing();
        assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
        assert.match(await tellTheBot('/pair ABCD-EFGH', { senderId: stranger }), /^That is not the pairing code\./);
        assert.match(
          await tellTheBot('/pair', { senderId: stranger }),
          /^Send the code `steadfast owner pair` printed/,
        );
        assert.equal(await accounts.owner(), undefined);
        assert.equal((await accounts.pairing())?.wrongAttempts, 1);

        // The right code, from the one who ran `owner pair`: the owner, told so; the request reaches them.
        assert.match(
          await tellTheBot(`/pair ${code.toLowerCase()}`, { senderId: newOwner }),
          /^Paired: you are the owner/,
        );
        assert.equal((await accounts.owner())?.telegramUserId, newOwner);
        await eventually('the approval request delivered to the new owner', async () =>
          (await sentMessages('control-bot')).some(
            (m) => m.chatId === newOwner && m.text.includes(`(${reply.workflowId})`),
          ),
        );
        assert.equal((await reply.query(statusQuery)).stage, 'awaiting-approval');

        // The code worked once; a stranger who saw it gets nothing; the owner's commands are served.
        assert.match(await tellTheBot(`/pair ${code}`, { senderId: stranger }), /^No pairing code is waiting/);
        assert.equal((await accounts.owner())?.telegramUserId, newOwner);
        // Every command the bot knows (its /help), and an answer to the approval request: each refused.
        const everyCommand = [
          ...[...helpText.matchAll(/^(\/\w+)/gm)].map(([command]) => command),
          '/start',
          `/approve ${reply.workflowId}`,
          `/edit ${reply.workflowId} Posted by a stranger`,
          `/reject ${reply.workflowId}`,
          '/pause alice',
          '/resume alice',
          `/retry ${reply.workflowId}`,
          '/interrupt alice 555',
        ];
        assert.ok(everyCommand.length >= 17, 'every command');
        for (const command of everyCommand) {
          assert.equal(
            await tellTheBot(command, { senderId: stranger }),
            'Sorry, this bot only takes commands from its owner.',
            command,
          );
        }
        const request = (await sentMessages('control-bot')).find((m) => m.text.includes(`(${reply.workflowId})`));
        assert.ok(request, 'the approval request');
        assert.equal(
          await tellTheBot('ok', { senderId: stranger, replyTo: request.id }),
          'Sorry, this bot only takes commands from its owner.',
        );
        // Nothing changed: the reply waits, no Update or decision in its history.
        assert.equal((await reply.query(statusQuery)).stage, 'awaiting-approval', "a stranger's commands did nothing");
        const events = (await reply.fetchHistory()).events ?? [];
        assert.ok(!events.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes), 'no Update taken');
        const signals = events.filter((event) => event.workflowExecutionSignaledEventAttributes);
        assert.deepEqual(
          signals.map((event) => event.workflowExecutionSignaledEventAttributes?.signalName),
          [],
        );
        assert.match(await tellTheBot('/status', { senderId: newOwner }), /1 reply waits for your approval/);
        await tellTheBot(`/reject ${reply.workflowId}`, { senderId: newOwner });
        assert.equal((await reply.result()).status, 'rejected');

        // Five wrong guesses drop the waiting code.
        const second = await owners.startPairing();
        for (let guess = 0; guess < 5; guess++) await tellTheBot('/pair WXYZ-2345', { senderId: stranger });
        assert.equal(await accounts.pairing(), undefined);
        assert.match(await tellTheBot(`/pair ${second.code}`, { senderId: stranger }), /^No pairing code is waiting/);
        assert.equal((await accounts.owner())?.telegramUserId, newOwner);
      }),
    );
    // The store is the file the worker used: the owner is there for every worker of the deployment.
    assert.equal((await createFileAccountStore(store).owner())?.telegramUserId, newOwner);
  });
});
