import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { addWatch, listWatches, removeWatch } from '../temporal/watch-schedules';
import { workflowIds } from '../domain/contracts';
import { accountId, action, CliError, commandName, duration, json, noArguments } from './common';

/** `watch …`: the watched X accounts; one Temporal Schedule per account (`watch:{accountId}`) polls them. */
export function define(group: Command): void {
  group
    .command('add')
    .description("watch an X account's new tweets and answer them")
    .option('--account <id>', 'the account that answers')
    .option('--username <x username>', 'the X account to watch, without @')
    .option('--approval <auto|owner>', 'post at once, or after the owner approves on Telegram', 'owner')
    .option('--every <duration>', 'how often to look, such as 2m (default: STEADFAST_WATCH_INTERVAL)')
    .option('--json', 'print JSON')
    .action(action(addOptions, add));
  group
    .command('remove')
    .description('stop watching an X account')
    .option('--account <id>', 'the account that answers')
    .option('--username <x username>', 'the X account watched')
    .action(action(removeOptions, remove));
  group
    .command('list')
    .description('list the watched X accounts, per account')
    .option('--json', 'print JSON')
    .action(action(z.object({ json, positionals: noArguments }), list));
}

const username = z
  .string({ message: 'required: the X username to watch, without @' })
  .regex(/^@?\w{1,15}$/, 'an X username: up to 15 letters, digits and _')
  .transform((name) => name.replace(/^@/, ''));

function scheduleLink(config: Config, accountId: string): string {
  const { webUiUrl, namespace } = config.temporal;
  return `${webUiUrl}/namespaces/${encodeURIComponent(namespace)}/schedules/${encodeURIComponent(workflowIds.watch(accountId))}`;
}

const addOptions = z.object({
  account: accountId,
  username,
  approval: z.enum(['auto', 'owner'], { message: 'expected auto or owner' }),
  every: duration.optional(),
  json,
  positionals: noArguments,
});

async function add(options: z.infer<typeof addOptions>, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const watch = await addWatch(client, config.temporal.taskQueue, {
    accountId: options.account,
    username: options.username,
    approval: options.approval,
    interval: options.every ?? config.watchInterval,
    approvalTimeout: config.approvalTimeout,
  });
  const link = scheduleLink(config, watch.accountId);
  if (options.json) return console.log(JSON.stringify({ ...watch, webUi: link }));
  console.log(
    `${watch.accountId} watches ${watch.usernames.map((u) => `@${u}`).join(', ')} every ${watch.interval}\n${link}`,
  );
}

const removeOptions = z.object({ account: accountId, username, positionals: noArguments });

async function remove(options: z.infer<typeof removeOptions>, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  if (!(await removeWatch(client, options.account, options.username))) {
    throw new CliError(`${options.account} does not watch @${options.username}: see \`${commandName} watch list\``);
  }
  console.log(`${options.account} no longer watches @${options.username}\n${scheduleLink(config, options.account)}`);
}

async function list(options: { json: boolean }, config: Config): Promise<void> {
  const watches = await listWatches(await connectClient(config.temporal));
  if (options.json) return console.log(JSON.stringify({ watches }));
  if (watches.length === 0) return console.log(`No account watches anyone yet: ${commandName} watch add --help`);
  for (const watch of watches) {
    const state = watch.paused ? ' (paused)' : '';
    console.log(
      `${watch.accountId}: ${watch.usernames.map((u) => `@${u}`).join(', ')} every ${watch.interval}, approval ${watch.approval}${state}\n  ${scheduleLink(config, watch.accountId)}`,
    );
  }
}
