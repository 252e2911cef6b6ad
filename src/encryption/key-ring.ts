import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EncryptionSettings } from '../config';
import { formatKey, keyRing, newKey, parseKey, type KeyRing } from './keys';

/**
 * The sandbox's key, generated on first use into the git-ignored .steadfast/ (beside the account store), so the main
 * job runs encrypted with no configuration; every process of this checkout (workers, CLI, demo) shares it. Deleting
 * it leaves what it encrypted unreadable: clear the dev server's state (.temporal/) with it.
 */
export const sandboxKeyPath = join(packageRoot(__dirname), '.steadfast', 'sandbox-encryption-key');

/** The folder of package.json above `dir`: the checkout from src/, and the image's /app from dist/src/ (its volume). */
function packageRoot(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) return resolve(dir, '..', '..');
  }
}

/** The keys the settings name; undefined when encryption is off. */
export function keyRingOf(settings: EncryptionSettings): KeyRing | undefined {
  if (settings.mode === 'off') return undefined;
  if (settings.mode === 'keys') return keyRing(settings.current, settings.previous);
  return keyRing(sandboxKey());
}

function sandboxKey() {
  try {
    return parseKey(readFileSync(sandboxKeyPath, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(sandboxKeyPath), { recursive: true, mode: 0o700 });
  // Written whole, then linked into place: of two processes starting at once, one links it and both use that one.
  const staged = `${sandboxKeyPath}.${process.pid}.tmp`;
  writeFileSync(staged, `${formatKey(newKey())}\n`, { mode: 0o600 });
  try {
    linkSync(staged, sandboxKeyPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(staged, { force: true });
  }
  return parseKey(readFileSync(sandboxKeyPath, 'utf8').trim());
}
