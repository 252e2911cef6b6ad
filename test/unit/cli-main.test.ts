import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main';

/**
 * The CLI's argument handling, in-process through `main(argv)`: help, suggestions, the version, and bad input, which
 * is refused before anything connects (no dev server needed). What commands do is tested end to end, through the bin,
 * in cli.test.ts and cli-account.test.ts.
 */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

const loaded = (fragment: string) => Object.keys(require.cache).some((path) => path.includes(fragment));

describe('steadfast (the CLI, in-process)', () => {
  // First: what --help loads is what every command start pays.
  test('--help lists every group, and loads none of them nor Temporal’s client', async () => {
    const { code, out } = await run('--help');
    assert.equal(code, 0);
    for (const group of ['reply', 'account', 'chat', 'watch', 'failures', 'health']) {
      assert.match(out, new RegExp(`^  ${group} `, 'm'), `--help lists ${group}`);
    }
    assert.equal(loaded('src/cli/reply'), false, 'the reply group is not loaded');
    assert.equal(loaded('@temporalio/client'), false, "Temporal's client is not loaded");
  });

  test('<group> --help lists the group’s commands and exits 0', async () => {
    const groups: Record<string, string[]> = {
      reply: ['start', 'status', 'list', 'approve', 'edit', 'reject', 'cancel', 'pause', 'resume'],
      account: ['add', 'login', 'code', 'password', 'pause', 'resume', 'stop', 'relogin', 'status'],
      chat: ['status', 'interrupt'],
      watch: ['add', 'remove', 'list'],
      failures: ['list', 'show', 'retry'],
    };
    for (const [group, commands] of Object.entries(groups)) {
      const { code, out } = await run(group, '--help');
      assert.equal(code, 0, `${group} --help`);
      for (const command of commands) assert.match(out, new RegExp(`^  ${command}\\b`, 'm'), `${group} ${command}`);
    }
    const health = await run('health', '--help');
    assert.equal(health.code, 0);
    assert.match(health.out, /--json/);
    const start = await run('reply', 'start', '--help');
    assert.match(start.out, /--tweet-id <id>/);
  });

  test('a typo gets the nearest command; --version prints the package’s', async () => {
    const group = await run('rply', 'list');
    assert.equal(group.code, 1);
    assert.match(group.err, /unknown command 'rply'\n\(Did you mean reply\?\)/);
    const command = await run('reply', 'stauts', 'x');
    assert.equal(command.code, 1);
    assert.match(command.err, /unknown command 'stauts'\n\(Did you mean status\?\)/);
    const option = await run('reply', 'start', '--tweet-di', '1');
    assert.equal(option.code, 1);
    assert.match(option.err, /unknown option '--tweet-di'\n\(Did you mean --tweet-id\?\)/);

    const version = await run('--version');
    assert.equal(version.code, 0);
    const { version: expected } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    assert.equal(version.out.trim(), expected);
  });

  test('bad input: one line naming what is wrong, exit 1, before anything connects', async () => {
    const cases: [string[], RegExp][] = [
      [['reply', 'start', '--account', 'alice', '--text', 'x'], /^Error: --tweet-id: required/],
      [
        ['reply', 'start', '--account', 'alice', '--tweet-id', 'abc', '--text', 'x'],
        /^Error: --tweet-id: expected digits/,
      ],
      [['reply', 'start', '--bogus'], /^error: unknown option '--bogus'/],
      [['reply', 'frob'], /^error: unknown command 'frob'/],
      [['reply', 'list', '--stage', 'nope'], /^Error: --stage: expected one of drafting, awaiting-approval/],
      [['reply', 'edit', 'reply:alice:1'], /^Error: --text: required: the edited reply/],
      [['reply', 'status'], /^error: missing required argument 'workflow-id'/],
      [['watch', 'add', '--account', 'alice'], /^Error: --username: required/],
      [['watch', 'add', '--account', 'alice', '--username', 'x', '--every', 'soon'], /^Error: --every: a duration/],
      [['failures', 'retry'], /^Error: argument: give one workflow id, or --all/],
      [['failures', 'list', '--account', 'a b'], /^Error: --account: letters, digits, - and _/],
      [['account', 'login', 'bob'], /^Error: --phone: required: the phone number/],
      [['account', 'login', 'bob', '--phone', '555'], /^Error: --phone: an international number/],
      [
        ['account', 'login', 'bob', '--phone', '+15550100001', '--code-timeout', 'later'],
        /^Error: --code-timeout: a duration/,
      ],
      [['account', 'code', 'bob', '12'], /^Error: argument: the login code: the 4 to 8 digits Telegram sent/],
      [['account', 'add', 'a b'], /^Error: argument: letters, digits, - and _/],
      [['account', 'add', 'control-bot'], /^Error: argument: control-bot is the control bot, not an account/],
      [['account', 'add', 'dave', '--approval', 'maybe'], /^Error: --approval: expected auto or owner/],
      // A group's id is negative: it is the option's value, not an option (the error is the next option's).
      [['account', 'add', 'dave', '--ai-chat', '-100123', '--approval', 'maybe'], /^Error: --approval: expected/],
      [['account', 'add', 'dave', '--ai-chat', 'general'], /^Error: --ai-chat: the Telegram chat id/],
      [['chat', 'status', 'bob', 'general'], /^Error: argument: the Telegram chat id: digits, negative for a group/],
      [['health', 'extra'], /^error: too many arguments/],
    ];
    for (const [args, expected] of cases) {
      const { code, out, err } = await run(...args);
      assert.equal(code, 1, `${args.join(' ')}: ${err}`);
      assert.match(err, expected, args.join(' '));
      assert.equal(err.trim().split('\n').length <= 2, true, `${args.join(' ')}: short: ${err}`);
      assert.equal(out, '', `${args.join(' ')} prints nothing else`);
    }
    assert.equal(loaded('@temporalio/worker'), false, 'no command loads the worker');
  });

  test('a bad configuration: exit 2 and the variable to fix', async () => {
    const before = process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_ADDRESS = 'localhost';
    try {
      const { code, err } = await run('account', 'status');
      assert.equal(code, 2);
      assert.match(err, /^Configuration error: TEMPORAL_ADDRESS: expected host:port/);
    } finally {
      if (before === undefined) delete process.env.TEMPORAL_ADDRESS;
      else process.env.TEMPORAL_ADDRESS = before;
    }
  });
});
