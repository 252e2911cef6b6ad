import { z } from 'zod';
import type { Config } from '../../src/config';
import { connectClient } from '../../src/temporal/connection';
import { addWatch, listWatches, removeWatch } from '../../src/temporal/watch-schedules';
import { workflowIds } from '../../src/workflows/contracts';
import { accountId, CliError, noArguments, parseJsonCommand, parseOptions, type Command } from './common';

/** The watched X accounts: one Temporal Schedule per account (`watch:{accountId}`) polls them. */
const username = z
  .string({ message: 'required: the X username to watch, without @' })
  .regex(/^\w{1,15}$/, 'an X username: up to 15 letters, digits and _');

function scheduleLink(config: Config, accountId: string): string {
  const { webUiUrl, namespace } = config.temporal;
  return `${webUiUrl}/namespaces/${encodeURIComponent(namespace)}/schedules/${encodeURIComponent(workflowIds.watch(accountId))}`;
}

const add: Command = {
  summary: "watch an X account's new tweets and answer them",
  usage: 'watch add --account <id> --username <x username> [--approval owner|auto] [--every <duration>] [--json]',
  async run(args, config) {
    const options = parseOptions(
      args,
      {
        account: { type: 'string' },
        username: { type: 'string' },
        approval: { type: 'string', default: 'owner' },
        every: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      z.object({
        account: accountId,
        username,
        approval: z.enum(['auto', 'owner'], { message: 'expected auto or owner' }),
        every: z
          .string()
          .regex(/^\d+(s|m|h)$/, 'a duration such as 30s, 2m or 1h')
          .optional(),
        json: z.boolean(),
        positionals: z.tuple([], 'takes no arguments'),
      }),
      this.usage,
    );
    const client = await connectClient(config.temporal);
    const watch = await addWatch(client, config.temporal.taskQueue, {
      accountId: options.account,
      username: options.username.replace(/^@/, ''),
      approval: options.approval,
      interval: options.every ?? config.watchInterval,
      approvalTimeout: config.approvalTimeout,
    });
    const link = scheduleLink(config, watch.accountId);
    if (options.json) return console.log(JSON.stringify({ ...watch, webUi: link }));
    console.log(
      `${watch.accountId} watches ${watch.usernames.map((u) => `@${u}`).join(', ')} every ${watch.interval}\n${link}`,
    );
  },
};

const remove: Command = {
  summary: 'stop watching an X account',
  usage: 'watch remove --account <id> --username <x username>',
  async run(args, config) {
    const options = parseOptions(
      args,
      { account: { type: 'string' }, username: { type: 'string' } },
      z.object({ account: accountId, username, positionals: z.tuple([], 'takes no arguments') }),
      this.usage,
    );
    const client = await connectClient(config.temporal);
    if (!(await removeWatch(client, options.account, options.username))) {
      throw new CliError(`${options.account} does not watch @${options.username}: see \`npm run cli -- watch list\``);
    }
    console.log(`${options.account} no longer watches @${options.username}\n${scheduleLink(config, options.account)}`);
  },
};

const list: Command = {
  summary: 'list the watched X accounts, per account',
  usage: 'watch list [--json]',
  async run(args, config) {
    const options = parseJsonCommand(args, this.usage, noArguments);
    const watches = await listWatches(await connectClient(config.temporal));
    if (options.json) return console.log(JSON.stringify({ watches }));
    if (watches.length === 0) return console.log('No account watches anyone yet: npm run cli -- watch add --help');
    for (const watch of watches) {
      const state = watch.paused ? ' (paused)' : '';
      console.log(
        `${watch.accountId}: ${watch.usernames.map((u) => `@${u}`).join(', ')} every ${watch.interval}, approval ${watch.approval}${state}\n  ${scheduleLink(config, watch.accountId)}`,
      );
    }
  },
};

export const watchCommands: Record<string, Command> = { add, remove, list };
