import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { startOwnersCodecServer } from '../src/encryption/remote-codec-server';

/**
 * `npm run codec-server`: the codec server in the foreground, for the Web UI (`npm run server` points it here) and
 * `temporal workflow show --codec-endpoint`. `npm start` and the demo start one themselves.
 */
async function run(): Promise<void> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const server = await startOwnersCodecServer(config);
  if (!server) {
    console.error('STEADFAST_ENCRYPTION is off: payloads are plain JSON, there is nothing to decode.');
    process.exit(1);
  }
  const auth = config.codecServer.token ? ' --codec-auth "Bearer $STEADFAST_CODEC_TOKEN"' : '';
  console.log(`Codec server on ${server.url} for the Web UI at ${config.temporal.webUiUrl}   Ctrl-C stops it.`);
  console.log(
    `  temporal workflow show --namespace ${config.temporal.namespace} --workflow-id <id> --codec-endpoint ${server.url}${auth}`,
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  console.error(
    code === 'EADDRINUSE'
      ? 'The codec port is taken (a codec server of `npm start` or the demo may be running): set STEADFAST_CODEC_PORT'
      : err instanceof Error
        ? err.message
        : err,
  );
  process.exit(1);
});
