import { main } from '../src/cli/main';

/** `npm run cli -- <group> <command> [options]` and the `steadfast` bin: src/cli/main.ts, with this process's exit. */
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
