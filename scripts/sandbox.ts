import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { startSandbox } from '../src/sandbox/sandbox';

/**
 * `npm run sandbox`: the four service simulators on fixed loopback ports (STEADFAST_SANDBOX_PORT and the next four),
 * so another terminal or program finds them without configuration. Convex documents, the X certificate and the
 * sandbox accounts' store are in .cache/sandbox-<port>/. Ctrl-C stops them.
 */
async function run(): Promise<void> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const sandbox = await startSandbox(config.sandboxPort);
  const { endpoints } = sandbox;

  console.log(`OpenAI-compatible API  ${endpoints.openaiUrl}/v1`);
  console.log(`X API v2 (HTTPS)       ${endpoints.xUrl}/2/   certificate: ${endpoints.caPath}`);
  console.log(`Convex HTTP API        ${endpoints.convexUrl}`);
  console.log(
    `Telegram (MTProto)     127.0.0.1:${endpoints.telegramMtprotoPort}   control: ${endpoints.telegramControlUrl}`,
  );
  console.log(`Account store          ${endpoints.accountStorePath}   (alice and bob, logged in)`);
  console.log('Each control API has GET /_sandbox/state and POST /_sandbox/faults. Ctrl-C stops them.');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await sandbox.close();
  console.log('sandbox stopped');
}

run().catch((err) => {
  console.error(
    err instanceof Error && 'code' in err && err.code === 'EADDRINUSE'
      ? `${err.message}: is a sandbox already running? Set STEADFAST_SANDBOX_PORT to use other ports.`
      : err,
  );
  process.exit(1);
});
