import { makeFunctionReference } from 'convex/server';
import { backendClient } from './convex-store';

/** Steadfast's tables in Convex, as convex/schema.ts defines them. */
export const convexTables = ['accounts', 'messages', 'watches', 'replies', 'accountSecrets'] as const;
export type ConvexTable = (typeof convexTables)[number];

type Document = Record<string, unknown>;

const exportPage = makeFunctionReference<
  'query',
  { table: ConvexTable; cursor: string | null },
  { documents: Document[]; cursor: string; done: boolean }
>('backup:exportPage');
const importDocuments = makeFunctionReference<
  'mutation',
  { table: ConvexTable; documents: Document[] },
  { inserted: number; kept: number }
>('backup:importDocuments');

/**
 * Every document of Steadfast's tables out of the deployment, a page at a time, and back in (convex/backup.ts): a
 * document whose key is there already is kept, so a restore never puts older state over newer.
 */
export function convexBackup(deployment: { url: string; secret: string }, timeoutMs = 60_000) {
  const client = backendClient(deployment.url, deployment.secret, timeoutMs);
  return {
    async *documents(table: ConvexTable): AsyncGenerator<Document[]> {
      for (let cursor: string | null = null; ;) {
        const page: { documents: Document[]; cursor: string; done: boolean } = await client.query(exportPage, {
          table,
          cursor,
        });
        yield page.documents;
        if (page.done) return;
        cursor = page.cursor;
      }
    },
    async restore(table: ConvexTable, documents: Document[]): Promise<{ inserted: number; kept: number }> {
      const total = { inserted: 0, kept: 0 };
      // A mutation writes a bounded number of documents: a few hundred at a time.
      for (let at = 0; at < documents.length; at += 200) {
        const done = await client.mutation(importDocuments, { table, documents: documents.slice(at, at + 200) });
        total.inserted += done.inserted;
        total.kept += done.kept;
      }
      return total;
    },
  };
}
