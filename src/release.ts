import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** This checkout's release: package.json's version above this file, in the sources as in the build (dist/). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export const release = packageVersion();

/**
 * The build id every worker of this release reports (unversioned: any worker takes any task). Temporal lists each
 * build that ran a workflow in its `BuildIds` search attribute, which says whether a run ran on an older release
 * (src/temporal/patch-report.ts).
 */
export const releaseBuildId = `steadfast-${release}`;

/** The release a build id names, if it is one of ours (`unversioned:steadfast-0.2.0` → 0.2.0). */
export function releaseOfBuild(buildId: string): string | undefined {
  return /^(?:unversioned:)?steadfast-(\d+\.\d+\.\d+)$/.exec(buildId)?.[1];
}

/** Compares two releases (x.y.z) by number. */
export function compareReleases(a: string, b: string): number {
  const [pa, pb] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < 3; i += 1) {
    const diff = (pa?.[i] ?? 0) - (pb?.[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
