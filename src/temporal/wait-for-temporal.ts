import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, type Client } from '@temporalio/client';

/**
 * A process started before its Temporal server (at boot, or by a process manager that starts everything at once)
 * waits for it instead of crashing: the one wait the project does by hand, as the rule on retries allows for a
 * process waiting at start-up for its server. What cannot be cured by waiting (a refused API key, a TLS error, a
 * bad address) is thrown at once.
 */
export interface WaitOptions {
  /** The server, as the lines name it. */
  address: string;
  /** One line when the wait begins, and one when it ends. */
  say: (line: string) => void;
  /** Ends the wait (Ctrl-C, SIGTERM): the last error is thrown. */
  signal?: AbortSignal;
  /** The first pause; it doubles up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** gRPC's status codes (grpc.status) that Temporal's client errors carry. */
const grpcStatus = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNAVAILABLE: 14 } as const;

/** Errors that say the server is not there yet (down, starting, not resolvable yet), not that it refused us. */
const notUpYet =
  /ConnectionRefused|Connection refused|ECONNREFUSED|ConnectionReset|Connection reset|ECONNRESET|dns error|ENOTFOUND|EAI_AGAIN|No route to host|Network is unreachable|UNAVAILABLE|deadline|timed out|TimedOut/i;

export function isServerNotUpYet(err: unknown): boolean {
  if (isGrpcServiceError(err)) {
    const code: number = err.code;
    return code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED;
  }
  return notUpYet.test(err instanceof Error ? `${err.name} ${err.message}` : String(err));
}

export async function untilTemporalAnswers<T>(connect: () => Promise<T>, options: WaitOptions): Promise<T> {
  const { address, say, signal, firstDelayMs = 1_000, maxDelayMs = 30_000 } = options;
  const started = Date.now();
  let delay = firstDelayMs;
  let waiting = false;
  for (;;) {
    try {
      const connected = await connect();
      if (waiting) say(`Temporal at ${address} answered after ${Math.round((Date.now() - started) / 1000)} s`);
      return connected;
    } catch (err) {
      if (!isServerNotUpYet(err) || signal?.aborted) throw err;
      if (!waiting) {
        say(
          `Waiting for Temporal at ${address} (${reason(err)}): trying again with a growing delay, up to every ${maxDelayMs / 1000} s`,
        );
        waiting = true;
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}

/** The server's first words on why it is not there: no stack, no Rust error chain. */
function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/refused/i.test(message)) return 'connection refused';
  if (/dns error|ENOTFOUND|EAI_AGAIN/i.test(message)) return 'its name does not resolve yet';
  if (/deadline|timed out/i.test(message)) return 'no answer in time';
  return 'unavailable';
}

/** The namespace exists; else a line that says how to create it. */
export async function checkNamespace(client: Client, namespace: string, address: string): Promise<string | undefined> {
  try {
    await client.workflowService.describeNamespace({ namespace });
    return undefined;
  } catch (err) {
    if (isGrpcServiceError(err) && (err.code as number) === grpcStatus.NOT_FOUND) {
      return `Temporal at ${address} has no namespace ${namespace}: create it with \`TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${namespace} sh deploy/temporal/setup-namespace.sh\` (npm run server and npm run server:production make theirs), or set TEMPORAL_NAMESPACE`;
    }
    throw err;
  }
}
