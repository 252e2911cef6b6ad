import type { Config } from '../../src/config';
import { startOwnersCodecServer } from '../../src/encryption/remote-codec-server';
import type { Teardown } from './run-command';

/**
 * Starts the owner's codec server for `npm start` and the demo, so the Web UI shows decoded payloads while they run,
 * and stops it on their way out. One that already listens (`npm run codec-server`, another command) serves instead.
 */
export async function startCodecServerStep(config: Config, teardown: Teardown, say: (line: string) => void) {
  try {
    const server = await startOwnersCodecServer(config);
    if (!server) return;
    teardown.defer({ what: `the codec server (${server.url})`, stop: () => server.close(), now: () => true });
    say(`Started the codec server at ${server.url}: the Web UI decodes payloads with it`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    say(`Port ${config.codecServer.port} already has a codec server (or something else): the Web UI uses that one`);
  }
}
