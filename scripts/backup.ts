import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convexBackup, convexTables } from '../src/adapters/convex/convex-backup';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { release } from '../src/release';
import { deploymentStores } from '../src/adapters/create-services';
import { engineDatabase } from './lib/engine-database';
import { productionStateDir } from './lib/production-stack';
import { CommandError } from './lib/run-command';
import type { BackupManifest } from './lib/backup-manifest';

/**
 * `npm run backup -- <dir>`: what a deployment cannot do without, into a new folder (mode 700): the production
 * engine's two databases (pg_dump; the replies, syncs and sessions in flight are there), every document of Convex
 * (the account store's too when it lives there, sealed), and the account store's file when it is a file. Not the
 * encryption key nor `.env`: they are secrets, kept apart from the backup, and without the key the backup is unreadable.
 * `npm run restore -- <dir>` brings it back (docs/operations.md).
 */
async function run(): Promise<void> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const [target] = process.argv.slice(2);
  if (!target) throw new CommandError('usage: npm run backup -- <dir> (a folder that does not exist yet)');
  const dir = resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new CommandError(`${dir} is not empty: back up into a new folder`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const say = (line: string) => console.log(line);

  // Temporal's state: the production engine's databases when it runs on this host.
  const stateDir = resolve(config.productionState ?? productionStateDir);
  const engine = engineDatabase(stateDir, config.postgresPort);
  const temporal = engine.exists() ? 'engine' : 'elsewhere';
  if (temporal === 'engine') {
    await engine.dump(dir);
    say(`Temporal: the engine's databases (${stateDir}) into temporal.dump and temporal_visibility.dump`);
  } else {
    say(
      `Temporal: no production engine here (${stateDir}); back up the database of the Temporal at ${config.temporal.address} where it runs (docs/operations.md)`,
    );
  }

  const stores = deploymentStores(config);
  const convex = convexBackup(stores.convex);
  const counts: Record<string, number> = {};
  mkdirSync(join(dir, 'convex'), { mode: 0o700 });
  for (const table of convexTables) {
    const lines: string[] = [];
    for await (const page of convex.documents(table)) lines.push(...page.map((document) => JSON.stringify(document)));
    writeFileSync(join(dir, 'convex', `${table}.jsonl`), lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
    counts[table] = lines.length;
  }
  say(
    `Convex: ${Object.entries(counts)
      .map(([table, n]) => `${n} ${table}`)
      .join(', ')}`,
  );

  if (stores.accountStoreFile && existsSync(stores.accountStoreFile)) {
    copyFileSync(stores.accountStoreFile, join(dir, 'accounts.json'));
    chmodSync(join(dir, 'accounts.json'), 0o600);
    say(`Account store: ${stores.accountStoreFile} (sessions and tokens in the clear: keep this folder private)`);
  } else if (!stores.accountStoreFile) {
    say("Account store: Convex's accountSecrets documents above, sealed with the encryption key");
  }
  const manifest: BackupManifest = {
    release,
    createdAt: new Date().toISOString(),
    temporal,
    convex: counts,
    accountStore: stores.accountStoreFile ? 'file' : 'convex',
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  say(`Backed up into ${dir}.`);
  say(
    'Not in it: the encryption key (STEADFAST_ENCRYPTION_KEY in .env; .steadfast/ on the sandbox) and .env. Keep them apart, safely: without the key nothing in Temporal or the sealed account store can be read.',
  );
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof CommandError ? err.exitCode : 1);
});
