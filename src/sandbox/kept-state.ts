import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * What a simulator keeps in its data file, so that a restarted sandbox goes on as the service it stands for would:
 * X keeps its tweets, Telegram its message ids, update sequence and sessions. Written whole, atomically, at most every
 * 100 ms while things change and once more on close; without a file, nothing is kept.
 */
export function keptState<T>(dataFile: string | undefined, snapshot: () => T) {
  let pending: NodeJS.Timeout | undefined;
  const write = () => {
    pending = undefined;
    if (!dataFile) return;
    const staged = `${dataFile}.${process.pid}.tmp`;
    writeFileSync(staged, JSON.stringify(snapshot()));
    renameSync(staged, dataFile);
  };
  return {
    /** What an earlier run kept, if anything. */
    load(): T | undefined {
      return dataFile && existsSync(dataFile) ? (JSON.parse(readFileSync(dataFile, 'utf8')) as T) : undefined;
    },
    /** Something changed: written soon. */
    changed(): void {
      if (dataFile && !pending) pending = setTimeout(write, 100);
    },
    /** Written now (on close). */
    flush(): void {
      if (pending) clearTimeout(pending);
      write();
    },
  };
}
