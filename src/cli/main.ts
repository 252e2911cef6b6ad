import { Command, CommanderError } from 'commander';
import { release } from '../release';
import { CliError, ExitCode } from './errors';

/**
 * `steadfast <group> <command> [options]` (`npm run cli -- …`): the owner's controls over Temporal, on commander. One
 * file per command group, loaded only when its group is asked for, so `--help` starts without loading Temporal's
 * client, the adapters or the sandbox.
 */
/** What each group's file exports. */
interface Module {
  define: (command: Command) => void;
}

interface Group {
  summary: string;
  /** Adds the group's commands (or, for a command without a group, its options and action) to `command`. */
  load: () => (command: Command) => void;
}

// require, not import(): in CommonJS a dynamic import() goes to Node's ESM loader, which `tsx/cjs` (the bin's way to
// run the sources) does not hook; a group's file is required when its group is asked for.
const groups: Record<string, Group> = {
  reply: {
    summary: 'the replies to tweets: start, follow, approve, cancel',
    load: () => (require('./reply') as Module).define,
  },
  account: {
    summary: "the owner's Telegram accounts: add, log in, sessions",
    load: () => (require('./account') as Module).define,
  },
  chat: {
    summary: 'chats answered with AI: status, interrupt',
    load: () => (require('./chat') as Module).define,
  },
  watch: {
    summary: 'watched X accounts: add, list, remove',
    load: () => (require('./watch') as Module).define,
  },
  failures: {
    summary: 'dead letters: list, show, retry one or all',
    load: () => (require('./failures') as Module).define,
  },
  owner: {
    summary: 'who owns the deployment: pair with the control bot, show',
    load: () => (require('./owner') as Module).define,
  },
  key: {
    summary: 'encryption keys and the Convex secret: make new ones',
    load: () => (require('./key') as Module).define,
  },
  patches: {
    summary: 'workflow patches and retired types, and the open runs that still need them',
    load: () => (require('./patches') as Module).define,
  },
  health: {
    summary: 'check Temporal, the workers, the services and the accounts; non-zero exit when unhealthy',
    load: () => (require('./health') as Module).define,
  },
};

/** Where the CLI writes what commander prints (help, its errors); tests pass their own. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

const standardOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs one command line (without `node` and the script) and resolves to its exit code: 0 on success (and for
 * `--help`, `--version`), 1 when a command failed or the arguments are wrong, said in one line, 2 for a bad
 * configuration. Anything unexpected is thrown, with its stack.
 */
export async function main(argv: string[], output: Output = standardOutput): Promise<number> {
  const program = new Command('steadfast')
    .description('Reliable Telegram and X bots with AI, run as Temporal workflows.')
    .version(release, '-V, --version')
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showSuggestionAfterError()
    .exitOverride();
  // The group asked for (`steadfast reply …`, `steadfast help reply`) is the only one loaded.
  const asked = argv[0] === 'help' ? argv[1] : argv[0];
  for (const [name, group] of Object.entries(groups)) {
    // Subcommands inherit the program's output, its exit override and its suggestions.
    const command = program.command(name).description(group.summary);
    if (name === asked) group.load()(command);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CliError) {
      output.err(`${err.label}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
