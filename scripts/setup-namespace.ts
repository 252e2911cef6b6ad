import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { cliRetention } from '../src/temporal/retention';
import { resolveTemporalCli, TemporalCliUnavailable } from './lib/temporal-cli-build';

/**
 * `npm run namespace:setup`: the namespace of TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS (from `.env`), with the search
 * attributes Steadfast's workflows set, through deploy/temporal/setup-namespace.sh and the pinned `temporal` CLI: for
 * a cluster of the owner's own, or Temporal Cloud (whose namespace is made in its console: the script finds it and adds
 * the attributes). `npm run server` and `npm run server:production` set up their own. Idempotent.
 */
function run(): number {
  loadEnvFile();
  const config = loadConfigOrExit();
  let cli: string;
  try {
    cli = resolveTemporalCli({ say: (line) => console.error(line) });
  } catch (err) {
    if (!(err instanceof TemporalCliUnavailable)) throw err;
    console.error(err.message);
    return 1;
  }
  const { address, namespace } = config.temporal;
  console.log(`Setting up namespace ${namespace} at ${address} (waits up to 2 minutes for the server to answer)…`);
  // An empty variable is unset to Steadfast; the temporal CLI takes an empty TEMPORAL_TLS* as set, and speaks TLS.
  const given = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value?.trim()));
  const setup = spawnSync('sh', [join(__dirname, '..', 'deploy', 'temporal', 'setup-namespace.sh')], {
    env: {
      ...given,
      TEMPORAL_CLI: cli,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_NAMESPACE_RETENTION: cliRetention(config.temporal.retention),
    },
    stdio: 'inherit',
  });
  return setup.status ?? 1;
}

process.exit(run());
