import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { goInstall, isExecutable, onPath, toolCacheDir } from './go-install';

/**
 * Finds or builds the pinned `temporal` CLI, whose `server start-dev` is the dev server of `npm run server` and of
 * the tests. Order: $TEMPORAL_CLI, a `temporal` of the pinned version on PATH, the per-user cache (shared by every
 * clone on this machine), and last a build from the Go module proxy into that cache.
 *
 * Pinned at 1.5.1: the newest release that `go install …@version` accepts (later tags carry `replace` directives that
 * `go install` refuses), bundling Temporal Server 1.29 and Web UI 2.42.
 */
export const temporalCliVersion = '1.5.1';
/** A build from source reports version 0.0.0-DEV (releases are stamped at link time); its bundled server tells. */
const pinnedServerVersion = '1.29.1';
const modulePath = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalCliUnavailable extends Error {
  override readonly name = 'TemporalCliUnavailable';
}

export function temporalCliCacheDir(): string {
  return toolCacheDir('temporal-cli', temporalCliVersion);
}

/** What a `temporal` binary says of itself, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
function versionOf(binary: string): string | undefined {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function isPinned(binary: string): boolean {
  const match = /temporal version (\S+) \(Server (\S+?),/.exec(versionOf(binary) ?? '');
  if (!match) return false;
  const [, cli, server] = match;
  return cli === temporalCliVersion || (cli === '0.0.0-DEV' && server === pinnedServerVersion);
}

const installHelp = `Install the Temporal CLI ${temporalCliVersion} and set TEMPORAL_CLI to its path, or put it on PATH:
  - with Go 1.23+:  go install ${modulePath}@v${temporalCliVersion}
  - macOS:          brew install temporal
  - Linux/macOS:    curl -sSf https://temporal.download/cli.sh | sh
  - Docker:         docker run --rm -p 7233:7233 -p 8233:8233 temporalio/temporal:${temporalCliVersion} server start-dev --ip 0.0.0.0`;

/** Resolves the path of the pinned CLI, building it when allowed and needed. `say` gets progress lines. */
export function resolveTemporalCli(options: { build?: boolean; say?: (line: string) => void } = {}): string {
  const { build = true, say = () => undefined } = options;

  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!isExecutable(explicit)) throw new TemporalCliUnavailable(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }

  const fromPath = onPath('temporal');
  if (fromPath && isPinned(fromPath)) return fromPath;

  const cacheDir = temporalCliCacheDir();
  const cached = join(cacheDir, 'temporal');
  if (isExecutable(cached) && isPinned(cached)) return cached;

  const go = onPath('go');
  if (!build || !go) {
    const found = fromPath ? ` (found ${fromPath}: ${versionOf(fromPath) ?? 'does not run'})` : '';
    throw new TemporalCliUnavailable(`The Temporal CLI ${temporalCliVersion} was not found${found}.\n${installHelp}`);
  }

  say(`Building the Temporal CLI ${temporalCliVersion} with Go into ${cacheDir} (once per machine, a few minutes)…`);
  try {
    goInstall([`${modulePath}@v${temporalCliVersion}`], cacheDir, { temporal: 'temporal' });
  } catch (err) {
    throw new TemporalCliUnavailable(
      `Building the Temporal CLI with Go failed (${err instanceof Error ? err.message : String(err)}).\n${installHelp}`,
    );
  }
  if (!isPinned(cached)) {
    throw new TemporalCliUnavailable(`The Temporal CLI built at ${cached} is not version ${temporalCliVersion}`);
  }
  return cached;
}
