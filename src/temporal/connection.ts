import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config';

/** Connection options shared by clients and workers: a local dev server, a self-hosted cluster or Temporal Cloud. */
export function connectionOptions(
  config: TemporalConfig,
): Pick<ConnectionOptions, 'address' | 'tls'> & { apiKey: string | undefined } {
  const read = (path: string | undefined) => (path ? readFileSync(path) : undefined);
  const tls = config.tls;
  return {
    address: config.address,
    apiKey: config.apiKey,
    tls:
      tls === false
        ? false
        : {
            serverNameOverride: tls.serverName,
            serverRootCACertificate: read(tls.serverCaCertPath),
            clientCertPair:
              tls.clientCertPath && tls.clientKeyPath
                ? { crt: read(tls.clientCertPath)!, key: read(tls.clientKeyPath)! }
                : undefined,
          },
  };
}

export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '5s' });
  return new Client({ connection, namespace: config.namespace });
}

export function connectWorkerConnection(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}
