import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Config } from '../../src/config';

/** A failure to show the user as one line (and exit non-zero), never as a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface Command {
  summary: string;
  usage: string;
  run: (args: string[], config: Config) => Promise<void>;
}

/** Parses `args` with node:util and validates the result with `schema`, naming the offending option on failure. */
export function parseOptions<S extends z.ZodType>(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
  usage: string,
): z.infer<S> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: negativeNumbersAsValues(args, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)}\nUsage: ${usage}`);
  }
  if (parsed.values.help) {
    console.log(`Usage: ${usage}`);
    process.exit(0);
  }
  const result = schema.safeParse({ ...parsed.values, positionals: parsed.positionals });
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path[0] === 'positionals' ? 'argument' : `--${String(issue?.path[0] ?? '?')}`;
    throw new CliError(`${where}: ${issue?.message ?? 'invalid'}\nUsage: ${usage}`);
  }
  return result.data;
}

/** A command that takes no arguments. */
export const noArguments = z.tuple([], 'takes no arguments');

/** The options of a command that takes `--json` and the arguments `positionals` describes. */
export function parseJsonCommand<P extends z.ZodType>(args: string[], usage: string, positionals: P) {
  return parseOptions(
    args,
    { json: { type: 'boolean', default: false } },
    z.object({ json: z.boolean(), positionals }),
    usage,
  );
}

/**
 * Telegram group ids are negative (-100…), which node:util would read as short options: after a string option such
 * an argument becomes its value (`--ai-chat=-100…`), elsewhere a positional (moved after `--`).
 */
function negativeNumbersAsValues(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const rest: string[] = [];
  const positionals: string[] = [];
  for (const arg of args) {
    if (!/^-\d+$/.test(arg)) {
      rest.push(arg);
      continue;
    }
    const previous = rest.at(-1) ?? '';
    const option = previous.startsWith('--') && !previous.includes('=') ? options[previous.slice(2)] : undefined;
    if (option?.type === 'string') rest[rest.length - 1] = `${previous}=${arg}`;
    else positionals.push(arg);
  }
  return positionals.length ? [...rest, '--', ...positionals] : rest;
}

/** An account id, as every command takes it. */
export const accountId = z
  .string({ message: 'required: the account id, e.g. alice' })
  .regex(/^[\w-]{1,64}$/, 'letters, digits, - and _');

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

/** Standard input when it is not a terminal (a pipe, a file): read whole once, handed out a line at a time. */
let pipedLines: Promise<string[]> | undefined;
function nextPipedLine(): Promise<string> {
  pipedLines ??= new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (data += chunk));
    process.stdin.once('end', () => resolve(data.split(/\r?\n/)));
  });
  return pipedLines.then((lines) => lines.shift() ?? '');
}

/** One line typed at the terminal, not echoed. */
function typedLine(): Promise<string> {
  const input = process.stdin;
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    input.setRawMode(true);
    input.setEncoding('utf8');
    const done = (value: string | Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\u0003') return done(new CliError('cancelled'));
        if (char === '\r' || char === '\n') return done(typed);
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/**
 * Reads a secret the user types, without echoing it; from a pipe (scripts, tests) it reads the next line. The secret
 * goes to the account store only, never into Temporal or an argument list that shell history would keep.
 */
export async function readSecret(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const line = process.stdin.isTTY ? await typedLine() : await nextPipedLine();
  if (!process.stdin.isTTY) process.stderr.write('\n');
  if (!line) throw new CliError('nothing was entered');
  return line;
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
