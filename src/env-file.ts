import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Loads `.env` from the working directory into the environment, when there is one, with Node's own parser
 * (`process.loadEnvFile`): every entry point calls it first, so `npm run worker`, `steadfast …` and the scripts read
 * the owner's configuration without a shell that exported it. A variable already in the environment wins, so a
 * process manager or a one-off `NAME=value command` overrides the file. Returns the file loaded, if any.
 */
export function loadEnvFile(path = resolve('.env')): string | undefined {
  if (!existsSync(path)) return undefined;
  process.loadEnvFile(path);
  return path;
}
