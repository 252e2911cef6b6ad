import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { convexBackup, convexTables } from '../src/adapters/convex/convex-backup';
import { loadConfigOrExit } from '../src/config';
import { loadEnvFile } from '../src/env-file';
import { deploymentStores } from '../src/adapters/create-services';
import type { BackupManifest } from './lib/backup-manifest';
import { isServerUp } from './lib/dev-server';
import { engineDatabase } from './lib/engine-database';
import { productionStateDir } from './lib/production-stack';
import { CommandError } from './lib/run-command';

/**
 * `npm run restore -- <dir>`: a backup of `npm run backup` back into this deployment, with the engine stopped: its
 * databases as they were (the replies that waited then wait again), the Convex documents that are missing (a document
 * whose key is there is kept: it is newer), and the account store's file where there is none. X rotates OAuth 2.0
 * refresh tokens: an account whose tokens were refreshed since the backup must be authorised again (docs/operations.md).
 */
async function run(): Promise<void> {
  loadEnvFile();
  const config = loadConfigOrExit();
  const [source] = process.argv.slice(2);
  if (!source) throw new CommandError('usage: npm run restore -- <dir> (a folder npm run backup made)');
  const dir = resolve(source);
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new CommandError(`${dir} holds no backup (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BackupManifest;
  const say = (line: string) => console.log(line);
  say(`Restoring the backup of ${manifest.createdAt} (release ${manifest.release}).`);

  if (manifest.temporal === 'engine') {
    if (await isServerUp(config.temporal)) {
      throw new CommandError(
        `A Temporal server answers at ${config.temporal.address}: stop the engine first (systemctl stop steadfast-engine, or Ctrl-C on npm run server:production), then restore`,
      );
    }
    const stateDir = resolve(config.productionState ?? productionStateDir);
    mkdirSync(stateDir, { recursive: true });
    await engineDatabase(stateDir, config.postgresPort).restore(dir);
    say(`Temporal: the engine's databases in ${stateDir}, as of the backup`);
  }

  const stores = deploymentStores(config);
  const convex = convexBackup(stores.convex);
  for (const table of convexTables) {
    const file = join(dir, 'convex', `${table}.jsonl`);
    if (!existsSync(file)) continue;
    const documents = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const { inserted, kept } = await convex.restore(table, documents);
    say(`Convex ${table}: ${inserted} restored${kept ? `, ${kept} kept as they are (already there)` : ''}`);
  }

  const saved = join(dir, 'accounts.json');
  if (stores.accountStoreFile && existsSync(saved)) {
    if (existsSync(stores.accountStoreFile)) {
      say(`Account store: ${stores.accountStoreFile} is there and newer: kept (the backup's is ${saved})`);
    } else {
      mkdirSync(dirname(stores.accountStoreFile), { recursive: true, mode: 0o700 });
      copyFileSync(saved, stores.accountStoreFile);
      say(`Account store: ${stores.accountStoreFile}, as of the backup`);
    }
  }
  say(
    'X rotates OAuth 2.0 refresh tokens: an account whose tokens were refreshed after the backup is refused by X, and its replies wait for authorisation. Authorise it again: npm run cli -- account connect-x <account>.',
  );
  say('Now start the engine and the workers (docs/operations.md, "Restore").');
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof CommandError ? err.exitCode : 1);
});
