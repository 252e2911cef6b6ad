/**
 * A failure to show the user as one line, `label: message`, and exit with `exitCode`, never as a stack trace: 1 for
 * a command that failed or wrong arguments, 2 for a bad configuration.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly label = 'Error',
  ) {
    super(message);
  }
}

/** A command that has said what it had to and exits with `code`: an unhealthy `health`, a refused login code. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
