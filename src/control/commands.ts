import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { runningSessions, sessionStatus } from '../temporal/account-sessions';
import { NotADeadLetter, retryDeadLetter } from '../temporal/dead-letters';
import { DecisionRefused, decideReply } from '../temporal/decide-reply';
import { deploymentOutages } from '../temporal/service-outages';
import { workflowIds, type MessageMarkup, type ReplyResult } from '../domain/contracts';
import { editPrompt, editPromptOf, pendingButtons, type Tap } from '../domain/approval-buttons';
import { replyTypeTerm } from '../workflows/workflow-types';
import { isFailureCategory, ownerMessages } from '../domain/failure-vocabulary';
import {
  chatInterruptSignal,
  chatStatusQuery,
  sessionPauseSignal,
  sessionResumeSignal,
  statusQuery,
} from '../workflows/messages';

/**
 * The control bot's commands: what the owner types on Telegram, turned into Temporal queries and signals, answered in
 * plain words. Errors become a sentence by category, never a stack trace.
 */
export const helpText = [
  'Commands:',
  '/status — the accounts, replies waiting for you, failures',
  '/pending — replies waiting for your approval',
  '/approve <id> — post the draft',
  '/edit <id> <text> — post your text instead',
  '/reject <id> — do not reply',
  '/pause [account] — disconnect an account (all without one)',
  '/resume [account] — reconnect it',
  '/retry <id> — run a failed workflow again',
  '/interrupt <account> <chat> — cancel an AI answer being written',
  "Or tap an approval request's buttons, or answer it: ok, no, or the text to post.",
].join('\n');

/** What the bot says: a text, with buttons or a forced reply (`/pending`'s list, the Edit button's question). */
export interface BotAnswer {
  text: string;
  markup?: MessageMarkup;
}

/** A problem the owner caused (an unknown id, a finished workflow): said as it is. */
class OwnerMistake extends Error {}

export interface CommandContext {
  client: Client;
  /** The deployment's task queue: where its circuit breakers report (serviceHealthWorkflow). */
  taskQueue?: string;
  /** The text of the message a reply answers, for answers to approval requests. */
  repliedText?: () => Promise<string | undefined>;
  /** Told of failures that are not the owner's mistake, for the log. */
  onError?: (err: unknown) => void;
}

export async function answerCommand(text: string, context: CommandContext): Promise<BotAnswer> {
  try {
    const answer = await dispatch(text.trim(), context);
    return typeof answer === 'string' ? { text: answer } : answer;
  } catch (err) {
    return { text: explained(err, context) };
  }
}

/** A failure said in plain words; one that is not the owner's mistake is also told to the log. */
function explained(err: unknown, context: CommandContext): string {
  const owners = [OwnerMistake, NotADeadLetter, WorkflowNotFoundError, DecisionRefused];
  if (!owners.some((kind) => err instanceof kind)) context.onError?.(err);
  return explain(err);
}

/**
 * A tap on a button (src/domain/approval-buttons.ts), from the owner or an admin: the same decision a command makes,
 * through the same Update and its validator. `toast` answers the tap at once; `followUp` is a message to send (the
 * list, the Edit button's question). A tap on a reply decided already is told what became of it.
 */
export async function answerTap(tap: Tap, context: CommandContext): Promise<{ toast: string; followUp?: BotAnswer }> {
  const { client } = context;
  try {
    if (tap.action === 'pending') return { toast: '', followUp: await pending(client) };
    const { replyId } = tap;
    if (tap.action === 'edit') {
      const { stage } = await (await runningReply(client, replyId)).query(statusQuery);
      if (stage !== 'awaiting-approval') return { toast: `Already decided: ${replyId} is ${stage}.` };
      return {
        toast: 'Send the text to post as your answer to my next message.',
        followUp: { text: editPrompt(replyId), markup: { forceReply: { placeholder: 'The text to post' } } },
      };
    }
    const decision = tap.action === 'post' ? ({ kind: 'approve' } as const) : ({ kind: 'reject' } as const);
    await signalReply(client, replyId, (h) => decideReply(h, decision));
    return { toast: tap.action === 'post' ? 'Approved: it will be posted.' : 'Rejected: it will not be posted.' };
  } catch (err) {
    if (tap.action !== 'pending' && err instanceof OwnerMistake) {
      const outcome = await closedOutcome(client, tap.replyId).catch(() => undefined);
      if (outcome) return { toast: outcome };
    }
    return { toast: explained(err, context) };
  }
}

/** What became of a reply that no longer runs, in a few words; undefined while it runs. */
async function closedOutcome(client: Client, replyId: string): Promise<string | undefined> {
  const handle = client.workflow.getHandle(replyId);
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') return undefined;
  if (status.name !== 'COMPLETED') return `Already over: ${replyId} ${status.name.toLowerCase()} (/retry ${replyId}).`;
  const result = (await handle.result()) as ReplyResult;
  return {
    posted: 'Already decided: it was posted.',
    rejected: 'Already decided: it was rejected.',
    expired: 'Too late: it expired without a decision.',
    cancelled: 'Too late: it was cancelled.',
  }[result.status];
}

async function dispatch(text: string, { client, repliedText, taskQueue }: CommandContext): Promise<string | BotAnswer> {
  const replied = repliedText ? await repliedText() : undefined;
  // An answer to the Edit button's question: the text to post, whatever it says.
  const editing = replied ? editPromptOf(replied) : undefined;
  if (editing && !text.startsWith('/')) {
    await signalReply(client, editing, (h) => decideReply(h, { kind: 'approve', text }));
    return `Approved with your text: ${editing} will post it.`;
  }
  const answered = replied ? /\((reply:[^)\s]+)\)/.exec(replied)?.[1] : undefined;
  if (answered && !text.startsWith('/')) return answerApproval(client, answered, text);

  const [command = '', ...words] = text.split(/\s+/);
  const name = command.replace(/@\w+$/, '').toLowerCase(); // "/status@steadfast_bot" in groups
  const [first, second] = words;
  switch (name) {
    case '/start':
    case '/help':
      return helpText;
    case '/status':
      return status(client, taskQueue);
    case '/pending':
      return pending(client);
    case '/approve':
      await signalReply(client, need(first, '/approve <id>'), (h) => decideReply(h, { kind: 'approve' }));
      return `Approved: ${first} will be posted.`;
    case '/edit': {
      const edited = text.slice(text.indexOf(need(first, '/edit <id> <text>')) + first!.length).trim();
      await signalReply(client, first!, (h) =>
        decideReply(h, { kind: 'approve', text: need(edited || undefined, '/edit <id> <text>') }),
      );
      return `Approved with your text: ${first} will post it.`;
    }
    case '/reject':
      await signalReply(client, need(first, '/reject <id>'), (h) =>
        decideReply(h, { kind: 'reject', reason: words.slice(1).join(' ') || undefined }),
      );
      return `Rejected: ${first} will not be posted.`;
    case '/pause':
    case '/resume':
      return pauseOrResume(client, name === '/pause', first);
    case '/retry': {
      const id = need(first, '/retry <id>');
      await retryDeadLetter(client, id);
      return `Retrying ${id}: a new run with the same input.`;
    }
    case '/interrupt': {
      const id = workflowIds.chat(
        need(first, '/interrupt <account> <chat>'),
        need(second, '/interrupt <account> <chat>'),
      );
      const handle = await running(client, id);
      const { state } = await handle.query(chatStatusQuery);
      if (state !== 'generating') return `${id} is not writing an answer (${state}): nothing to interrupt.`;
      await handle.signal(chatInterruptSignal);
      return `Interrupted ${id}: the answer being written is dropped.`;
    }
    default:
      return `I do not know "${command}".\n${helpText}`;
  }
}

/**
 * An answer to an approval request: ok, no, or `edit:` and the text to post instead. Anything else is asked again:
 * a remark must never be posted by mistake.
 */
async function answerApproval(client: Client, workflowId: string, text: string): Promise<string> {
  if (/^(ok|okay|yes|y|approve|post|👍)[.!]*$/iu.test(text)) {
    await signalReply(client, workflowId, (h) => decideReply(h, { kind: 'approve' }));
    return `Approved: ${workflowId} will be posted.`;
  }
  if (/^(no|n|nope|reject|skip|👎)[.!]*$/iu.test(text)) {
    await signalReply(client, workflowId, (h) => decideReply(h, { kind: 'reject' }));
    return `Rejected: ${workflowId} will not be posted.`;
  }
  const edited = /^edit:\s*([\s\S]+)$/i.exec(text)?.[1]?.trim();
  if (edited) {
    await signalReply(client, workflowId, (h) => decideReply(h, { kind: 'approve', text: edited }));
    return `Approved with your text: ${workflowId} will post it.`;
  }
  return 'I did not understand. Answer ok to post the draft, no to reject it, or edit: and the text to post.';
}

function need(value: string | undefined, usage: string): string {
  if (!value) throw new OwnerMistake(`Usage: ${usage}`);
  return value;
}

async function running(client: Client, workflowId: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name !== 'RUNNING')
    throw new OwnerMistake(`${workflowId} is ${status.name.toLowerCase()}: nothing to do.`);
  return handle;
}

/** A reply that runs: an owner's mistake to name anything else. */
async function runningReply(client: Client, workflowId: string): Promise<WorkflowHandle> {
  if (!workflowId.startsWith('reply:')) throw new OwnerMistake(`${workflowId} is not a reply: /pending lists them.`);
  return await running(client, workflowId);
}

async function signalReply(client: Client, workflowId: string, send: (h: WorkflowHandle) => Promise<unknown>) {
  await send(await runningReply(client, workflowId));
}

async function list(client: Client, query: string, limit = 20): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query })) {
    ids.push(execution.workflowId);
    if (ids.length >= limit) break;
  }
  return ids.sort();
}

const pendingQuery = `${replyTypeTerm} AND ExecutionStatus="Running" AND Stage="awaiting-approval"`;

async function status(client: Client, taskQueue: string | undefined): Promise<string> {
  const lines: string[] = [];
  for (const { accountId, workflowId } of await runningSessions(client)) {
    const view = await sessionStatus(client, workflowId);
    const ping = view.latencyMs === undefined ? '' : `, ping ${view.latencyMs} ms`;
    lines.push(`${accountId}: ${view.state}${ping}${view.lastError ? ` (${view.lastError})` : ''}`);
  }
  const { count: waiting } = await client.workflow.count(pendingQuery);
  const { count: failed } = await client.workflow.count('ExecutionStatus="Failed"');
  return [
    lines.length ? lines.join('\n') : 'No account session is running.',
    `${waiting} ${waiting === 1 ? 'reply waits' : 'replies wait'} for your approval (/pending).`,
    `${failed} failed ${failed === 1 ? 'workflow' : 'workflows'} (/retry <id>).`,
    ...(taskQueue ? [await breakerLine(client, taskQueue)] : []),
  ].join('\n');
}

/** The deployment's circuit breakers: those open, with since when, or that all are closed. */
async function breakerLine(client: Client, taskQueue: string): Promise<string> {
  const services = await deploymentOutages(client, taskQueue);
  const open = services.flatMap(({ name, outage }) =>
    outage ? [`circuit breaker open: ${name} since ${new Date(outage.since).toISOString().slice(11, 16)} UTC`] : [],
  );
  return open.length ? open.join('\n') : `Circuit breakers closed: ${services.map(({ name }) => name).join(', ')}.`;
}

async function pending(client: Client): Promise<BotAnswer> {
  const ids = await list(client, pendingQuery, 10);
  if (ids.length === 0) return { text: 'Nothing waits for your approval.' };
  const lines = [];
  for (const [i, id] of ids.entries()) {
    const view = await client.workflow.getHandle(id).query(statusQuery);
    lines.push(`${i + 1}. ${id}\n${view.draft ?? ''}`);
  }
  const { count } = await client.workflow.count(pendingQuery);
  // One Telegram message holds about ten drafts: the rest come with the next /pending, once these are answered.
  const more =
    count > ids.length ? `\n\n${ids.length} of ${count} shown: answer these, then /pending for the rest.` : '';
  const text = `${lines.join('\n\n')}\n\nTap a button, or /approve <id>, /edit <id> <text> or /reject <id>.${more}`;
  const markup = pendingButtons(ids);
  return markup ? { text, markup } : { text };
}

async function pauseOrResume(client: Client, pause: boolean, accountId: string | undefined): Promise<string> {
  const ids = accountId
    ? [workflowIds.account(accountId)]
    : (await runningSessions(client)).map((session) => session.workflowId);
  for (const id of ids) {
    const handle = accountId ? await running(client, id) : client.workflow.getHandle(id);
    await handle.signal(pause ? sessionPauseSignal : sessionResumeSignal);
  }
  const names = ids.map((id) => id.replace(/^account:/, '')).join(', ') || 'no account';
  return `${pause ? 'Pausing' : 'Resuming'}: ${names}.`;
}

function explain(err: unknown): string {
  if (err instanceof OwnerMistake || err instanceof NotADeadLetter) return err.message;
  if (err instanceof DecisionRefused) return `Not done: ${err.message.replace(': Refused: ', ' — ')}.`;
  if (err instanceof WorkflowNotFoundError)
    return `No workflow ${err.workflowId ?? ''}: check the id (/pending, /status).`;
  const category = err instanceof ApplicationFailure && isFailureCategory(err.type) ? err.type : 'upstream';
  return `That did not work: ${ownerMessages[category]} Try again in a moment.`;
}
