/**
 * `npm run test:production`: the files that matter on the production engine (Temporal Server on PostgreSQL, SQL
 * visibility), run there by test/run.ts --production. The main suite's own files, unchanged: replies with their
 * listings by AccountId and Stage, syncs, Schedules (watch), `failures list|show|retry` and `retry --all`, sessions,
 * logins, and the crash tests with real worker processes; then this folder's, which fault the stack itself.
 */
export const productionSuite = [
  'test/production/server-config.test.ts',
  'test/integration/reply-workflow.test.ts',
  'test/integration/sync.test.ts',
  'test/integration/watch.test.ts',
  'test/system/cli.test.ts',
  'test/system/cli-account.test.ts',
  'test/integration/account-session.test.ts',
  'test/integration/login.test.ts',
  'test/integration/session-worker-crash.test.ts',
  'test/integration/exactly-once.test.ts',
  'test/system/worker-crash.test.ts',
  'test/production/server-command.test.ts',
  'test/production/mtls.test.ts',
  'test/production/backup.test.ts',
  'test/production/bench.test.ts',
  'test/production/faults-under-load.test.ts',
];
