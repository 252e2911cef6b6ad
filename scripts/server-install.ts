import { resolveTemporalServer } from './lib/temporal-server-build';

// `npm run server:install`: print the paths of the cached binaries, building them if needed.
try {
  const binaries = resolveTemporalServer((line) => console.error(line));
  console.log(Object.values(binaries).join('\n'));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
