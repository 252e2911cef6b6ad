import { main } from '../src/cli/main';
import { loadEnvFile } from '../src/env-file';

/**
 * `npm run cli -- <group> <command> [options]` and the `steadfast` bin: src/cli/main.ts, with this process's exit,
 * after `.env` in the working directory (the tests call main() in-process with environments of their own).
 */
loadEnvFile();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
