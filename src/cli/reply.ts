import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { DecisionRefused, decideReply } from '../temporal/decide-reply';
import { startReply } from '../temporal/start-reply';
import { type replyWorkflowV2 } from '../workflows';
import { pauseSignal, replyStages, resumeSignal, statusQuery, type DraftDecision } from '../workflows/messages';
import { accountIdKey, stageKey } from '../workflows/search-attributes';
import { replyTypeTerm } from '../workflows/workflow-types';
import {
  accountId,
  action,
  CliError,
  commandName,
  json,
  noArguments,
  runningWorkflow,
  webUiLink,
  webUiListLink,
} from './common';

/** `reply …`: one reply workflow per tweet (`reply:{account}:{tweet}`). */
export function define(group: Command): void {
  group
    .command('start')
    .description('start the reply workflow for one tweet')
    .option('--account <id>', 'the account that replies')
    .option('--tweet-id <id>', 'the tweet to answer')
    .option('--text <text>', 'the text of the tweet to answer')
    .option('--author <username>', "the tweet's author")
    .option('--approval <auto|owner>', 'post at once, or after the owner approves on Telegram', 'owner')
    .option('--wait', 'wait for the reply to end, and print its result')
    .option('--json', 'print JSON')
    .action(action(startOptions, start));
  group
    .command('status')
    .description('show the stage, draft and last error of a reply')
    .argument('<workflow-id>')
    .option('--json', 'print JSON')
    .action(action(oneReply.extend({ json }), status));
  group
    .command('list')
    .description('list replies (running ones unless --all), by account and stage')
    .option('--account <id>', "only this account's")
    .option('--stage <stage>', `only at this stage: ${replyStages.join(', ')}`)
    .option('--all', 'ended ones too')
    .option('--json', 'print JSON')
    .action(action(listOptions, list));
  group
    .command('approve')
    .description('approve the draft (or --text an edited reply)')
    .argument('<workflow-id>')
    .option('--text <reply>', 'post this text instead of the draft')
    .action(action(oneReply.extend({ text }), (o, config) => decide(o, config, { kind: 'approve', text: o.text })));
  group
    .command('edit')
    .description('approve with an edited reply')
    .argument('<workflow-id>')
    .option('--text <reply>', 'the text to post')
    .action(
      action(oneReply.extend({ text: z.string({ message: 'required: the edited reply' }).min(1) }), (o, config) =>
        decide(o, config, { kind: 'approve', text: o.text }),
      ),
    );
  group
    .command('reject')
    .description('reject the draft')
    .argument('<workflow-id>')
    .option('--reason <why>', 'why, for the record')
    .action(
      action(oneReply.extend({ reason: z.string().optional() }), (o, config) =>
        decide(o, config, { kind: 'reject', reason: o.reason }),
      ),
    );
  const signal = (name: string, summary: string, send: (handle: WorkflowHandle) => Promise<unknown>) =>
    group
      .command(name)
      .description(summary)
      .argument('<workflow-id>')
      .action(action(oneReply, (o, config) => sendTo(o.positionals[0], config, name, send)));
  signal('cancel', 'cancel a reply: the owner is told, and the result is cancelled', (h) => h.cancel());
  signal('pause', 'pause before the next side effect', (h) => h.signal(pauseSignal));
  signal('resume', 'resume a paused reply', (h) => h.signal(resumeSignal));
}

const oneReply = z.object({
  positionals: z.tuple([z.string().min(1, 'expected a workflow id')], 'expected one workflow id'),
});
const text = z.string().min(1, 'the text of the reply, not empty').optional();

const startOptions = z.object({
  account: accountId,
  tweetId: z.string({ message: 'required: the id of the tweet to answer' }).regex(/^\d+$/, 'expected digits'),
  text: z.string({ message: 'required: the text of the tweet to answer' }).min(1),
  author: z.string().optional(),
  approval: z.enum(['auto', 'owner'], { message: 'expected auto or owner' }),
  wait: z.boolean().default(false),
  json,
  positionals: noArguments,
});

async function start(options: z.infer<typeof startOptions>, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const { handle, started } = await startReply(client, config.temporal.taskQueue, {
    accountId: options.account,
    tweet: { id: options.tweetId, text: options.text, authorUsername: options.author },
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
}

/** A reply waited for that ended as a dead letter: its category and reason in one line, and where to read more. */
function oneLine(workflowId: string) {
  return (err: unknown): never => {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const { cause } = err;
    const why = cause instanceof ApplicationFailure ? `${cause.type ?? 'failed'}: ${cause.message}` : err.message;
    throw new CliError(`${workflowId} failed (${why}): ${commandName} failures show ${workflowId}`);
  };
}

async function status(options: z.infer<typeof oneReply> & { json: boolean }, config: Config): Promise<void> {
  const [workflowId] = options.positionals;
  const client = await connectClient(config.temporal);
  const handle = client.workflow.getHandle<typeof replyWorkflowV2>(workflowId);
  const description = await handle.describe();
  const view = description.status.name === 'RUNNING' ? await handle.query(statusQuery) : undefined;
  const result = description.status.name === 'COMPLETED' ? await handle.result() : undefined;
  // The step being retried right now, as the server sees it: its attempt and why the last one failed.
  const pending = description.raw.pendingActivities?.[0];
  // The failure's message travels encrypted (failure-converter.ts): decoded with the client's codec.
  const lastFailure = await decodeOptionalFailureToOptionalError(
    client.options.loadedDataConverter,
    pending?.lastFailure,
  );
  const retrying = pending
    ? { activity: pending.activityType?.name, attempt: pending.attempt, lastFailure: lastFailure?.message }
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
}

const listOptions = z.object({
  account: accountId.optional(),
  stage: z.enum(replyStages, { message: `expected one of ${replyStages.join(', ')}` }).optional(),
  all: z.boolean().default(false),
  json,
  positionals: noArguments,
});

async function list(options: z.infer<typeof listOptions>, config: Config): Promise<void> {
  const query = [
    replyTypeTerm,
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
}

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
async function decide(
  options: z.infer<typeof oneReply>,
  config: Config,
  decision: Parameters<typeof decideReply>[1],
): Promise<void> {
  const [workflowId] = options.positionals;
  const handle = await runningWorkflow(await connectClient(config.temporal), workflowId, 'nothing to do');
  const answer = await decideReply(handle, decision).catch((err: unknown) => {
    throw err instanceof DecisionRefused ? new CliError(err.message) : err;
  });
  console.log(`${workflowId} ${decided[answer.decided]}\n${webUiLink(config, workflowId)}`);
}

/** One signal (or the cancellation) to a running reply, and what was sent. */
async function sendTo(
  workflowId: string,
  config: Config,
  verb: string,
  send: (handle: WorkflowHandle) => Promise<unknown>,
): Promise<void> {
  const handle = await runningWorkflow(await connectClient(config.temporal), workflowId, 'nothing to do');
  await send(handle);
  console.log(`${verb}: sent to ${workflowId}\n${webUiLink(config, workflowId)}`);
}
