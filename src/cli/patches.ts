import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config';
import { release } from '../release';
import { connectClient } from '../temporal/connection';
import { patchReport, upgradeBlockers, type PatchStanding } from '../temporal/patch-report';
import { action, CliError, json, noArguments } from './common';

/**
 * `patches`: every workflow patch and retired type of the register (src/workflows/patches.ts), with the open runs
 * that still need it, from visibility and their histories. `--check`, run from a new checkout before its workers
 * replace the old ones, fails when open runs need code this checkout no longer has.
 */
export function define(command: Command): void {
  command
    .option('--check', 'exit 1 when an open run needs code this checkout removed (run it before an upgrade)')
    .option('--json', 'print JSON')
    .action(action(z.object({ check: z.boolean().default(false), json, positionals: noArguments }), patchesCommand));
}

function describe(standing: PatchStanding): string {
  const runs = standing.neededBy.length > 0 ? `\n  needed by: ${standing.neededBy.slice(0, 5).join(', ')}` : '';
  const more = standing.neededBy.length > 5 ? ` and ${standing.neededBy.length - 5} more` : '';
  return [
    `${standing.id}  ${standing.state}  ${standing.workflows.join(', ')}  (${standing.openRuns} open run(s))`,
    `  ${standing.change}`,
    `  ${standing.next}${runs}${more}`,
  ].join('\n');
}

async function patchesCommand(options: { check: boolean; json: boolean }, config: Config): Promise<void> {
  const client = await connectClient(config.temporal);
  const report = await patchReport(client);
  const blockers = upgradeBlockers(report);
  if (options.json) console.log(JSON.stringify({ release, patches: report, blockers }));
  else console.log([`Release ${release}:`, ...report.map(describe)].join('\n'));
  if (options.check && blockers.length > 0) {
    const named = blockers.map(
      ({ id, runs }) => `${id} (${runs.slice(0, 3).join(', ')}${runs.length > 3 ? ', …' : ''})`,
    );
    throw new CliError(
      `open runs need code release ${release} no longer has: ${named.join('; ')}. Finish them on the release they run on, then upgrade (docs/operations.md)`,
    );
  }
}
