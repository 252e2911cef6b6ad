import { resolveTemporalCli, TemporalCliUnavailable } from './lib/temporal-cli-build';

// `npm run temporal:install`: print the path of the pinned CLI, building it if needed.
try {
  console.log(resolveTemporalCli({ say: (line) => console.error(line) }));
} catch (err) {
  console.error(err instanceof TemporalCliUnavailable ? err.message : err);
  process.exit(1);
}
