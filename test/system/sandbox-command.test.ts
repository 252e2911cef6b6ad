import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { freeBasePort } from '../../src/free-port';
import { startTsProcess } from '../helpers/processes';
import { sandboxCall } from '../helpers/sandbox';

/** `npm run sandbox` as a user runs it: the simulators on the documented loopback ports, each with its control API. */
describe('npm run sandbox', () => {
  test('starts the simulators, prints their URLs, answers /_sandbox/state with JSON, and stops on SIGTERM', async (t) => {
    const base = await freeBasePort();
    const sandbox = startTsProcess('scripts/sandbox.ts', { STEADFAST_SANDBOX_PORT: String(base) });
    // A failed assertion must not leave the simulators running (the test file would never end).
    t.after(() => void sandbox.child.kill('SIGKILL'));
    await sandbox.waitForOutput(/Ctrl-C stops them/);
    const output = sandbox.output();
    assert.match(output, new RegExp(`OpenAI-compatible API  http://127\\.0\\.0\\.1:${base}/v1`));
    assert.match(output, new RegExp(`X API v2 \\(HTTPS\\)       https://127\\.0\\.0\\.1:${base + 1}/2/`));
    assert.match(output, new RegExp(`Convex HTTP API        http://127\\.0\\.0\\.1:${base + 2}`));
    assert.match(
      output,
      new RegExp(
        `Telegram \\(MTProto\\)     127\\.0\\.0\\.1:${base + 4}   control: http://127\\.0\\.0\\.1:${base + 3}`,
      ),
    );

    const ca = readFileSync(/certificate: (\S+)/.exec(output)?.[1] ?? '', 'utf8');
    const states = await Promise.all([
      sandboxCall<{ completions: unknown[] }>({ url: `http://127.0.0.1:${base}` }, 'GET', '/_sandbox/state'),
      sandboxCall<{ tweets: unknown[] }>({ url: `https://127.0.0.1:${base + 1}`, ca }, 'GET', '/_sandbox/state'),
      sandboxCall<{ replies: object }>({ url: `http://127.0.0.1:${base + 2}` }, 'GET', '/_sandbox/state'),
      sandboxCall<{ accounts: { accountId: string }[] }>(
        { url: `http://127.0.0.1:${base + 3}` },
        'GET',
        '/_sandbox/state',
      ),
    ]);
    assert.deepEqual(
      states.map((state) => state.status),
      [200, 200, 200, 200],
    );
    assert.deepEqual(
      states[3].body.accounts.map((account) => account.accountId),
      ['alice', 'bob', 'control-bot'],
    );
    assert.match(output, /Account store {10}\S+accounts\.json/);
    assert.ok(Array.isArray(states[0].body.completions) && Array.isArray(states[1].body.tweets));
    assert.equal(typeof states[2].body.replies, 'object');

    sandbox.child.kill('SIGTERM');
    assert.equal((await sandbox.exited).code, 0);
    assert.match(sandbox.output(), /sandbox stopped/);
  });
});
