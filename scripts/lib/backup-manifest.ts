/** What `npm run backup` wrote, in the backup's manifest.json, for `npm run restore` to check before it writes. */
export interface BackupManifest {
  release: string;
  createdAt: string;
  temporal: 'engine' | 'elsewhere';
  convex: Record<string, number>;
  accountStore: 'file' | 'convex';
}
