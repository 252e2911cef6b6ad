import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalChat } from '../../src/temporal/start-chat';
import { accountSessionWorkflow } from '../../src/workflows';
import { workflowIds, type ChatBatching } from '../../src/domain/contracts';
import { chatInterruptSignal, chatStatusQuery, sessionStopSignal } from '../../src/workflows/messages';
import { sandboxActivities, sandboxCall, testSandboxPort } from '../helpers/sandbox';
import {
  injectMessage,
  sentMessages,
  sessionState,
  storedTexts,
  telegramControl,
  uniqueChatId,
} from '../helpers/session';
import { closeTestClient, eventually, testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

/**
 * chatWorkflow on the dev server, through the real OpenAI and GramJS clients against the sandbox: a burst is one AI
 * call, a slow trickle several, a chat that never goes quiet is cut at the cap, and an interrupt drops the answer.
 */
after(closeTestClient);

const fast: ChatBatching = { firstWait: '300ms', quiet: '800ms', maxWait: '2s' };
const openai = () => ({ url: `http://127.0.0.1:${testSandboxPort()}` });

/** The prompts the OpenAI simulator received that mention `marker`, in order. */
async function prompts(marker: string): Promise<string[]> {
  const { body } = await sandboxCall<{ completions: { prompt: string }[] }>(openai(), 'GET', '/_sandbox/state');
  return body.completions.map((c) => c.prompt).filter((prompt) => prompt.includes(marker));
}

/** What the account sent to the chat on Telegram. */
const answers = async (accountId: string, chatId: string) =>
  (await sentMessages(accountId)).filter((m) => m.chatId === chatId).map((m) => m.text);

/** Runs `fn` with a worker for the chat workflows; `send` hands a message to the chat as the session activity does. */
async function withChat(
  fn: (chat: { chatId: string; marker: string; send: (text: string) => Promise<void> }) => Promise<void>,
) {
  const client = await testClient();
  const taskQueue = uniqueTaskQueue('chat');
  const { activities } = await sandboxActivities(taskQueue);
  const chatId = `-${uniqueChatId()}`; // a group: the account can write to it without having seen its members
  const marker = `m${chatId.slice(1)}`;
  let messageId = 0;
  const send = (text: string) =>
    signalChat(client, taskQueue, {
      accountId: 'bob',
      batching: fast,
      message: { chatId, messageId: ++messageId, senderId: '1000', text: `${marker} ${text}`, date: 1_800_000_000 },
    });
  await withWorker({ taskQueue, activities }, async () => {
    await fn({ chatId, marker, send });
    // A chat waits an hour for more before its workflow ends; this one is over.
    await client.workflow.getHandle(workflowIds.chat('bob', chatId)).terminate('test over');
  });
}

const chatHandle = async (chatId: string) => (await testClient()).workflow.getHandle(workflowIds.chat('bob', chatId));

describe('chatWorkflow', () => {
  test('a burst of messages gets one AI call and one answer', async () => {
    await withChat(async ({ chatId, marker, send }) => {
      for (let i = 1; i <= 5; i++) {
        await send(`burst ${i}`);
        await sleep(50);
      }
      await eventually('the answer', async () => (await answers('bob', chatId)).length === 1);
      await sleep(1500); // nothing more comes
      const calls = await prompts(marker);
      assert.equal(calls.length, 1, `one AI call: ${JSON.stringify(calls)}`);
      for (let i = 1; i <= 5; i++) assert.match(calls[0] ?? '', new RegExp(`burst ${i}`));
      assert.equal((await answers('bob', chatId)).length, 1);
      assert.equal((await (await chatHandle(chatId)).query(chatStatusQuery)).answered, 1);
    });
  });

  test('a slow trickle gets an answer per message', async () => {
    await withChat(async ({ chatId, marker, send }) => {
      for (let i = 1; i <= 3; i++) {
        await send(`trickle ${i}`);
        await eventually(`answer ${i}`, async () => (await answers('bob', chatId)).length === i);
      }
      assert.deepEqual(
        (await prompts(marker)).map((p) => p.replace(/^.* /, '')),
        ['1', '2', '3'],
      );
    });
  });

  test('a chat that never goes quiet is answered at the cap (maxWait)', async () => {
    await withChat(async ({ chatId, marker, send }) => {
      // Every 400 ms is inside the 800 ms quiet window: only the 2 s cap closes a batch.
      for (let i = 1; i <= 10; i++) {
        await send(`steady ${i}`);
        await sleep(400);
      }
      await eventually('every message answered', async () => (await prompts(marker)).join('\n').includes('steady 10'));
      const calls = await prompts(marker);
      assert.ok(calls.length >= 2, `the cap cut the stream into batches: ${calls.length}`);
      assert.match(calls[0] ?? '', /steady 1\b/);
      assert.doesNotMatch(calls[0] ?? '', /steady 10/, 'the first batch closed before the stream ended');
      await eventually('an answer per batch', async () => (await answers('bob', chatId)).length === calls.length);
    });
  });

  test('interrupt cancels the answer being generated; the next message is answered', async () => {
    await withChat(async ({ chatId, marker, send }) => {
      await sandboxCall(openai(), 'POST', '/_sandbox/faults', { latencyMs: 15_000 });
      try {
        await send('slow question');
        const handle = await chatHandle(chatId);
        await eventually('generating', async () => (await handle.query(chatStatusQuery)).state === 'generating');
        await handle.signal(chatInterruptSignal);
        await eventually('interrupted', async () => (await handle.query(chatStatusQuery)).interrupted === 1, 15_000);
      } finally {
        await sandboxCall(openai(), 'POST', '/_sandbox/faults', {});
      }
      assert.deepEqual(await answers('bob', chatId), [], 'no answer for the interrupted batch');
      await send('next question');
      await eventually('the next answer', async () => (await answers('bob', chatId)).length === 1);
      assert.match((await prompts(marker)).at(-1) ?? '', /next question/);
      assert.doesNotMatch((await prompts(marker)).at(-1) ?? '', /slow question/, 'the interrupted batch is dropped');
    });
  });

  test('an answer Telegram took but whose reply was lost is retried and sent once', async () => {
    await withChat(async ({ chatId, send }) => {
      await sandboxCall(telegramControl(), 'POST', '/_sandbox/faults', {
        lostAnswerRate: 1,
        burst: 1,
        requests: ['messages.SendMessage'],
      });
      try {
        await send('a question');
        const handle = await chatHandle(chatId);
        await eventually('answered', async () => (await handle.query(chatStatusQuery)).answered === 1, 40_000);
      } finally {
        await sandboxCall(telegramControl(), 'POST', '/_sandbox/faults', {});
      }
      const attempts = (await (await chatHandle(chatId)).fetchHistory()).events?.filter(
        (e) => e.activityTaskStartedEventAttributes?.attempt === 2,
      );
      assert.equal(attempts?.length, 1, 'the send timed out once and was retried');
      assert.equal((await answers('bob', chatId)).length, 1, 'one message in the chat');
    });
  });

  test('end to end: messages in a chat the account answers with AI are synced and answered once, over the live session', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('chat-session');
    const chatId = uniqueChatId();
    const { activities, services, ownQueue } = await sandboxActivities(taskQueue);
    const before = await services.store.accountSettings('bob');
    assert.ok(before, 'the sandbox has settings for bob');
    await services.store.saveAccountSettings({ ...before, chatsAnsweredWithAi: [chatId] });
    // The account's one session workflow: the chat finds its live connection through it.
    await client.workflow
      .getHandle(workflowIds.account('bob'))
      .terminate('another test')
      .catch(() => undefined);
    try {
      await withWorker({ taskQueue, activities }, () =>
        withWorker(ownQueue, async () => {
          const session = await client.workflow.start(accountSessionWorkflow, {
            taskQueue,
            workflowId: workflowIds.account('bob'),
            args: [{ accountId: 'bob' }],
          });
          await eventually('connected', async () => (await sessionState(session)) === 'connected');
          await injectMessage('bob', chatId, 'hello, are you there?');
          await injectMessage('bob', chatId, 'and one more thing');
          await eventually('the answer', async () => (await answers('bob', chatId)).length === 1, 30_000);
          assert.deepEqual((await storedTexts('bob', chatId)).sort(), ['and one more thing', 'hello, are you there?']);
          const handle = client.workflow.getHandle(workflowIds.chat('bob', chatId));
          assert.equal((await handle.query(chatStatusQuery)).answered, 1);
          const sends = (await handle.fetchHistory()).events?.flatMap(
            (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
          );
          assert.deepEqual(
            sends?.filter((name) => /^send/.test(name)),
            ['sendAsAccount'],
            "sent over the session's own connection, on its worker's queue",
          );
          await session.signal(sessionStopSignal);
          await session.result();
          await handle.terminate('test over');
        }),
      );
    } finally {
      await services.store.saveAccountSettings(before);
    }
  });
});
