import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import {
  deadLetterQuery,
  explainDeadLetter,
  listDeadLetters,
  NotADeadLetter,
  retryDeadLetter,
  type DeadLetter,
} from '../temporal/dead-letters';
import { inDays } from '../temporal/retention';
import { accountId, action, CliError, json, noArguments, webUiLink, webUiListLink } from './common';

/** `failures …`: dead letters (failed workflows): list, explain, retry one or all; a retry is a new run, same input. */
export function define(group: Command): void {
  group
    .command('list')
    .description('list failed workflows with their category and error')
    .option('--account <id>', "only this account's")
    .option('--json', 'print JSON')
    .action(action(z.object({ account, json, positionals: noArguments }), list));
  group
    .command('show')
    .description('show why a failed workflow failed')
    .argument('<workflow-id>')
    .option('--json', 'print JSON')
    .action(action(z.object({ json, positionals: oneWorkflow }), show));
  group
    .command('retry')
    .description('retry a failed workflow (or --all): a new run with the same input')
    .argument('[workflow-id]')
    .option('--all', 'every failed workflow (of --account)')
    .option('--account <id>', "with --all: only this account's")
    .option('--json', 'print JSON')
    .action(action(retryOptions, retry));
}

const account = accountId.optional();
const oneWorkflow = z.tuple([z.string().min(1, 'expected a workflow id')], 'expected one workflow id');

function describeLine(config: Config, dead: DeadLetter, now = Date.now()): string {
  // How long it has left: the namespace deletes a failed workflow its retention after it failed.
  const kept = dead.deletedAt
    ? `\n  kept until ${dead.deletedAt} (${inDays(Date.parse(dead.deletedAt) - now)} left to retry it)`
    : '';
  return `${dead.workflowId}  ${dead.category}  ${dead.failedAt ?? ''}\n  ${dead.message}${kept}\n  ${webUiLink(config, dead.workflowId)}`;
}

async function list(options: { account?: string; json: boolean }, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const dead = await listDeadLetters(client, { accountId: options.account });
  const link = webUiListLink(config, deadLetterQuery(options.account));
  if (options.json) return console.log(JSON.stringify({ failures: dead, webUi: link }));
  console.log(dead.length ? dead.map((d) => describeLine(config, d)).join('\n') : 'No failed workflows.');
  console.log(link);
}

async function show(options: { json: boolean; positionals: [string] }, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const dead = await explainDeadLetter(client, options.positionals[0]).catch(asCliError);
  console.log(
    options.json ? JSON.stringify({ ...dead, webUi: webUiLink(config, dead.workflowId) }) : describeLine(config, dead),
  );
}

const retryOptions = z
  .object({
    all: z.boolean().default(false),
    account,
    json,
    positionals: z.array(z.string()).max(1, 'expected one workflow id'),
  })
  .refine((o) => o.all !== (o.positionals.length === 1), {
    message: 'give one workflow id, or --all',
    path: ['positionals'],
  });

async function retry(options: z.infer<typeof retryOptions>, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const ids = options.all
    ? (await listDeadLetters(client, { accountId: options.account })).map((d) => d.workflowId)
    : options.positionals;
  const retried: { workflowId: string; runId: string }[] = [];
  for (const workflowId of ids) {
    const { runId } = await retryDeadLetter(client, workflowId).catch(asCliError);
    retried.push({ workflowId, runId });
  }
  if (options.json) return console.log(JSON.stringify({ retried }));
  if (retried.length === 0) return console.log('No failed workflows to retry.');
  for (const { workflowId } of retried)
    console.log(`Retried ${workflowId} (a new run)\n${webUiLink(config, workflowId)}`);
}

function asCliError(err: unknown): never {
  if (err instanceof NotADeadLetter) throw new CliError(err.message);
  throw err;
}
