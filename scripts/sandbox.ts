import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { startConvexSimulator } from '../src/sandbox/convex-simulator';
import { startOpenAiSimulator } from '../src/sandbox/openai-simulator';
import { startXSimulator } from '../src/sandbox/x-simulator';

/**
 * `npm run sandbox`: the service simulators on fixed loopback ports (STEADFAST_SANDBOX_PORT and the next two), so
 * another terminal or program finds them without configuration. Convex documents persist in .cache/sandbox/; the X
 * simulator's certificate is written there for clients that must trust it. Ctrl-C stops them.
 */
async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const dir = resolve(__dirname, '..', '.cache', 'sandbox');
  mkdirSync(dir, { recursive: true });
  const base = config.sandboxPort;

  const openai = await startOpenAiSimulator(base);
  const x = await startXSimulator(base + 1);
  const convex = await startConvexSimulator({ port: base + 2, dataFile: join(dir, 'convex.json') });
  const caPath = join(dir, 'x-ca.pem');
  writeFileSync(caPath, x.ca);

  console.log(`OpenAI-compatible API  ${openai.url}/v1`);
  console.log(`X API v2 (HTTPS)       ${x.url}/2/   certificate: ${caPath}`);
  console.log(`Convex HTTP API        ${convex.url}`);
  console.log('Each has GET /_sandbox/state and POST /_sandbox/faults. Ctrl-C stops them.');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await Promise.all([openai.close(), x.close(), convex.close()]);
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
