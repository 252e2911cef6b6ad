import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, type TLSConfig } from '@temporalio/client';
import type { TemporalConfig } from '../../src/config';
import { searchAttributeKeys } from '../../src/workflows/search-attributes';
import { setRetention } from '../../src/temporal/retention';
import { resolveTemporalCli } from './temporal-cli-build';
import { freeBasePort } from '../../src/free-port';

/** The local dev server: the pinned `temporal server start-dev`, its SQLite state under the git-ignored .temporal/. */
export const stateDir = resolve(__dirname, '..', '..', '.temporal');

const pidFile = join(stateDir, 'server.pid');

/**
 * A dev server of a test's or the bench's own: its gRPC `port` and metrics port, all its ports below the ephemeral
 * range (src/free-port.ts), where the CLI would pick its HTTP and metrics ports itself. `portArgs` are the extra
 * arguments for an SDK that launches it (TestWorkflowEnvironment.createLocal, given `port`); `startDev` is the whole
 * argument list for spawning the CLI, headless and quiet, with a caller's `extra` (namespaces, search attributes).
 */
export async function ownDevServerPorts(): Promise<{
  port: number;
  metricsPort: number;
  portArgs: string[];
  startDev: (extra?: string[]) => string[];
}> {
  const port = await freeBasePort([0, 1, 2]);
  const portArgs = ['--http-port', String(port + 1), '--metrics-port', String(port + 2)];
  const startDev = (extra: string[] = []) => [
    ...['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), ...portArgs],
    ...['--log-level', 'error', ...extra],
  ];
  return { port, metricsPort: port + 2, portArgs, startDev };
}

/** Stops the dev server that `startDevServer` started (in this or an earlier process); false when none was running. */
export async function stopDevServer(config: TemporalConfig): Promise<boolean> {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    rmSync(pidFile, { force: true });
    return false;
  }
  for (let waited = 0; await isServerUp(config); waited += 250) {
    if (waited > 30_000) throw new Error(`The Temporal dev server (pid ${pid}) did not stop within 30 s`);
    await sleep(250);
  }
  rmSync(pidFile, { force: true });
  return true;
}

/**
 * The dev server's ports: gRPC from TEMPORAL_ADDRESS, the Web UI's from TEMPORAL_UI_URL, and its Prometheus metrics
 * (`/metrics`, with the `action` series that Temporal Cloud bills) on the Web UI's port plus one: 8234 by default.
 */
export function devServerPorts(config: TemporalConfig): {
  host: string;
  port: number;
  uiPort: number;
  metricsPort: number;
} {
  const [host = 'localhost', port = '7233'] = config.address.split(':');
  const uiPort = Number(new URL(config.webUiUrl).port || 8233);
  return { host, port: Number(port), uiPort, metricsPort: uiPort + 1 };
}

/** True when a Temporal frontend answers at the configured address (with `tls`, to a client that shows it). */
export async function isServerUp(config: Pick<TemporalConfig, 'address'>, tls?: TLSConfig): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address: config.address, connectTimeout: '1s', tls });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * Resolves once a Temporal frontend answers at `address`; rejects, naming `what` and `log`, when `child` exits first or
 * `timeoutMs` passes. For a server this process has just spawned.
 */
export async function untilServerAnswers(
  address: string,
  child: ChildProcess,
  what: string,
  options: { timeoutMs: number; log?: string; tls?: TLSConfig | undefined },
): Promise<void> {
  const see = options.log ? `; see ${options.log}` : '';
  for (
    const deadline = Date.now() + options.timeoutMs;
    !(await isServerUp({ address }, options.tls));
    await sleep(250)
  ) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited with ${child.signalCode ?? child.exitCode}${see}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not answer at ${address} within ${options.timeoutMs / 1000} s${see}`);
    }
  }
}

const cliAttributeType: Record<(typeof searchAttributeKeys)[number]['type'], string> = { KEYWORD: 'Keyword' };

/** `codecEndpoint`: the codec server the Web UI decodes payloads with (src/encryption/remote-codec-server.ts). */
export function devServerArgs(config: TemporalConfig, codecEndpoint?: string): string[] {
  const { host, port, uiPort, metricsPort } = devServerPorts(config);
  return [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    join(stateDir, 'dev.sqlite'),
    '--namespace',
    config.namespace,
    '--log-level',
    'warn',
    ...(codecEndpoint ? ['--ui-codec-endpoint', codecEndpoint] : []),
    ...searchAttributeKeys.flatMap((key) => ['--search-attribute', `${key.name}=${cliAttributeType[key.type]}`]),
  ];
}

/** Starts the dev server and resolves once it answers. `detached` keeps it running after this process exits. */
export async function startDevServer(
  config: TemporalConfig,
  /** `onSpawn`: told the process at once, before it answers, so that a caller can stop it whatever happens next. */
  options: {
    detached: boolean;
    codecEndpoint?: string | undefined;
    say?: (line: string) => void;
    onSpawn?: (child: ChildProcess) => void;
  },
): Promise<ChildProcess> {
  const cli = resolveTemporalCli({ say: options.say });
  mkdirSync(stateDir, { recursive: true });
  const output = options.detached ? openSync(join(stateDir, 'server.log'), 'a') : 'inherit';
  const child = spawn(cli, devServerArgs(config, options.codecEndpoint), {
    detached: options.detached,
    stdio: ['ignore', output, output],
  });
  writeFileSync(pidFile, String(child.pid));
  options.onSpawn?.(child);
  child.once('exit', () => rmSync(pidFile, { force: true }));
  await untilServerAnswers(config.address, child, 'The Temporal dev server', {
    timeoutMs: 60_000,
    log: join(stateDir, 'server.log'),
  });
  // start-dev makes its namespace with a retention of 24 h: given the setting's, as the production one is.
  const connection = await Connection.connect({ address: config.address });
  try {
    await setRetention(connection, config.namespace, config.retention);
  } finally {
    await connection.close();
  }
  if (options.detached) child.unref();
  return child;
}
