import { Client, Connection } from '@temporalio/client';
import { toClientOptions } from '@temporalio/envconfig';
import type { TemporalConfig } from '../config';
import { keyRingOf } from '../encryption/key-ring';
import { dataConverter } from '../encryption/data-converter';

/**
 * Connection options shared by clients and workers — a local dev server, a self-hosted cluster or Temporal Cloud —
 * from the profile Temporal's envconfig read (TLS when asked for or implied by an API key; files read here).
 */
export function connectionOptions(config: TemporalConfig) {
  return toClientOptions(config.profile).connectionOptions;
}

export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '5s' });
  return new Client({ connection, namespace: config.namespace, dataConverter: temporalDataConverter(config) });
}

/** Every client's and worker's data converter: payloads encrypted as the config says (src/encryption/data-converter.ts). */
export function temporalDataConverter(config: TemporalConfig) {
  return dataConverter(keyRingOf(config.encryption), { acceptPlain: config.acceptPlainPayloads });
}
