import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { workflowIds } from '../domain/contracts';
import { chatInterruptSignal, chatStatusQuery } from '../workflows/messages';
import { accountId, action, chatId, json, runningWorkflow, webUiLink } from './common';

/** `chat …`: chats answered with AI (`chat:{account}:{chat}`), what each is doing, and the owner's interrupt. */
export function define(group: Command): void {
  group
    .command('status')
    .description("show a chat's batch: collecting, generating or sending, and what it answered")
    .argument('<account-id>')
    .argument('<chat-id>')
    .option('--json', 'print JSON')
    .action(action(oneChat.extend({ json }), status));
  group
    .command('interrupt')
    .description('cancel the answer being generated for a chat (its messages are dropped)')
    .argument('<account-id>')
    .argument('<chat-id>')
    .action(action(oneChat, interrupt));
}

const oneChat = z.object({
  positionals: z.tuple([accountId, chatId], 'expected the account id and the chat id'),
});

async function status(options: z.infer<typeof oneChat> & { json: boolean }, config: Config): Promise<void> {
  const workflowId = workflowIds.chat(...options.positionals);
  const handle = (await connectClient(config.temporal)).workflow.getHandle(workflowId);
  const { status: execution } = await handle.describe();
  const view = execution.name === 'RUNNING' ? await handle.query(chatStatusQuery) : undefined;
  const link = webUiLink(config, workflowId);
  if (options.json) return console.log(JSON.stringify({ workflowId, execution: execution.name, ...view, webUi: link }));
  console.log(
    view
      ? `${workflowId}: ${view.state}, ${view.waiting} waiting, ${view.answered} answered, ${view.interrupted} interrupted${view.lastError ? `\nlast error: ${view.lastError}` : ''}`
      : `${workflowId}: ${execution.name}`,
  );
  console.log(link);
}

async function interrupt(options: z.infer<typeof oneChat>, config: Config): Promise<void> {
  const workflowId = workflowIds.chat(...options.positionals);
  const handle = await runningWorkflow(await connectClient(config.temporal), workflowId, 'nothing to interrupt');
  const { state } = await handle.query(chatStatusQuery);
  await handle.signal(chatInterruptSignal);
  const what =
    state === 'generating' ? 'the answer being generated is cancelled' : `nothing was being generated (${state})`;
  console.log(`interrupt: sent to ${workflowId}: ${what}\n${webUiLink(config, workflowId)}`);
}
