import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/**
 * Mutual TLS for the production engine on one host (`npm run tls:generate`): a certificate authority of the
 * deployment's own, the server's certificate (for its clients and for its services between themselves), and one
 * client certificate that workers and the CLI present. The server requires a certificate this CA signed of every
 * connection; nobody without one reaches it, wherever they are on the network.
 */
export interface TemporalTlsFiles {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function temporalTlsFiles(dir: string): TemporalTlsFiles {
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client-key.pem'),
  };
}

/** The name every client checks the server's certificate against (TEMPORAL_TLS_SERVER_NAME). */
export const temporalServerName = 'localhost';

const years = (n: number) => new Date(Date.now() + n * 365 * 24 * 3600 * 1000);

/**
 * Makes the files in `dir` (the CA kept, so more clients can be added later; what exists is kept unless `renew`).
 * `hosts`: more names or addresses the server is reached by, from other hosts (its certificate lists them all).
 */
export async function makeTemporalCertificates(
  dir: string,
  options: { hosts?: string[]; renew?: boolean } = {},
): Promise<TemporalTlsFiles> {
  const files = temporalTlsFiles(dir);
  if (!options.renew && existsSync(files.clientKey)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKeyPath = join(dir, 'ca-key.pem');
  const common = { keyType: 'ec' as const, algorithm: 'sha256' };
  const ca = existsSync(caKeyPath)
    ? { key: readFileSync(caKeyPath, 'utf8'), cert: readFileSync(files.ca, 'utf8') }
    : await generate([{ name: 'commonName', value: 'Steadfast Temporal CA' }], {
        ...common,
        notAfterDate: years(10),
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ],
      }).then((made) => ({ key: made.private, cert: made.cert }));
  const names = [temporalServerName, '127.0.0.1', hostname(), ...(options.hosts ?? [])];
  const altNames = [...new Set(names)].map((name) =>
    isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  const server = await generate([{ name: 'commonName', value: temporalServerName }], {
    ...common,
    notAfterDate: years(2),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      // The server's services connect to each other with it too.
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  const client = await generate([{ name: 'commonName', value: 'steadfast' }], {
    ...common,
    notAfterDate: years(2),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  const write = (path: string, pem: string, mode: number) => writeFileSync(path, pem, { mode });
  write(caKeyPath, ca.key, 0o600);
  write(files.ca, ca.cert, 0o644);
  write(files.serverCert, server.cert, 0o644);
  write(files.serverKey, server.private, 0o600);
  write(files.clientCert, client.cert, 0o644);
  write(files.clientKey, client.private, 0o600);
  return files;
}

/** What clients (workers, the CLI, the temporal CLI) set to present the client certificate: Temporal's own names. */
export function clientTlsEnv(files: TemporalTlsFiles): Record<string, string> {
  return {
    TEMPORAL_TLS_CLIENT_CERT_PATH: files.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: files.clientKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
    TEMPORAL_TLS_SERVER_NAME: temporalServerName,
  };
}

/** The same for a client of Temporal's SDK in this process: the server's CA, its name, the client certificate. */
export function clientTlsConfig(files: TemporalTlsFiles): TLSConfig {
  return {
    serverNameOverride: temporalServerName,
    serverRootCACertificate: readFileSync(files.ca),
    clientCertPair: { crt: readFileSync(files.clientCert), key: readFileSync(files.clientKey) },
  };
}
