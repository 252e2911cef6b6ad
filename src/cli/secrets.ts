import { CliError } from './errors';

/**
 * Reads a secret the user types, without echoing it (Inquirer's password prompt); from a pipe (scripts, tests) it
 * reads the next line. `prompt` names what to enter, without a colon. The secret goes to the account store only, never into Temporal or an argument list that shell
 * history would keep.
 */
export async function readSecret(prompt: string): Promise<string> {
  const line = process.stdin.isTTY ? await typed(prompt) : await piped(prompt);
  if (!line) throw new CliError('nothing was entered');
  return line;
}

async function typed(prompt: string): Promise<string> {
  // Loaded only when a secret is asked for: the prompt library is not part of every command's start-up.
  const { default: password } = await import('@inquirer/password');
  return password({ message: prompt, mask: false }, { output: process.stderr }).catch((err: unknown) => {
    // Ctrl-C at the prompt.
    if (err instanceof Error && err.name === 'ExitPromptError') throw new CliError('cancelled');
    throw err;
  });
}

/** Standard input when it is not a terminal (a pipe, a file): read whole once, handed out a line at a time. */
let pipedLines: Promise<string[]> | undefined;
async function piped(prompt: string): Promise<string> {
  process.stderr.write(`${prompt}: \n`);
  pipedLines ??= new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (data += chunk));
    process.stdin.once('end', () => resolve(data.split(/\r?\n/)));
  });
  return (await pipedLines).shift() ?? '';
}
