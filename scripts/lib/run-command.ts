import { setMaxListeners } from 'node:events';
import { constants } from 'node:os';

/**
 * What a command started, stopped on every way out — its normal end, Ctrl-C (SIGINT), SIGTERM, a crash — last
 * started first, as `defer` does. A second Ctrl-C during the clean-up stops at once: each step still pending gets its
 * quick `now` (a SIGKILL for a child process), and the command says what it left.
 */
export interface TeardownStep {
  /** What the step stops, as the command's user would name it: "the Schedules watch:alice, watch:bob". */
  what: string;
  /** Stops it; a returned line says what was done (printed always), else "stopped <what>" after a signal. */
  stop: () => Promise<string | void>;
  /**
   * At a second Ctrl-C, what can still be done at once, synchronously: true when that stopped it, as a SIGKILL
   * stops a child, or when it ends with this process anyway (a server of its own, a connection).
   */
  now?: () => boolean;
  /** Not worth a line of its own (a connection, a file of the command's): stopped without a word. */
  quiet?: boolean;
}

export interface Teardown {
  defer(step: TeardownStep): void;
  /** Aborted by the first SIGINT or SIGTERM: the main flow stops waiting and prints nothing more. */
  signal: AbortSignal;
  /** True while every step that has run so far succeeded. */
  readonly clean: boolean;
}

/** A failure the user can act on: printed as its one line, without a stack; the command exits `exitCode` (2). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export interface RunCommandOptions {
  /** Main itself finishes when `signal` aborts (`npm start`, whose Ctrl-C is its normal end). */
  endsOnSignal?: boolean;
  /** Where the clean-up speaks; standard error by default, so that standard output keeps only results. */
  say?: (line: string) => void;
  /** Said once everything has stopped. */
  farewell?: string;
  /** Said after what a second Ctrl-C left behind: how it will be cleared. */
  whenLeft?: string;
}

/** Signals that arrive this soon after the first are the same Ctrl-C, relayed by npm and tsx to this process. */
const sameInterruptMs = 500;

/**
 * Runs `main`, then the clean-up, then exits with main's code: 130 or 143 when a signal ended it, 1 on a crash or a
 * clean-up that failed, a CommandError's own.
 */
export function runCommand(main: (teardown: Teardown) => Promise<number>, options: RunCommandOptions = {}): void {
  const say = options.say ?? ((line: string) => console.error(line));
  const steps: TeardownStep[] = [];
  const aborter = new AbortController();
  setMaxListeners(0, aborter.signal); // every wait of the main flow listens to it: hundreds at once is normal
  let crashed = false;
  let signalled: number | undefined;
  const interrupted = () => aborter.signal.aborted && !crashed && !options.endsOnSignal;
  let clean = true;
  let running: TeardownStep | undefined;
  let firstSignalAt = 0;
  let exitWith: ((code: number) => void) | undefined;

  const teardown: Teardown = {
    defer: (step) => void steps.push(step),
    signal: aborter.signal,
    get clean() {
      return clean;
    },
  };

  const runSteps = async () => {
    for (let step = steps.pop(); step; step = steps.pop()) {
      running = step;
      try {
        const line = (await step.stop()) || (interrupted() && !step.quiet ? `stopped ${step.what}` : undefined);
        if (line) say(`  ${line}`);
      } catch (err) {
        clean = false;
        say(`  could not stop ${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    running = undefined;
  };

  const stopAtOnce = () => {
    const pending = [...(running ? [running] : []), ...steps.reverse()];
    const left = pending
      .filter((step) => !(step.now?.() ?? step.quiet))
      .map((step) => (step === running ? `${step.what} (stopped midway)` : step.what));
    say(
      left.length
        ? `Stopped at once. Left behind: ${left.join('; ')}.${options.whenLeft ? ` ${options.whenLeft}` : ''}`
        : 'Stopped at once; nothing was left behind.',
    );
    process.exit(130);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (aborter.signal.aborted) {
      if (Date.now() - firstSignalAt >= sameInterruptMs) stopAtOnce();
      return;
    }
    firstSignalAt = Date.now();
    aborter.abort(signal);
    if (options.endsOnSignal) return;
    say(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping what this started (Ctrl-C again to stop at once)…`);
    signalled = 128 + constants.signals[signal];
    exitWith?.(signalled);
  };
  const onCrash = (err: unknown) => {
    // After a signal or a first crash the main flow is abandoned: what it meets while things stop is not news.
    if (interrupted() || crashed) return;
    console.error(err instanceof CommandError ? `Error: ${err.message}` : err);
    exitWith?.(err instanceof CommandError ? err.exitCode : 1);
    // The main flow stops too: nothing it would still start can come after the clean-up.
    crashed = true;
    aborter.abort(err);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  void (async () => {
    const code = await new Promise<number>((done) => {
      exitWith = done;
      main(teardown).then(done, onCrash);
    });
    exitWith = undefined;
    await runSteps();
    if (clean && options.farewell) say(options.farewell);
    // Whatever main said, a clean-up that failed left something running: not a success.
    process.exit(signalled ?? (code === 0 && !clean ? 1 : code));
  })();
}
