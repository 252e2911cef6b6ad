import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { resolveTemporalCli, TemporalCliUnavailable, temporalCliVersion } from '../../scripts/lib/temporal-cli-build';

/** Resolution order of the pinned CLI, with fake `temporal` binaries (shell scripts) in temporary folders. */
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function fakeTemporal(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'temporal');
  writeFileSync(path, `#!/bin/sh\necho "temporal version ${version} (Server 1.29.1, UI 2.42.1)"\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('resolveTemporalCli', () => {
  test('TEMPORAL_CLI wins when it is executable', () => {
    const path = fakeTemporal(mkdtempSync(join(tmpdir(), 'cli-')), '9.9.9');
    process.env.TEMPORAL_CLI = path;
    assert.equal(resolveTemporalCli({ build: false }), path);
  });

  test('TEMPORAL_CLI that is not executable is named in the error', () => {
    process.env.TEMPORAL_CLI = '/nonexistent/temporal';
    assert.throws(
      () => resolveTemporalCli({ build: false }),
      /TEMPORAL_CLI=\/nonexistent\/temporal is not an executable/,
    );
  });

  test('a temporal on PATH of the pinned version is used; another version is not', () => {
    delete process.env.TEMPORAL_CLI;
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'cache-'));
    const pinned = fakeTemporal(mkdtempSync(join(tmpdir(), 'path-')), temporalCliVersion);
    process.env.PATH = `${join(pinned, '..')}:/usr/bin:/bin`;
    assert.equal(resolveTemporalCli({ build: false }), pinned);

    const other = fakeTemporal(mkdtempSync(join(tmpdir(), 'path-')), '0.9.0');
    process.env.PATH = `${join(other, '..')}:/usr/bin:/bin`;
    assert.throws(
      () => resolveTemporalCli({ build: false }),
      (err: unknown) =>
        err instanceof TemporalCliUnavailable &&
        err.message.includes('temporal version 0.9.0') &&
        err.message.includes(`go install github.com/temporalio/cli/cmd/temporal@v${temporalCliVersion}`) &&
        err.message.includes('brew install temporal') &&
        err.message.includes('docker run'),
    );
  });

  test('the per-user cache, keyed by version, is reused by any clone', () => {
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = '/usr/bin:/bin';
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'cache-'));
    const cached = fakeTemporal(
      join(process.env.XDG_CACHE_HOME, 'steadfast', 'temporal-cli', temporalCliVersion),
      '0.0.0-DEV',
    );
    assert.equal(resolveTemporalCli({ build: false }), cached);
  });
});
