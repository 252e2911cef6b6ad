import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { untilServerAnswers } from './dev-server';
import { LocalPostgres } from './postgres';
import { cliRetention } from '../../src/temporal/retention';
import { resolveTemporalCli } from './temporal-cli-build';
import { resolveTemporalServer, type TemporalServerBinaries } from './temporal-server-build';
import { clientTlsConfig, clientTlsEnv, type TemporalTlsFiles } from './tls-certificates';
import { Connection, type TLSConfig } from '@temporalio/client';

/**
 * The production engine on one host: Temporal Server (the pinned version, built once with Go) on a PostgreSQL
 * cluster of the project's own, with SQL visibility. Everything it is configured with lives in deploy/temporal/,
 * which docker-compose.yml mounts too: the server's config (config/production.yaml, a template filled from the
 * TEMPORAL_* variables below), its dynamic config, the schema setup and the namespace setup with Steadfast's search
 * attributes. `npm run server:production` runs it in the foreground; the production tests start one of their own.
 */
export const deployDir = resolve(__dirname, '..', '..', 'deploy', 'temporal');
export const productionStateDir = resolve(__dirname, '..', '..', '.temporal', 'production');

const run = promisify(execFile);

/** A new state folder for a stack (the bench's, a test's), open to the `postgres` user that runs its cluster as root. */
export function temporaryStateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // mkdtemp makes it 0700: `postgres` could not reach its data inside
  return dir;
}

/** The history shards of a new cluster when STEADFAST_HISTORY_SHARDS does not say (docs/performance.md, "Sizing"). */
export const defaultHistoryShards = 4;

/** The ports config/production.yaml takes, as offsets from TEMPORAL_PORT: to find a free base for them all. */
export const serverPortOffsets = [0, 1, 2, 6, 9, 10, -300, -299, -298, -294];

export interface ProductionStackOptions {
  /** PostgreSQL's data and the server's log. */
  stateDir: string;
  /** The frontend's gRPC port; the server's other ports follow from it (config/production.yaml). */
  port: number;
  dbPort: number;
  /** Registered, each with Steadfast's search attributes. */
  namespaces: string[];
  /** Mutual TLS with these certificates (tls-certificates.ts): every client must show the client certificate. */
  tls?: TemporalTlsFiles;
  /** The address it listens on: loopback (the default), or beyond it with TLS, for workers on other hosts. */
  bindIp?: string;
  /** How long the namespaces keep closed workflows (TEMPORAL_NAMESPACE_RETENTION); the script's default otherwise. */
  retention?: string;
  /** The history shards a new cluster is made with (4 unset); an existing cluster made with another count is refused. */
  historyShards?: number | undefined;
  logLevel?: string;
  say?: (line: string) => void;
}

/** How long each part of bringing the stack up took, in seconds. */
export interface StackTimings {
  build: number;
  postgres: number;
  schema: number;
  server: number;
  namespaces: number;
}

export class ProductionStack {
  readonly address: string;
  readonly metricsUrl: string;
  readonly postgres: LocalPostgres;
  readonly serverLog: string;
  /** The cluster's history shards (clusterShards), and where the count it was made with is kept. */
  private shards = defaultHistoryShards;
  private readonly shardsFile: string;
  private server: ChildProcess | undefined;
  private ui: ChildProcess | undefined;

  private constructor(
    private readonly options: ProductionStackOptions,
    private readonly binaries: TemporalServerBinaries,
  ) {
    this.address = `127.0.0.1:${options.port}`;
    this.metricsUrl = `http://127.0.0.1:${options.port + 9}/metrics`;
    mkdirSync(options.stateDir, { recursive: true });
    this.postgres = new LocalPostgres({ dir: join(options.stateDir, 'postgres'), port: options.dbPort });
    this.serverLog = join(options.stateDir, 'server.log');
    this.shardsFile = join(options.stateDir, 'history-shards');
  }

  /** Builds what is missing, starts PostgreSQL, sets up the schemas, starts the server and registers the namespaces. */
  static async start(options: ProductionStackOptions): Promise<{ stack: ProductionStack; timings: StackTimings }> {
    const say = options.say ?? (() => undefined);
    const timed = async <T>(part: () => T | Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const result = await part();
      return [result, (performance.now() - started) / 1000];
    };
    const [binaries, build] = await timed(() => resolveTemporalServer(say));
    const stack = new ProductionStack(options, binaries);
    // Refused before anything starts: a count this cluster was not made with.
    stack.shards = stack.clusterShards();
    await stopLeftProcesses(options.stateDir, say);
    try {
      const [, postgres] = await timed(() => stack.postgres.start());
      say(`PostgreSQL on 127.0.0.1:${options.dbPort} (data: ${stack.postgres.dataDir})`);
      const [, schema] = await timed(() => stack.setupSchema());
      const [, server] = await timed(() => stack.startServer());
      await stack.checkHistoryShards();
      say(`Temporal Server ${stack.address}, ${stack.shards} history shards (log: ${stack.serverLog})`);
      const [, namespaces] = await timed(() => Promise.all(options.namespaces.map((ns) => stack.setupNamespace(ns))));
      return { stack, timings: { build, postgres, schema, server, namespaces } };
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  /** What config/production.yaml and the setup scripts read (the temporal CLI: the client certificate with TLS). */
  private env(): NodeJS.ProcessEnv {
    const { tls } = this.options;
    return {
      ...process.env,
      ...(tls ? { TEMPORAL_TLS_DIR: tls.dir, ...clientTlsEnv(tls) } : {}),
      TEMPORAL_PORT: String(this.options.port),
      TEMPORAL_BIND_IP: this.options.bindIp ?? '127.0.0.1',
      TEMPORAL_DB_HOST: '127.0.0.1',
      TEMPORAL_DB_PORT: String(this.options.dbPort),
      TEMPORAL_DB_USER: this.postgres.user,
      TEMPORAL_DB_PASSWORD: this.postgres.password(),
      TEMPORAL_LOG_LEVEL: this.options.logLevel ?? 'warn',
      TEMPORAL_HISTORY_SHARDS: String(this.shards),
    };
  }

  private async script(name: string, env: NodeJS.ProcessEnv): Promise<void> {
    try {
      await run('sh', [join(deployDir, name)], { env: { ...this.env(), ...env }, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-5).join('\n');
      throw new Error(`deploy/temporal/${name} failed:\n${tail}`, { cause: err });
    }
  }

  setupSchema(): Promise<void> {
    return this.script('setup-schema.sh', { TEMPORAL_SQL_TOOL: this.binaries.sqlTool });
  }

  setupNamespace(namespace: string): Promise<void> {
    return this.script('setup-namespace.sh', {
      TEMPORAL_CLI: resolveTemporalCli(),
      TEMPORAL_ADDRESS: this.address,
      TEMPORAL_NAMESPACE: namespace,
      ...(this.options.retention ? { TEMPORAL_NAMESPACE_RETENTION: cliRetention(this.options.retention) } : {}),
    });
  }

  /** Starts the server and resolves once its frontend answers. */
  async startServer(): Promise<void> {
    if (this.server) throw new Error('the Temporal Server is already running');
    const log = openSync(this.serverLog, 'a');
    const child = spawn(this.binaries.server, ['--root', '.', '--config', 'config', '--env', 'production', 'start'], {
      cwd: deployDir,
      env: this.env(),
      stdio: ['ignore', log, log],
    });
    closeSync(log); // the child holds its own
    this.server = child;
    const pidFile = join(this.options.stateDir, 'server.pid');
    writeFileSync(pidFile, String(child.pid));
    child.once('exit', () => {
      if (this.server === child) this.server = undefined;
      rmSync(pidFile, { force: true });
    });
    await untilServerAnswers(this.address, child, 'The Temporal Server', {
      timeoutMs: 90_000,
      log: this.serverLog,
      tls: this.clientTls(),
    });
  }

  /**
   * The history shards this cluster has, or a new one gets: the count it was made with (kept in the state folder; a
   * cluster whose server ran before the count was a setting has 4), else STEADFAST_HISTORY_SHARDS, else the default.
   * (A cluster's database, like its count, goes with the folder: `npm run restore` brings both back.)
   * The count is fixed when the cluster is made, so a setting that differs is refused rather than ignored (the server
   * itself would go on with the stored count).
   */
  private clusterShards(): number {
    // No database yet: a new cluster, whatever an earlier one in this folder was made with.
    const exists = existsSync(join(this.postgres.dataDir, 'PG_VERSION'));
    const made = !exists
      ? undefined
      : existsSync(this.shardsFile)
        ? Number(readFileSync(this.shardsFile, 'utf8'))
        : existsSync(this.serverLog)
          ? 4
          : undefined;
    const wanted = this.options.historyShards;
    if (made !== undefined && wanted !== undefined && wanted !== made) throw this.shardsRefused(wanted, made);
    return made ?? wanted ?? defaultHistoryShards;
  }

  /** The server's own count, held to the one asked for, and kept for the next start. */
  async checkHistoryShards(): Promise<void> {
    const connection = await Connection.connect({ address: this.address, tls: this.clientTls() });
    try {
      const shards = (await connection.workflowService.getClusterInfo({})).historyShardCount ?? 0;
      const wanted = this.options.historyShards;
      if (wanted !== undefined && wanted !== shards) throw this.shardsRefused(wanted, shards);
      // A database brought back by `npm run restore` keeps the count it was made with: the server's word wins.
      this.shards = shards;
      writeFileSync(this.shardsFile, String(shards));
    } finally {
      await connection.close();
    }
  }

  private shardsRefused(wanted: number, made: number): Error {
    return new Error(
      `STEADFAST_HISTORY_SHARDS=${wanted}, but this cluster (${this.options.stateDir}) was made with ${made} history ` +
        `shards, a count no cluster can change (a backup restores it too): set ${made} or leave it empty; for more, ` +
        'a new cluster in another STEADFAST_PRODUCTION_STATE takes new work while this one finishes its own',
    );
  }

  /** How a client connects to this server: with the client certificate when it requires one. */
  clientTls(): TLSConfig | undefined {
    return this.options.tls && clientTlsConfig(this.options.tls);
  }

  /** Ends the server with `signal` (SIGKILL: a crash) and waits for it to exit. */
  async stopServer(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  }

  /**
   * The Web UI against this server, on loopback (deploy/temporal/ui/config/production.yaml), decoding payloads with
   * the codec server at `codecEndpoint`. It ends with this process (its group's SIGTERM, or `stop`).
   */
  async startUi(port: number, namespace: string, codecEndpoint: string | undefined): Promise<void> {
    const log = openSync(join(this.options.stateDir, 'ui.log'), 'a');
    const child = spawn(this.binaries.ui, ['--root', '.', '--config', 'config', '--env', 'production', 'start'], {
      cwd: join(deployDir, 'ui'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.address,
        TEMPORAL_UI_PORT: String(port),
        TEMPORAL_DEFAULT_NAMESPACE: namespace,
        TEMPORAL_CODEC_ENDPOINT: codecEndpoint ?? '',
        ...(this.options.tls
          ? {
              TEMPORAL_TLS_CA: this.options.tls.ca,
              TEMPORAL_TLS_CERT: this.options.tls.clientCert,
              TEMPORAL_TLS_KEY: this.options.tls.clientKey,
            }
          : {}),
      },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.ui = child;
    const pidFile = join(this.options.stateDir, 'ui.pid');
    writeFileSync(pidFile, String(child.pid));
    child.once('exit', () => rmSync(pidFile, { force: true }));
    const up = async () =>
      fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.ok,
        () => false,
      );
    for (const deadline = Date.now() + 30_000; !(await up()); await sleep(250)) {
      if (child.exitCode !== null)
        throw new Error(`The Web UI exited with ${child.exitCode}; see ${join(this.options.stateDir, 'ui.log')}`);
      if (Date.now() > deadline) throw new Error(`The Web UI did not answer on port ${port} within 30 s`);
    }
  }

  /** The UI, the server (it drains), then PostgreSQL. */
  async stop(): Promise<void> {
    this.ui?.kill('SIGTERM');
    await this.stopServer('SIGTERM');
    this.postgres.stop('fast');
  }
}

/**
 * The server and the Web UI an earlier run started from `stateDir` and left running (its command was SIGKILLed):
 * stopped, so that this run starts its own. Their pid files name them; each process must still be the binary it was
 * (pids are reused).
 */
export async function stopLeftProcesses(stateDir: string, say: (line: string) => void): Promise<void> {
  for (const [file, binary] of [
    ['ui.pid', 'temporal-ui-server'],
    ['server.pid', 'temporal-server'],
  ] as const) {
    const pidFile = join(stateDir, file);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const cmdline = `/proc/${pid}/cmdline`;
    const command = existsSync(cmdline) ? (readFileSync(cmdline, 'utf8').split('\0')[0] ?? '') : '';
    rmSync(pidFile, { force: true });
    if (!command.endsWith(`/${binary}`)) continue;
    process.kill(pid, 'SIGTERM');
    for (const deadline = Date.now() + 30_000; existsSync(`/proc/${pid}`); await sleep(250)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    }
    say(`Stopped the ${binary} an earlier run left running (pid ${pid})`);
  }
}
