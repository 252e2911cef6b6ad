import { z } from 'zod';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { connectClient } from '../../src/temporal/connection';
import { type replyWorkflow } from '../../src/workflows';
import { pauseSignal, replyStages, resumeSignal, statusQuery, type DraftDecision } from '../../src/workflows/messages';
import { DecisionRefused, decideReply } from '../../src/temporal/decide-reply';
import { startReply } from '../../src/temporal/start-reply';
import { accountIdKey, stageKey } from '../../src/workflows/search-attributes';
import { accountId, CliError, parseOptions, runningWorkflow, webUiLink, webUiListLink, type Command } from './common';

const id = z.object({
  positionals: z.tuple([z.string().min(1, 'expected a workflow id')], 'expected one workflow id'),
});

const start: Command = {
  summary: 'start the reply workflow for one tweet',
  usage:
    'reply start --account <id> --tweet-id <id> --text <tweet text> [--author <username>] [--approval auto|owner] [--wait] [--json]',
  async run(args, config) {
    const options = parseOptions(
      args,
      {
        account: { type: 'string' },
        'tweet-id': { type: 'string' },
        text: { type: 'string' },
        author: { type: 'string' },
        approval: { type: 'string', default: 'owner' },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      z.object({
        account: accountId,
        'tweet-id': z.string({ message: 'required: the id of the tweet to answer' }).regex(/^\d+$/, 'expected digits'),
        text: z.string({ message: 'required: the text of the tweet to answer' }).min(1),
        author: z.string().optional(),
        approval: z.enum(['auto', 'owner'], { message: 'expected auto or owner' }),
        wait: z.boolean(),
        json: z.boolean(),
      }),
      this.usage,
    );
    const client = await connectClient(config.temporal);
    const { handle, started } = await startReply(client, config.temporal.taskQueue, {
      accountId: options.account,
      tweet: { id: options['tweet-id'], text: options.text, authorUsername: options.author },
      approval: options.approval,
      approvalTimeout: config.approvalTimeout,
    });
    const workflowId = handle.workflowId;
    const result = options.wait ? await handle.result().catch(oneLine(workflowId)) : undefined;
    if (options.json) {
      console.log(JSON.stringify({ workflowId, started, result, webUi: webUiLink(config, workflowId) }));
    } else {
      const what = started ? 'Started' : 'Already exists (a tweet gets one reply workflow):';
      console.log(`${what} ${workflowId}${result ? `: ${result.status}` : ''}\n${webUiLink(config, workflowId)}`);
    }
  },
};

/** A reply waited for that ended as a dead letter: its category and reason in one line, and where to read more. */
function oneLine(workflowId: string) {
  return (err: unknown): never => {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const { cause } = err;
    const why = cause instanceof ApplicationFailure ? `${cause.type ?? 'failed'}: ${cause.message}` : err.message;
    throw new CliError(`${workflowId} failed (${why}): npm run cli -- failures show ${workflowId}`);
  };
}

const status: Command = {
  summary: 'show the stage, draft and last error of a reply',
  usage: 'reply status <workflow id> [--json]',
  async run(args, config) {
    const options = parseOptions(
      args,
      { json: { type: 'boolean', default: false } },
      id.extend({ json: z.boolean() }),
      this.usage,
    );
    const [workflowId] = options.positionals;
    const handle = (await connectClient(config.temporal)).workflow.getHandle<typeof replyWorkflow>(workflowId);
    const description = await handle.describe();
    const view = description.status.name === 'RUNNING' ? await handle.query(statusQuery) : undefined;
    const result = description.status.name === 'COMPLETED' ? await handle.result() : undefined;
    // The step being retried right now, as the server sees it: its attempt and why the last one failed.
    const pending = description.raw.pendingActivities?.[0];
    const retrying = pending
      ? { activity: pending.activityType?.name, attempt: pending.attempt, lastFailure: pending.lastFailure?.message }
      : undefined;
    const summary = {
      workflowId,
      execution: description.status.name,
      ...view,
      retrying,
      result,
      webUi: webUiLink(config, workflowId),
    };
    if (options.json) return console.log(JSON.stringify(summary));
    console.log(
      [
        `${workflowId}: ${description.status.name}${view ? `, stage ${view.stage}${view.paused ? ' (paused)' : ''}` : ''}`,
        view?.draft ? `draft: ${view.draft}` : undefined,
        view?.lastError ? `last error: ${view.lastError}` : undefined,
        retrying && (retrying.attempt ?? 1) > 1
          ? `retrying ${retrying.activity}: attempt ${retrying.attempt}${retrying.lastFailure ? `, last failure: ${retrying.lastFailure}` : ''}`
          : undefined,
        result ? `result: ${result.status}${result.replyTweetId ? ` (tweet ${result.replyTweetId})` : ''}` : undefined,
        webUiLink(config, workflowId),
      ]
        .filter(Boolean)
        .join('\n'),
    );
  },
};

const list: Command = {
  summary: 'list replies (running ones unless --all), by account and stage',
  usage: 'reply list [--account <id>] [--stage <stage>] [--all] [--json]',
  async run(args, config) {
    const options = parseOptions(
      args,
      {
        account: { type: 'string' },
        stage: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      z.object({
        account: accountId.optional(),
        stage: z.enum(replyStages, { message: `expected one of ${replyStages.join(', ')}` }).optional(),
        all: z.boolean(),
        json: z.boolean(),
        positionals: z.tuple([], 'takes no arguments'),
      }),
      this.usage,
    );
    const query = [
      'WorkflowType="replyWorkflow"',
      options.all ? undefined : 'ExecutionStatus="Running"',
      options.account ? `AccountId="${options.account}"` : undefined,
      options.stage ? `Stage="${options.stage}"` : undefined,
    ]
      .filter(Boolean)
      .join(' AND ');
    const client = await connectClient(config.temporal);
    const replies = [];
    for await (const execution of client.workflow.list({ query })) {
      replies.push({
        workflowId: execution.workflowId,
        execution: execution.status.name,
        accountId: execution.typedSearchAttributes.get(accountIdKey),
        stage: execution.typedSearchAttributes.get(stageKey),
        startedAt: execution.startTime.toISOString(),
        webUi: webUiLink(config, execution.workflowId),
      });
      if (replies.length >= 500) break;
    }
    const link = webUiListLink(config, query);
    if (options.json) return console.log(JSON.stringify({ replies, webUi: link }));
    if (replies.length === 0) console.log('No replies match.');
    for (const reply of replies) console.log(`${reply.workflowId}  ${reply.execution}  ${reply.stage ?? ''}`);
    console.log(link);
  },
};

/** What the reply said to a decision, as the owner reads it. */
const decided: Record<DraftDecision['decided'], string> = {
  approved: 'approved: the draft will be posted',
  'approved-with-edit': 'approved: your text will be posted',
  rejected: 'rejected: nothing will be posted',
};

/**
 * The owner's decision on a draft, as an Update: it says what the reply took, or (exit 1) why it refused, such as a
 * reply that is not waiting for approval any more.
 */
function decisionCommand(
  summary: string,
  usage: string,
  decision: (value: string | undefined) => Parameters<typeof decideReply>[1],
  option: 'text' | 'reason',
): Command {
  return {
    summary,
    usage,
    async run(args, config) {
      const options = parseOptions(
        args,
        { [option]: { type: 'string' } },
        id.extend({ text: z.string().min(1).optional(), reason: z.string().optional() }),
        usage,
      );
      const [workflowId] = options.positionals;
      const chosen = decision(option === 'text' ? options.text : options.reason);
      const handle = await runningWorkflow(await connectClient(config.temporal), workflowId, 'nothing to do');
      const answer = await decideReply(handle, chosen).catch((err: unknown) => {
        throw err instanceof DecisionRefused ? new CliError(err.message) : err;
      });
      console.log(`${workflowId} ${decided[answer.decided]}\n${webUiLink(config, workflowId)}`);
    },
  };
}

/** A command that sends one signal (or the cancellation) to a running reply and reports it. */
function signalCommand(summary: string, usage: string, send: (handle: WorkflowHandle) => Promise<void>): Command {
  return {
    summary,
    usage,
    async run(args, config) {
      const [workflowId] = parseOptions(args, {}, id, usage).positionals;
      const handle = await runningWorkflow(await connectClient(config.temporal), workflowId, 'nothing to do');
      await send(handle);
      console.log(`${summary.split(' ')[0]}: sent to ${workflowId}\n${webUiLink(config, workflowId)}`);
    },
  };
}

export const replyCommands: Record<string, Command> = {
  start,
  status,
  approve: decisionCommand(
    'approve the draft (or --text an edited reply)',
    'reply approve <workflow id> [--text <edited reply>]',
    (text) => ({ kind: 'approve', text }),
    'text',
  ),
  reject: decisionCommand(
    'reject the draft',
    'reply reject <workflow id> [--reason <why>]',
    (reason) => ({ kind: 'reject', reason }),
    'reason',
  ),
  edit: decisionCommand(
    'approve with an edited reply',
    'reply edit <workflow id> --text <edited reply>',
    (text) => {
      if (!text)
        throw new CliError('--text: required: the edited reply\nUsage: reply edit <workflow id> --text <edited reply>');
      return { kind: 'approve', text };
    },
    'text',
  ),
  list,
  cancel: signalCommand(
    'cancel a reply: the owner is told, and the result is cancelled',
    'reply cancel <workflow id>',
    (h) => h.cancel().then(() => undefined),
  ),
  pause: signalCommand('pause before the next side effect', 'reply pause <workflow id>', (h) => h.signal(pauseSignal)),
  resume: signalCommand('resume a paused reply', 'reply resume <workflow id>', (h) => h.signal(resumeSignal)),
};
