import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalPostgres, postgresBinDir } from './postgres';

/**
 * The production engine's two databases (deploy/temporal/setup-schema.sh makes them): dumped with pg_dump and restored
 * with pg_restore, PostgreSQL's own tools, over the engine's loopback port with its password. PostgreSQL is started for
 * the while if the engine is not running; Temporal Server must not be running for a restore.
 */
export const engineDatabases = ['temporal', 'temporal_visibility'] as const;

export function engineDatabase(stateDir: string, port: number) {
  const postgres = new LocalPostgres({ dir: join(stateDir, 'postgres'), port });
  const tool = (name: string, args: string[]) =>
    execFileSync(join(postgresBinDir(), name), args, {
      env: { ...process.env, PGPASSWORD: postgres.password() },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
  const url = (database: string) => `postgresql://${postgres.user}@127.0.0.1:${port}/${database}`;

  /** Runs `work` with PostgreSQL up: as it was, or started for it and stopped after. */
  async function withPostgres<T>(work: () => T | Promise<T>): Promise<T> {
    const wasRunning = postgres.isRunning();
    postgres.start();
    try {
      return await work();
    } finally {
      if (!wasRunning) postgres.stop();
    }
  }

  return {
    /** Whether the engine keeps its data here (a cluster was made). */
    exists: () => existsSync(join(postgres.dataDir, 'PG_VERSION')),
    /** Each database into `<dir>/<name>.dump` (pg_dump's custom format), consistent as of the dump's start. */
    dump: (dir: string) =>
      withPostgres(() => {
        for (const database of engineDatabases) {
          tool('pg_dump', ['--format=custom', '--file', join(dir, `${database}.dump`), '--dbname', url(database)]);
        }
      }),
    /** Each database as the dump has it, replacing what is there (a new cluster is made if there is none). */
    restore: (dir: string) =>
      withPostgres(() => {
        for (const database of engineDatabases) {
          tool('pg_restore', [
            '--clean',
            '--if-exists',
            '--create',
            '--exit-on-error',
            '--dbname',
            url('postgres'),
            join(dir, `${database}.dump`),
          ]);
        }
      }),
  };
}
