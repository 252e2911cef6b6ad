import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The per-user cache of the tools the project builds with Go (shared by every clone on this machine). */
export function toolCacheDir(tool: string, version: string): string {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'steadfast', tool, version);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(command: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, command))
    .find(isExecutable);
}

/**
 * `go install`s `packages` (path@version each) from the Go module proxy and moves the binaries into `cacheDir` under
 * the names `rename` gives them (built name → cached name). Built in a private folder, then renamed: two concurrent
 * builds never leave a half-written binary behind. Throws when Go is missing or the build fails.
 */
export function goInstall(packages: string[], cacheDir: string, rename: Record<string, string>): void {
  const go = onPath('go');
  if (!go) throw new Error('Go is not on PATH');
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, '.build-'));
  try {
    execFileSync(go, ['install', ...packages], {
      env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (const [built, cached] of Object.entries(rename)) renameSync(join(staging, built), join(cacheDir, cached));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
