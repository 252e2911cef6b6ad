import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { formatKey, newKey } from '../encryption/keys';

/**
 * `key new`: a new encryption key, as the line to put in the environment; `key convex`: a new secret for Convex's
 * functions to require of the backend (STEADFAST_CONVEX_SECRET, given to the deployment with `npx convex env set`). It reads no configuration — it is how a
 * configuration that lacks a key gets one — and touches nothing: rotating is the owner's edit (docs/configuration.md, "Encryption").
 */
export function define(command: Command): void {
  command
    .command('new')
    .description('print a new encryption key (AES-256) as STEADFAST_ENCRYPTION_KEY=id:base64')
    .action(() => {
      console.log(`STEADFAST_ENCRYPTION_KEY=${formatKey(newKey())}`);
      console.error(
        'Keep it secret and keep it: what it encrypts cannot be read without it. To rotate, move the old key to STEADFAST_DECRYPTION_KEYS.',
      );
    });
  command
    .command('convex')
    .description("print a new secret for Convex's functions (STEADFAST_CONVEX_SECRET=…), to set there too")
    .action(() => {
      console.log(`STEADFAST_CONVEX_SECRET=${randomBytes(32).toString('base64url')}`);
      console.error(
        'Give the deployment the same value: npx convex env set STEADFAST_CONVEX_SECRET <value>. Its functions refuse any call without it.',
      );
    });
}
