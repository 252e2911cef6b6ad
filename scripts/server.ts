import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { codecEndpoint } from '../src/encryption/remote-codec-server';
import { devServerPorts, isServerUp, startDevServer, stateDir, stopDevServer } from './lib/dev-server';

/**
 * `npm run server`: the Temporal dev server in the foreground, its state kept in .temporal/dev.sqlite so workflows
 * survive a restart. When one already answers at TEMPORAL_ADDRESS, it says so and starts nothing.
 * `npm run server -- --stop` stops a dev server started in the background (by the demo).
 */
async function run(): Promise<void> {
  loadEnvFile();
  const config = loadConfigOrExit();
  if (process.argv.includes('--stop')) {
    const stopped = await stopDevServer(config.temporal);
    console.log(stopped ? 'Stopped the Temporal dev server.' : 'No dev server started by this project is running.');
    return;
  }
  const { port, uiPort, metricsPort } = devServerPorts(config.temporal);
  if (await isServerUp(config.temporal)) {
    console.log(`A Temporal server already answers at ${config.temporal.address}; not starting another.`);
    console.log(`Web UI: ${config.temporal.webUiUrl}`);
    return;
  }
  const server = await startDevServer(config.temporal, {
    detached: false,
    codecEndpoint: codecEndpoint(config),
    say: (line) => console.error(line),
  });
  console.log(
    `Temporal dev server on ${config.temporal.address} (gRPC port ${port}), namespace ${config.temporal.namespace}`,
  );
  console.log(`Web UI: http://localhost:${uiPort}   metrics: http://localhost:${metricsPort}/metrics`);
  const codec = codecEndpoint(config);
  if (codec) console.log(`The Web UI decodes payloads with the codec server at ${codec} (npm run codec-server).`);
  console.log(
    `Closed workflows, dead letters included, are kept ${config.temporal.retention} (TEMPORAL_NAMESPACE_RETENTION).`,
  );
  console.log(`State: ${stateDir}   Ctrl-C stops it.`);
  const stop = () => server.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise<void>((resolve, reject) =>
    server.once('exit', (code, signal) =>
      code === 0 || signal === 'SIGTERM' || signal === 'SIGINT'
        ? resolve()
        : reject(new Error(`The Temporal dev server exited with ${signal ?? code}`)),
    ),
  );
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
