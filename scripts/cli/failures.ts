import { z } from 'zod';
import { connectClient } from '../../src/temporal/connection';
import {
  deadLetterQuery,
  explainDeadLetter,
  listDeadLetters,
  NotADeadLetter,
  retryDeadLetter,
  type DeadLetter,
} from '../../src/temporal/dead-letters';
import { accountId, CliError, parseJsonCommand, parseOptions, webUiLink, webUiListLink, type Command } from './common';
import type { Config } from '../../src/config';

/** Dead letters (failed workflows): list, explain, retry one or all. Retrying starts a new run with the same input. */
const account = accountId.optional();

function describeLine(config: Config, dead: DeadLetter): string {
  return `${dead.workflowId}  ${dead.category}  ${dead.failedAt ?? ''}\n  ${dead.message}\n  ${webUiLink(config, dead.workflowId)}`;
}

const list: Command = {
  summary: 'list failed workflows with their category and error',
  usage: 'failures list [--account <id>] [--json]',
  async run(args, config) {
    const options = parseOptions(
      args,
      { account: { type: 'string' }, json: { type: 'boolean', default: false } },
      z.object({ account, json: z.boolean(), positionals: z.tuple([], 'takes no arguments') }),
      this.usage,
    );
    const client = await connectClient(config.temporal);
    const dead = await listDeadLetters(client, { accountId: options.account });
    const link = webUiListLink(config, deadLetterQuery(options.account));
    if (options.json) return console.log(JSON.stringify({ failures: dead, webUi: link }));
    console.log(dead.length ? dead.map((d) => describeLine(config, d)).join('\n') : 'No failed workflows.');
    console.log(link);
  },
};

const idArgument = z.tuple([z.string().min(1, 'expected a workflow id')], 'expected one workflow id');

const show: Command = {
  summary: 'show why a failed workflow failed',
  usage: 'failures show <workflow id> [--json]',
  async run(args, config) {
    const options = parseJsonCommand(args, this.usage, idArgument);
    const client = await connectClient(config.temporal);
    const dead = await explainDeadLetter(client, options.positionals[0]).catch(asCliError);
    console.log(
      options.json
        ? JSON.stringify({ ...dead, webUi: webUiLink(config, dead.workflowId) })
        : describeLine(config, dead),
    );
  },
};

const retry: Command = {
  summary: 'retry a failed workflow (or --all): a new run with the same input',
  usage: 'failures retry <workflow id> | failures retry --all [--account <id>] [--json]',
  async run(args, config) {
    const options = parseOptions(
      args,
      {
        all: { type: 'boolean', default: false },
        account: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      z
        .object({
          all: z.boolean(),
          account,
          json: z.boolean(),
          positionals: z.array(z.string()).max(1, 'expected one workflow id'),
        })
        .refine((o) => o.all !== (o.positionals.length === 1), {
          message: 'give one workflow id, or --all',
          path: ['positionals'],
        }),
      this.usage,
    );
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
  },
};

function asCliError(err: unknown): never {
  if (err instanceof NotADeadLetter) throw new CliError(err.message);
  throw err;
}

export const failureCommands: Record<string, Command> = { list, show, retry };
