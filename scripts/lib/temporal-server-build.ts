import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { goInstall, isExecutable, toolCacheDir } from './go-install';

/**
 * The production Temporal Server, its SQL schema tool and the Web UI server, of the versions the pinned CLI bundles
 * (so the tests on the dev server and on this one run one server). None of the modules carries a `replace` directive,
 * so `go install` builds them from the Go module proxy; they are cached per user like the CLI, and built once per
 * machine (about 5 minutes on 2 cores).
 */
export const temporalServerVersion = '1.29.1';
export const temporalUiVersion = '2.42.1';
const serverModule = 'go.temporal.io/server';
const uiModule = 'github.com/temporalio/ui-server/v2';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  ui: string;
}

export function temporalServerCacheDir(): string {
  return toolCacheDir('temporal-server', temporalServerVersion);
}

/** True when the binary says it is of the pinned version ("temporal version 1.29.1"). */
function isPinned(binary: string, version: string): boolean {
  if (!isExecutable(binary)) return false;
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return result.status === 0 && result.stdout.trim().endsWith(` version ${version}`);
}

/** The cached binaries, built with Go when missing. `say` gets progress lines. */
export function resolveTemporalServer(say: (line: string) => void = () => undefined): TemporalServerBinaries {
  const dir = temporalServerCacheDir();
  const binaries = {
    server: join(dir, 'temporal-server'),
    sqlTool: join(dir, 'temporal-sql-tool'),
    ui: join(dir, 'temporal-ui-server'),
  };
  const versions = { server: temporalServerVersion, sqlTool: temporalServerVersion, ui: temporalUiVersion };
  const pinned = () => (['server', 'sqlTool', 'ui'] as const).filter((b) => !isPinned(binaries[b], versions[b]));
  if (pinned().length === 0) return binaries;
  say(
    `Building Temporal Server ${temporalServerVersion}, its SQL tool and Web UI with Go into ${dir} (once per machine)…`,
  );
  const started = performance.now();
  try {
    // One module per `go install`; both name their binary `server`.
    goInstall(
      [
        `${serverModule}/cmd/server@v${temporalServerVersion}`,
        `${serverModule}/cmd/tools/sql@v${temporalServerVersion}`,
      ],
      dir,
      { server: 'temporal-server', sql: 'temporal-sql-tool' },
    );
    goInstall([`${uiModule}/cmd/server@v${temporalUiVersion}`], dir, { server: 'temporal-ui-server' });
  } catch (err) {
    throw new Error(
      `Building Temporal Server ${temporalServerVersion} with Go failed (${err instanceof Error ? err.message : String(err)}). ` +
        `It needs Go 1.23+ and the Go module proxy: go install ${serverModule}/cmd/server@v${temporalServerVersion}`,
      { cause: err },
    );
  }
  const wrong = pinned();
  if (wrong.length) throw new Error(`${wrong.map((b) => binaries[b]).join(', ')} built, but not of the pinned version`);
  say(`Built Temporal Server ${temporalServerVersion} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return binaries;
}
