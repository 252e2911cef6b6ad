import type { Config } from '../config';
import type { Services } from '../ports/services';
import { createInMemorySandbox } from '../sandbox/in-memory';

/** The services a worker talks to: the sandbox when no credentials are configured, else the real adapters. */
export function selectServices(config: Config): Services {
  if (config.sandbox) return createInMemorySandbox();
  throw new Error(
    'Real service adapters (OpenAI, X, Convex, Telegram) are not part of this build yet: unset the service credentials, or set STEADFAST_SANDBOX=on, to run on the sandbox',
  );
}
