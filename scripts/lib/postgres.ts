import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { isExecutable, onPath } from './go-install';

/**
 * A PostgreSQL cluster of the project's own in a folder (git-ignored), on a loopback port, run by PostgreSQL's own
 * tools: initdb once, then pg_ctl. Its password is made once and kept beside the data (mode 600). PostgreSQL refuses
 * to run as root, so as root its tools run as the `postgres` user that Debian's package creates.
 */
export class PostgresUnavailable extends Error {
  override readonly name = 'PostgresUnavailable';
}

const installHelp =
  'Install PostgreSQL 12 or newer (Debian: apt-get install postgresql) or set STEADFAST_POSTGRES_BIN to the folder ' +
  'that holds its initdb and pg_ctl.';

/** The folder of initdb and pg_ctl: STEADFAST_POSTGRES_BIN, then PATH, then Debian's /usr/lib/postgresql/<newest>. */
export function postgresBinDir(): string {
  const has = (dir: string) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl'));
  const explicit = process.env.STEADFAST_POSTGRES_BIN;
  if (explicit) {
    if (!has(explicit)) throw new PostgresUnavailable(`STEADFAST_POSTGRES_BIN=${explicit} holds no initdb and pg_ctl`);
    return explicit;
  }
  // Through a link (/usr/local/bin/pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl) to the installation's own folder,
  // which has its other tools too (pg_dump, pg_restore).
  const fromPath = onPath('pg_ctl');
  const installed = fromPath && dirname(realpathSync(fromPath));
  if (installed && has(installed)) return installed;
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(debian, v, 'bin'))
    .find(has);
  if (!newest) throw new PostgresUnavailable(`PostgreSQL was not found. ${installHelp}`);
  return newest;
}

export interface PostgresOptions {
  /** The cluster's folder: its data, log and password. */
  dir: string;
  port: number;
  user?: string;
}

export class LocalPostgres {
  readonly dataDir: string;
  readonly logFile: string;
  readonly port: number;
  readonly user: string;
  private readonly bin = postgresBinDir();
  private readonly passwordFile: string;
  /** As root, the tools run as `postgres`, which then owns the data folder. */
  private readonly runAs = process.getuid?.() === 0 ? ownerIds('postgres') : undefined;

  constructor(options: PostgresOptions) {
    this.dataDir = join(options.dir, 'data');
    this.logFile = join(options.dir, 'data', 'postgres.log');
    this.passwordFile = join(options.dir, 'password');
    this.port = options.port;
    this.user = options.user ?? 'temporal';
  }

  /** The password of `user`, made when the cluster was. */
  password(): string {
    return readFileSync(this.passwordFile, 'utf8').trim();
  }

  /** Creates the cluster the first time, then starts it (unless it runs) and waits until it takes connections. */
  start(): void {
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) this.init();
    if (this.isRunning()) return;
    this.pgCtl([
      'start',
      '--wait',
      '--log',
      this.logFile,
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]);
  }

  /** `fast` rolls back open transactions and disconnects; `immediate` is a crash, recovered from the WAL on start. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (!this.isRunning()) return;
    this.pgCtl(['stop', '--wait', '--mode', mode]);
  }

  isRunning(): boolean {
    try {
      this.pgCtl(['status']);
      return true;
    } catch {
      return false;
    }
  }

  restart(mode: 'fast' | 'immediate'): void {
    this.stop(mode);
    this.start();
  }

  private init(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
    // Its parents open to `postgres` (it must reach its data), the data folder to it alone.
    mkdirSync(dirname(this.dataDir), { recursive: true, mode: 0o755 });
    if (this.runAs) {
      const reach = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dirname(this.dataDir)]);
      if (reach.status !== 0) {
        throw new PostgresUnavailable(
          `PostgreSQL runs as the postgres user here (not as root), and it cannot reach ${dirname(this.dataDir)}: ` +
            'keep the state in a folder whose parents it may enter (chmod o+x), or choose one (STEADFAST_PRODUCTION_STATE)',
        );
      }
    }
    mkdirSync(this.dataDir, { mode: 0o700 });
    if (!existsSync(this.passwordFile)) {
      writeFileSync(this.passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
    }
    // initdb reads the password from a file of its own user's, deleted once the cluster exists.
    const pwfile = join(this.dataDir, '..', '.initdb-password');
    writeFileSync(pwfile, this.password(), { mode: 0o600 });
    if (this.runAs) {
      chownSync(this.dataDir, this.runAs.uid, this.runAs.gid);
      chownSync(pwfile, this.runAs.uid, this.runAs.gid);
    }
    try {
      this.run('initdb', [
        '--pgdata',
        this.dataDir,
        '--username',
        this.user,
        '--pwfile',
        pwfile,
        '--auth',
        'scram-sha-256',
        '--encoding',
        'UTF8',
        '--no-instructions',
      ]);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  private pgCtl(args: string[]): void {
    this.run('pg_ctl', ['--pgdata', this.dataDir, ...args]);
  }

  private run(tool: string, args: string[]): void {
    const [command, rest] = this.runAs
      ? ['runuser', ['-u', 'postgres', '--', join(this.bin, tool), ...args]]
      : [join(this.bin, tool), args];
    try {
      execFileSync(command, rest, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw new PostgresUnavailable(
        `${tool} ${args[0] ?? ''} failed: ${stderr || (err instanceof Error ? err.message : String(err))}` +
          (existsSync(this.logFile) ? ` (log: ${this.logFile})` : ''),
      );
    }
  }
}

function ownerIds(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new PostgresUnavailable(
      `PostgreSQL does not run as root, and there is no \`${user}\` user to run it as. ${installHelp}`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}
