import { loadConfigOrExit } from '../src/config';
import { accountCommands } from './cli/account';
import { chatCommands } from './cli/chat';
import { CliError, explain, type Command } from './cli/common';
import { failureCommands } from './cli/failures';
import { health } from './cli/health';
import { replyCommands } from './cli/reply';
import { watchCommands } from './cli/watch';

/**
 * `npm run cli -- <group> <command> [options]`: the owner's controls over Temporal. One file per command group;
 * `--help` everywhere; exit 0 on success, and on failure one clear line and a non-zero exit code.
 */
const groups: Record<string, Record<string, Command>> = {
  reply: replyCommands,
  account: accountCommands,
  chat: chatCommands,
  watch: watchCommands,
  failures: failureCommands,
};

/** Commands without a group. */
const single: Record<string, Command> = { health };

function help(): string {
  const lines = [
    ...Object.entries(groups).flatMap(([group, commands]) =>
      Object.entries(commands).map(([name, command]) => `  ${`${group} ${name}`.padEnd(16)} ${command.summary}`),
    ),
    ...Object.entries(single).map(([name, command]) => `  ${name.padEnd(16)} ${command.summary}`),
  ];
  return ['Usage: npm run cli -- <command> [options]   (--help after a command for its options)', '', ...lines].join(
    '\n',
  );
}

async function run(argv: string[]): Promise<void> {
  const [group, name, ...rest] = argv;
  if (!group || group === '--help' || group === '-h' || group === 'help') return console.log(help());
  const commands = groups[group];
  const command = single[group] ?? (commands && name ? commands[name] : undefined);
  if (!command) throw new CliError(`Unknown command: ${[group, name].filter(Boolean).join(' ')}\n${help()}`);
  const args = single[group] ? argv.slice(1) : rest;
  const config = loadConfigOrExit();
  try {
    await command.run(args, config);
  } catch (err) {
    throw explain(err, config);
  }
}

run(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    if (err instanceof CliError) {
      console.error(`Error: ${err.message}`);
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  },
);
