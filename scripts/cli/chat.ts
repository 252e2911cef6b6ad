import { z } from 'zod';
import { connectClient } from '../../src/temporal/connection';
import { workflowIds } from '../../src/workflows/contracts';
import { chatInterruptSignal, chatStatusQuery } from '../../src/workflows/messages';
import { accountId, parseJsonCommand, parseOptions, runningWorkflow, webUiLink, type Command } from './common';

/** Chats answered with AI (`chat:{account}:{chat}`): what a chat's workflow is doing, and the owner's interrupt. */
const chatArguments = z.tuple(
  [accountId, z.string().regex(/^-?\d+$/, 'the Telegram chat id: digits, negative for a group')],
  'expected the account id and the chat id',
);

const status: Command = {
  summary: "show a chat's batch: collecting, generating or sending, and what it answered",
  usage: 'chat status <account id> <chat id> [--json]',
  async run(args, config) {
    const options = parseJsonCommand(args, this.usage, chatArguments);
    const workflowId = workflowIds.chat(...options.positionals);
    const handle = (await connectClient(config.temporal)).workflow.getHandle(workflowId);
    const { status: execution } = await handle.describe();
    const view = execution.name === 'RUNNING' ? await handle.query(chatStatusQuery) : undefined;
    const link = webUiLink(config, workflowId);
    if (options.json)
      return console.log(JSON.stringify({ workflowId, execution: execution.name, ...view, webUi: link }));
    console.log(
      view
        ? `${workflowId}: ${view.state}, ${view.waiting} waiting, ${view.answered} answered, ${view.interrupted} interrupted${view.lastError ? `\nlast error: ${view.lastError}` : ''}`
        : `${workflowId}: ${execution.name}`,
    );
    console.log(link);
  },
};

const interrupt: Command = {
  summary: 'cancel the answer being generated for a chat (its messages are dropped)',
  usage: 'chat interrupt <account id> <chat id>',
  async run(args, config) {
    const options = parseOptions(args, {}, z.object({ positionals: chatArguments }), this.usage);
    const workflowId = workflowIds.chat(...options.positionals);
    const handle = await runningWorkflow(await connectClient(config.temporal), workflowId, 'nothing to interrupt');
    const { state } = await handle.query(chatStatusQuery);
    await handle.signal(chatInterruptSignal);
    const what =
      state === 'generating' ? 'the answer being generated is cancelled' : `nothing was being generated (${state})`;
    console.log(`interrupt: sent to ${workflowId}: ${what}\n${webUiLink(config, workflowId)}`);
  },
};

export const chatCommands: Record<string, Command> = { status, interrupt };
