import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError, loadConfig, type Config } from '../config';
import { durationHint, durationMs } from '../domain/duration';
import { CliError, ExitCode } from './errors';

export { CliError } from './errors';

/** The command a user types, as the messages name it. */
export const commandName = 'npm run cli --';

/**
 * A command's action: commander has parsed the arguments; `schema` checks them (`positionals` are the arguments, the
 * other keys the options as commander names them: `--tweet-id` is `tweetId`), naming what is wrong and the option;
 * then `body` runs with the configuration, and a failure users cause becomes one line. `body` may return an exit code.
 */
export function action<S extends z.ZodType>(
  schema: S,
  body: (options: z.infer<S>, config: Config) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command;
    const result = schema.safeParse({ ...command.opts(), positionals: command.args });
    if (!result.success) {
      const issue = result.error.issues[0];
      const key = issue?.path[0];
      const where =
        key === 'positionals' ? 'argument' : `--${String(key ?? '?').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new CliError(
        `${where}: ${issue?.message ?? 'invalid'} (see ${commandName} ${commandPath(command)} --help)`,
      );
    }
    const config = configuration();
    let code: number | void;
    try {
      code = await body(result.data, config);
    } catch (err) {
      throw explain(err, config);
    }
    if (code) throw new ExitCode(code);
  };
}

function configuration(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`${err.message}. See .env.example.`, 2, 'Configuration error');
    throw err;
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Collects a repeatable option's values: `--ai-chat 1 --ai-chat 2`. */
export const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--json`, on every command that prints something a script may read. */
export const json = z.boolean().default(false);

/** A command that takes no arguments. */
export const noArguments = z.tuple([], 'takes no arguments');

/** A duration option, by the one rule of every duration (src/domain/duration.ts). */
export const duration = z.string().refine((value) => durationMs(value) !== undefined, durationHint);

/** An account id, as every command takes it. */
export const accountId = z
  .string({ message: 'required: the account id, e.g. alice' })
  .regex(/^[\w-]{1,64}$/, 'letters, digits, - and _');

/** A Telegram chat id: negative for a group (commander takes `-100…` as a value, not as an option). */
export const chatId = z.string().regex(/^-?\d+$/, 'the Telegram chat id: digits, negative for a group');

/** The handle of a running workflow; otherwise one line that says its state and `whenNot`. */
export async function runningWorkflow(client: Client, workflowId: string, whenNot: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name !== 'RUNNING') throw new CliError(`${workflowId} is ${status.name}, not running: ${whenNot}`);
  return handle;
}

export function webUiLink(config: Config, workflowId: string): string {
  const { webUiUrl, namespace } = config.temporal;
  return `${webUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The Web UI's list of the workflows a visibility query finds. */
export function webUiListLink(config: Config, query?: string): string {
  const { webUiUrl, namespace } = config.temporal;
  const list = `${webUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return query ? `${list}?query=${encodeURIComponent(query)}` : list;
}

/** Turns the errors users cause into one clear line; anything else stays an error with its stack. */
export function explain(err: unknown, config: Config): unknown {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowNotFoundError) {
    return new CliError(`No workflow ${err.workflowId ?? ''} in namespace ${config.temporal.namespace}: check the id`);
  }
  // A service's classified failure (Convex down, Telegram refusing…): its category and what it said, one line.
  if (err instanceof ApplicationFailure) return new CliError(`${err.type ?? 'error'}: ${err.message}`);
  const message = err instanceof Error ? err.message : '';
  if (/Failed to connect|connect ECONNREFUSED|UNAVAILABLE|deadline/i.test(message)) {
    return new CliError(
      `Cannot reach Temporal at ${config.temporal.address}: start it with \`npm run server\`, or set TEMPORAL_ADDRESS`,
    );
  }
  return err;
}

/** Polls `read` until `done` holds or `timeoutMs` passes; the last value either way. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
