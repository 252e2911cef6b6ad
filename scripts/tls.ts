import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { productionStateDir } from './lib/production-stack';
import { clientTlsEnv, makeTemporalCertificates } from './lib/tls-certificates';

/**
 * `npm run tls:generate [-- --host <name or address> …] [--renew]`: the production engine's mutual TLS certificates
 * (scripts/lib/tls-certificates.ts) in STEADFAST_PRODUCTION_TLS, or `<state>/tls` — kept if they exist, unless --renew —
 * and the lines for `.env`: the engine's own, and what every client (workers, the CLI, on this host or another) sets.
 */
async function run(): Promise<void> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const { values } = parseArgs({
    options: { host: { type: 'string', multiple: true, default: [] }, renew: { type: 'boolean', default: false } },
  });
  const dir = resolve(config.productionTls ?? resolve(config.productionState ?? productionStateDir, 'tls'));
  const files = await makeTemporalCertificates(dir, { hosts: values.host, renew: values.renew });
  console.error(`Certificates in ${dir} (the CA's key stays there: keep it as you keep the encryption key).`);
  console.error('Add to .env on this host (the engine requires the client certificate of every connection):');
  console.log(`STEADFAST_PRODUCTION_TLS=${dir}`);
  for (const [name, value] of Object.entries(clientTlsEnv(files))) console.log(`${name}=${value}`);
  console.error(
    'On another host, copy ca.pem, client.pem and client-key.pem, and set the same TEMPORAL_TLS_* variables to their paths there.',
  );
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
