import {
  DefaultFailureConverter,
  TemporalFailure,
  type PayloadConverter,
  type ProtoFailure,
  type SerializationContext,
} from '@temporalio/common';

/**
 * The text of one failure and its causes (messages and stack traces) kept below what the server stores of a retrying
 * activity's last failure: about 2 KB, beyond which it shows "Failure exceeds size limit." instead (in `reply status`,
 * the Web UI's pending activity), and the reason is lost. Each level adds about 200 bytes of its own (the encrypted
 * payload's envelope, the failure's fields).
 */
const textBudget = 1000;
/** Causes kept below the outermost failure: the ones further down say little the first ones do not. */
const maxCauses = 2;

/**
 * Failures' messages and stack traces go into an encoded payload (which the codec encrypts), not the plain fields:
 * an error may quote a message or a draft. A failure whose text would not fit the budget is cut before it is encoded:
 * stack traces to their first frames, then messages, the outermost (the classified reason) kept longest. Loaded by
 * path in workflows (the bundle) and by workers and clients.
 */
class BoundedFailureConverter extends DefaultFailureConverter {
  override errorToFailure(
    err: unknown,
    payloadConverter: PayloadConverter,
    context?: SerializationContext,
  ): ProtoFailure {
    // A failure received from the server (err.failure) is sent on as it came.
    if (!(err instanceof TemporalFailure && err.failure)) fitChain(err);
    return super.errorToFailure(err, payloadConverter, context);
  }
}

/** Cuts an error chain's text to the budget, in place: the errors are on their way out as failures. Idempotent. */
function fitChain(err: unknown): void {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && chain.length <= maxCauses; e = e.cause) chain.push(e);
  const deepest = chain.at(-1);
  if (chain.length > maxCauses && deepest) deepest.cause = undefined;
  const size = () => chain.reduce((n, e) => n + e.message.length + (e.stack?.length ?? 0), 0);
  if (size() <= textBudget) return;
  // A stack's first line repeats the message: kept short, with the frames that say where.
  for (const e of chain) e.stack = cutStack(e.stack, 2);
  if (size() <= textBudget) return;
  chain.forEach((e, depth) => {
    e.message = clip(e.message, depth === 0 ? 300 : 120);
    e.stack = depth === 0 ? cutStack(e.stack, 1) : '';
  });
}

/** A stack trace's first line (the error and its message) clipped, and its first `frames` frames. */
function cutStack(stack: string | undefined, frames: number): string | undefined {
  if (stack === undefined) return undefined;
  const [first = '', ...rest] = stack.split('\n');
  return [clip(first, 60), ...rest.slice(0, frames).map((line) => clip(line, 160))].join('\n');
}

const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

export const failureConverter = new BoundedFailureConverter({ encodeCommonAttributes: true });
