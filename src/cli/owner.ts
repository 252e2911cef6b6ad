import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { OwnerConfigured, ownerDirectory, pairingLifetimeMs, type OwnerDirectory } from '../owner/owner-directory';
import { connectClient } from '../temporal/connection';
import { SandboxNotRunning, createServices } from '../adapters/create-services';
import { workflowIds } from '../domain/contracts';
import { action, CliError, json, noArguments, waitFor } from './common';

/**
 * The deployment's owner: who gets approval requests and alerts, and whom the control bot obeys. `owner pair` makes a
 * one-time code; the owner sends `/pair CODE` to the bot from their own Telegram, and is stored as the owner in the
 * account store (src/owner/owner-directory.ts).
 */
export function define(group: Command): void {
  group
    .command('pair')
    .description('print a one-time code to send to the control bot as /pair CODE, and wait until it is sent')
    .option('--no-wait', 'print the code and return')
    .option('--json', 'print JSON')
    .action(action(z.object({ wait: z.boolean().default(true), json, positionals: noArguments }), pair));
  group
    .command('show')
    .description('who the owner is, and how they were set')
    .option('--json', 'print JSON')
    .action(action(z.object({ json, positionals: noArguments }), show));
}

async function directory(config: Config): Promise<OwnerDirectory> {
  const { accounts } = await createServices(config).catch((err: unknown) => {
    throw err instanceof SandboxNotRunning ? new CliError(err.message) : err;
  });
  return ownerDirectory(accounts, config.ownerTelegramId, config.adminTelegramIds);
}

async function pair(options: { wait: boolean; json: boolean }, config: Config): Promise<number> {
  const owners = await directory(config);
  const started = Date.now();
  const { code, expiresAt } = await owners.startPairing(started).catch((err: unknown) => {
    throw err instanceof OwnerConfigured ? new CliError(err.message) : err;
  });
  const minutes = Math.round(pairingLifetimeMs / 60_000);
  if (options.json && !options.wait) {
    console.log(JSON.stringify({ code, expiresAt: new Date(expiresAt).toISOString() }));
    return 0;
  }
  if (!options.json) {
    console.log(`Send this to your control bot on Telegram, from your own account, within ${minutes} minutes:`);
    console.log(`\n  /pair ${code}\n`);
    console.log(`The code works once. ${await botHint(config)}`);
  }
  if (!options.wait) return 0;
  const owner = await waitFor(
    () => owners.owner(),
    (found) => (found?.pairedAt ?? 0) >= started,
    expiresAt - Date.now(),
  );
  const paired = owner && (owner.pairedAt ?? 0) >= started ? owner : undefined;
  if (options.json) console.log(JSON.stringify({ code, paired: Boolean(paired), owner: paired }));
  else if (paired) console.log(`Paired: Telegram user ${paired.telegramUserId} is the owner.`);
  else console.log(`The code expired unused: run \`steadfast owner pair\` again.`);
  return paired ? 0 : 1;
}

/** Whether a worker runs the control bot that takes the code, said in one line. */
async function botHint(config: Config): Promise<string> {
  const client = await connectClient(config.temporal).catch(() => undefined);
  if (!client)
    return `Temporal at ${config.temporal.address} does not answer: start it, and a worker, for the bot to answer.`;
  try {
    const { status } = await client.workflow.getHandle(workflowIds.controlBot()).describe();
    return status.name === 'RUNNING'
      ? 'Waiting for it… (Ctrl-C stops waiting; the code stays valid)'
      : `The control bot is ${status.name.toLowerCase()}: start a worker (npm run worker) for it to answer.`;
  } catch {
    return 'No control bot runs yet: start a worker (npm run worker) for it to answer.';
  } finally {
    await client.connection.close();
  }
}

async function show(options: { json: boolean }, config: Config): Promise<number> {
  const owner = await (await directory(config)).owner();
  if (options.json) {
    console.log(JSON.stringify({ owner: owner ?? null, admins: config.adminTelegramIds }));
    return owner ? 0 : 1;
  }
  if (!owner) {
    console.log('Nobody is the owner yet: run `steadfast owner pair` and send the code to the control bot.');
    return 1;
  }
  console.log(
    owner.configured
      ? `Telegram user ${owner.telegramUserId} is the owner, set by STEADFAST_OWNER_TELEGRAM_ID.`
      : `Telegram user ${owner.telegramUserId} is the owner, paired ${new Date(owner.pairedAt ?? 0).toISOString()}.`,
  );
  if (config.adminTelegramIds.length) console.log(`Admins: ${config.adminTelegramIds.join(', ')}.`);
  return 0;
}
