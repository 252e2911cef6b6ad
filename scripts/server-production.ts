import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { codecEndpoint } from '../src/encryption/remote-codec-server';
import { devServerPorts, isServerUp } from './lib/dev-server';
import { startCodecServerStep } from './lib/owner-codec';
import { ProductionStack, productionStateDir, stopLeftProcesses } from './lib/production-stack';
import { CommandError, runCommand, type Teardown } from './lib/run-command';
import { clientTlsConfig, temporalTlsFiles } from './lib/tls-certificates';

/**
 * `npm run server:production`: the production engine on this host, in the foreground: Temporal Server on PostgreSQL
 * (scripts/lib/production-stack.ts) at TEMPORAL_ADDRESS, its Web UI at TEMPORAL_UI_URL's port with Steadfast's codec
 * server, and TEMPORAL_NAMESPACE with the search attributes. State in .temporal/production/ (STEADFAST_PRODUCTION_STATE),
 * kept across restarts.
 * Ctrl-C stops all of it: the UI, the server, then PostgreSQL.
 */
async function run(teardown: Teardown): Promise<number> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const say = (line: string) => console.log(line);
  const { host, port, uiPort } = devServerPorts(config.temporal);
  if (!['localhost', '127.0.0.1'].includes(host)) {
    throw new CommandError(
      `TEMPORAL_ADDRESS=${config.temporal.address}: this server listens on loopback only; use localhost:<port>`,
    );
  }
  const stateDir = resolve(config.productionState ?? productionStateDir);
  const tls = config.productionTls ? temporalTlsFiles(resolve(config.productionTls)) : undefined;
  if (tls && !existsSync(tls.serverKey)) {
    throw new CommandError(
      `STEADFAST_PRODUCTION_TLS=${config.productionTls}: no certificates there: make them with \`npm run tls:generate\``,
    );
  }
  await stopLeftProcesses(stateDir, say);
  if ((await isServerUp(config.temporal)) || (tls && (await isServerUp(config.temporal, clientTlsConfig(tls))))) {
    throw new CommandError(
      `A Temporal server already answers at ${config.temporal.address} (\`npm run server\`?): stop it, or set TEMPORAL_ADDRESS to another port`,
    );
  }
  let started: Awaited<ReturnType<typeof ProductionStack.start>>;
  try {
    started = await ProductionStack.start({
      stateDir,
      port,
      dbPort: config.postgresPort,
      namespaces: [config.temporal.namespace],
      logLevel: 'warn',
      say,
      tls,
      bindIp: config.productionBindIp,
      retention: config.temporal.retention,
      historyShards: config.historyShards,
    });
  } catch (err) {
    // What failed is in the message (a missing PostgreSQL, a failed build, a script's output): one line, no stack.
    throw new CommandError(err instanceof Error ? err.message : String(err));
  }
  const { stack, timings } = started;
  teardown.defer({ what: 'the Temporal Server and PostgreSQL', stop: () => stack.stop() });
  await startCodecServerStep(config, teardown, say);
  await stack.startUi(uiPort, config.temporal.namespace, codecEndpoint(config));
  const ready = timings.build + timings.postgres + timings.schema + timings.server + timings.namespaces;
  say(
    `Ready in ${ready.toFixed(1)} s: namespace ${config.temporal.namespace} with the AccountId and Stage search attributes.`,
  );
  if (tls)
    say(`Mutual TLS: every client shows the certificate of ${tls.dir} (npm run tls:generate prints the settings).`);
  say(`Web UI: ${config.temporal.webUiUrl}   metrics: ${stack.metricsUrl}   Ctrl-C stops it.`);
  if (!teardown.signal.aborted) {
    await new Promise<void>((resolve) => teardown.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  return 0;
}

runCommand(run, { endsOnSignal: true, say: (line) => console.log(line), farewell: 'Stopped.' });
