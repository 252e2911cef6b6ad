import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import { connectionOptions } from '../../src/temporal/connection';

describe('config', () => {
  test('no variables at all: local dev server, sandbox mode, documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.sandbox, true);
    assert.deepEqual(config.temporal, {
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'steadfast',
      profile: { address: 'localhost:7233', namespace: 'default' },
      webUiUrl: 'http://localhost:8233',
      encryption: { mode: 'sandbox' },
      acceptPlainPayloads: false,
      retention: '30d',
    });
    assert.deepEqual(config.codecServer, { port: 8235, host: '127.0.0.1', token: undefined });
    assert.equal(config.accountStore, undefined);
    assert.deepEqual(connectionOptions(config.temporal), {
      address: 'localhost:7233',
      apiKey: undefined,
      tls: undefined,
      metadata: undefined,
    });
    assert.equal(config.approvalTimeout, '24h');
    assert.equal(config.shutdownGraceTime, '10s');
  });

  test('empty values count as unset', () => {
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: '', OPENAI_API_KEY: '  ' }).temporal.address, 'localhost:7233');
  });

  test('an API key means Temporal Cloud over TLS', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' });
    const options = connectionOptions(config.temporal);
    assert.deepEqual([options.address, options.apiKey, options.tls], ['ns.acct.tmprl.cloud:7233', 'k', true]);
  });

  test('mTLS: the client certificate and key are read from their files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-config-'));
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const config = loadConfig({
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'c.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'k.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const { tls } = connectionOptions(config.temporal);
    assert.ok(tls && typeof tls === 'object');
    assert.equal(tls.serverNameOverride, 'temporal.internal');
    assert.deepEqual(
      [tls.clientCertPair?.crt, tls.clientCertPair?.key].map((data) => Buffer.from(data ?? '').toString()),
      ['CERT', 'KEY'],
    );
  });

  test("Temporal's TOML profiles (envconfig): the chosen profile, and the variables over it", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'steadfast-config-')), 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "localhost:7233"',
        '[profile.cloud]',
        'address = "ns.acct.tmprl.cloud:7233"',
        'namespace = "ns.acct"',
        'api_key = "from-file"',
      ].join('\n'),
    );
    const cloud = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    assert.deepEqual([cloud.temporal.address, cloud.temporal.namespace], ['ns.acct.tmprl.cloud:7233', 'ns.acct']);
    assert.deepEqual(
      [connectionOptions(cloud.temporal).apiKey, connectionOptions(cloud.temporal).tls],
      ['from-file', true],
    );
    const overridden = loadConfig({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'other',
    });
    assert.equal(overridden.temporal.namespace, 'other');
    assert.throws(
      () => loadConfig({ TEMPORAL_CONFIG_FILE: join(file, '..', 'missing.toml') }),
      (err: unknown) => err instanceof ConfigError && /^TEMPORAL_CONFIG_FILE: no such file/.test(err.message),
    );
    assert.throws(
      () => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' }),
      (err: unknown) => err instanceof ConfigError && /^TEMPORAL_PROFILE: /.test(err.message),
    );
  });

  const invalid: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      'address without a port',
      { TEMPORAL_ADDRESS: 'localhost' },
      /^TEMPORAL_ADDRESS: expected host:port.*got "localhost"/,
    ],
    ['bad duration', { STEADFAST_APPROVAL_TIMEOUT: 'soon' }, /^STEADFAST_APPROVAL_TIMEOUT: expected a duration/],
    ['bad sandbox switch', { STEADFAST_SANDBOX: 'maybe' }, /^STEADFAST_SANDBOX: expected auto, on or off/],
    ['bad chat batching', { STEADFAST_CHAT_QUIET: 'a while' }, /^STEADFAST_CHAT_QUIET: expected a duration/],
    ['bad worker id', { STEADFAST_WORKER_ID: 'my worker' }, /^STEADFAST_WORKER_ID: expected letters, digits/],
    [
      'bad admin ids',
      { STEADFAST_ADMIN_TELEGRAM_IDS: '1000;@owner' },
      /^STEADFAST_ADMIN_TELEGRAM_IDS: expected numeric Telegram user ids, separated by commas/,
    ],
    ['bad control bot switch', { STEADFAST_CONTROL_BOT: 'yes' }, /^STEADFAST_CONTROL_BOT: expected on or off/],
    [
      'a breaker without its open time',
      { STEADFAST_BREAKER_X: '5/3' },
      /^STEADFAST_BREAKER_X: expected failures\/open time\/half-open calls, such as 5\/120s\/3, or off/,
    ],
    [
      'a breaker that never opens',
      { STEADFAST_BREAKER_AI: '0/60s/2' },
      /^STEADFAST_BREAKER_AI: expected failures\/open time\/half-open calls, such as 3\/60s\/2, or off/,
    ],
    ['a metrics port out of range', { STEADFAST_METRICS_PORT: '70000' }, /^STEADFAST_METRICS_PORT: expected a port/],
    ['a metrics port that is no number', { STEADFAST_METRICS_PORT: 'on' }, /^STEADFAST_METRICS_PORT: /],
    ['bad boolean', { TEMPORAL_TLS: 'yes' }, /^TEMPORAL_TLS: expected true or false/],
    ['bad URL', { CONVEX_URL: 'not a url' }, /^CONVEX_URL: expected a URL/],
    [
      'privileged sandbox port',
      { STEADFAST_SANDBOX_PORT: '80' },
      /^STEADFAST_SANDBOX_PORT: expected a port from 1024 to 65000/,
    ],
    [
      'half a client certificate',
      { TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' },
      /^TEMPORAL_TLS_CLIENT_KEY_PATH: required/,
    ],
    [
      'some service credentials but not all',
      { OPENAI_API_KEY: 'sk-x' },
      /^CONVEX_URL, STEADFAST_CONVEX_SECRET, TELEGRAM_API_ID, TELEGRAM_API_HASH, TELEGRAM_BOT_TOKEN: required to use real services \(OPENAI_API_KEY set\)/,
    ],
    ['half an X OAuth 1.0a app', { X_API_KEY: 'k' }, /^X_API_SECRET: required with X_API_KEY, from the same app/],
    ['an X client secret without its id', { X_CLIENT_SECRET: 's' }, /^X_CLIENT_ID: required with X_CLIENT_SECRET/],
    ['a Telegram server without a port', { TELEGRAM_SERVER: '149.154.167.40' }, /^TELEGRAM_SERVER: expected host:port/],
    [
      "a Telegram server's key without the server",
      { TELEGRAM_SERVER_PUBLIC_KEY: 'package.json' },
      /^TELEGRAM_SERVER: required with TELEGRAM_SERVER_PUBLIC_KEY/,
    ],
    [
      'a missing Telegram server key file',
      { TELEGRAM_SERVER: '127.0.0.1:443', TELEGRAM_SERVER_PUBLIC_KEY: '/nowhere/key.pem' },
      /^TELEGRAM_SERVER_PUBLIC_KEY: no such file: \/nowhere\/key.pem/,
    ],
    [
      'sandbox off without credentials',
      { STEADFAST_SANDBOX: 'off' },
      /required to use real services \(STEADFAST_SANDBOX=off\)/,
    ],
  ];
  for (const [name, env, message] of invalid) {
    test(`rejects ${name} with the variable's name and what is expected`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  test('the control bot, its admins (none but the owner by default), chat batching and the worker id', () => {
    const defaults = loadConfig({ STEADFAST_OWNER_TELEGRAM_ID: '42' });
    assert.deepEqual([defaults.ownerTelegramId, defaults.adminTelegramIds], ['42', []]);
    assert.equal(defaults.controlBot, true);
    assert.deepEqual(defaults.chatBatching, { firstWait: '1s', quiet: '4s', maxWait: '30s' });
    assert.match(defaults.workerId, /^[A-Za-z0-9._-]+$/);
    const set = loadConfig({
      STEADFAST_ADMIN_TELEGRAM_IDS: '1000, 2000',
      STEADFAST_CONTROL_BOT: 'off',
      STEADFAST_WORKER_ID: 'w-1',
    });
    assert.deepEqual([set.adminTelegramIds, set.controlBot, set.workerId], [['1000', '2000'], false, 'w-1']);
  });

  test("the circuit breakers (the seeds' settings by default, each configurable or off) and the metrics port", () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.breakers, {
      x: { failures: 5, openMs: 120_000, halfOpenCalls: 3 },
      ai: { failures: 3, openMs: 60_000, halfOpenCalls: 2 },
      convex: { failures: 3, openMs: 30_000, halfOpenCalls: 2 },
    });
    assert.deepEqual([defaults.metricsPort, defaults.metricsPortIsDefault], [9464, true]);
    assert.equal(loadConfig({ STEADFAST_METRICS_PORT: '9464' }).metricsPortIsDefault, false);
    const set = loadConfig({
      STEADFAST_BREAKER_X: '10/5m/1',
      STEADFAST_BREAKER_CONVEX: 'off',
      STEADFAST_METRICS_PORT: 'off',
    });
    assert.deepEqual(set.breakers.x, { failures: 10, openMs: 300_000, halfOpenCalls: 1 });
    assert.equal(set.breakers.convex, undefined);
    assert.equal(set.metricsPort, undefined);
    assert.equal(loadConfig({ STEADFAST_METRICS_PORT: '0' }).metricsPort, 0);
  });

  test('STEADFAST_SANDBOX=on keeps the sandbox even with credentials', () => {
    assert.equal(loadConfig({ STEADFAST_SANDBOX: 'on', OPENAI_API_KEY: 'sk-x' }).sandbox, true);
  });
});

describe('encryption and the account store', () => {
  const realServices = {
    OPENAI_API_KEY: 'sk-x',
    X_API_KEY: 'k',
    X_API_SECRET: 's',
    TELEGRAM_API_ID: '1',
    TELEGRAM_API_HASH: 'h',
    TELEGRAM_BOT_TOKEN: 't',
    CONVEX_URL: 'https://example.convex.cloud',
    STEADFAST_CONVEX_SECRET: 'shared',
  };
  const key = (id: string) => `${id}:${Buffer.alloc(32, id).toString('base64')}`;

  test('the owner: the sandbox has its seeded user; real services have none until one is set or paired', () => {
    assert.equal(loadConfig({}).ownerTelegramId, '1000');
    const real = loadConfig({ ...realServices, STEADFAST_ENCRYPTION_KEY: key('a') });
    assert.equal(real.ownerTelegramId, undefined);
    assert.equal(
      loadConfig({ ...realServices, STEADFAST_ENCRYPTION_KEY: key('a'), STEADFAST_OWNER_TELEGRAM_ID: '42' })
        .ownerTelegramId,
      '42',
    );
  });

  test("X's app credentials are optional: OAuth 2.0 accounts carry their client id; both halves or neither", () => {
    const withoutX = Object.fromEntries(Object.entries(realServices).filter(([name]) => !name.startsWith('X_')));
    const config = loadConfig({ ...withoutX, STEADFAST_ENCRYPTION_KEY: key('a'), X_CLIENT_ID: 'client' });
    assert.equal(config.sandbox, false);
    assert.deepEqual(config.x, {
      apiKey: undefined,
      apiSecret: undefined,
      clientId: 'client',
      clientSecret: undefined,
      baseUrl: undefined,
    });
  });

  test("Telegram's server: Telegram's own by default; another data centre with the key it signs with", () => {
    assert.equal(loadConfig({}).telegram.server, undefined);
    const test = loadConfig({ TELEGRAM_SERVER: '149.154.167.40:443', TELEGRAM_SERVER_PUBLIC_KEY: 'package.json' });
    assert.deepEqual(test.telegram.server, { host: '149.154.167.40', port: 443 });
    assert.equal(test.telegram.publicKeyPath, 'package.json');
  });

  test('real services with no key: one line saying how to make one, or how to turn encryption off', () => {
    assert.throws(
      () => loadConfig({ ...realServices, STEADFAST_ENCRYPTION: '' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^STEADFAST_ENCRYPTION_KEY: required with real services/);
        assert.match(err.message, /npm run cli -- key new/);
        assert.match(err.message, /STEADFAST_ENCRYPTION=off \(unsafe/);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
    const off = loadConfig({ ...realServices, STEADFAST_ENCRYPTION: 'off' });
    assert.equal(off.sandbox, false, 'the credentials are complete');
    assert.deepEqual(off.temporal.encryption, { mode: 'off' });
  });

  test('the key to encrypt with, and older ones to decrypt with', () => {
    const config = loadConfig({
      ...realServices,
      STEADFAST_ENCRYPTION_KEY: key('b'),
      STEADFAST_DECRYPTION_KEYS: `${key('a')}, ${key('z')}`,
    });
    const encryption = config.temporal.encryption;
    assert.equal(encryption.mode, 'keys');
    assert.ok(encryption.mode === 'keys');
    assert.equal(encryption.current.id, 'b');
    assert.deepEqual(
      encryption.previous.map((k) => k.id),
      ['a', 'z'],
    );
    assert.equal(encryption.current.secret.length, 32);
  });

  test('a malformed key names the variable and the fix, never the secret', () => {
    const secret = Buffer.alloc(16, 7).toString('base64');
    assert.throws(
      () => loadConfig({ STEADFAST_ENCRYPTION_KEY: `short:${secret}` }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /STEADFAST_ENCRYPTION_KEY: the key short is not 32 bytes/);
        assert.match(err.message, /npm run cli -- key new/);
        assert.ok(!err.message.includes(secret));
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ STEADFAST_DECRYPTION_KEYS: 'nocolon' }),
      /STEADFAST_DECRYPTION_KEYS: expected id:base64-key/,
    );
    assert.throws(
      () => loadConfig({ STEADFAST_ENCRYPTION_KEY: `${key('a')},${key('b')}` }),
      /expected one key; older ones go in STEADFAST_DECRYPTION_KEYS/,
    );
    assert.throws(
      () => loadConfig({ STEADFAST_DECRYPTION_KEYS: key('a') }),
      /STEADFAST_ENCRYPTION_KEY: required when STEADFAST_DECRYPTION_KEYS is set/,
    );
  });

  test('the account store: a file, or Convex (which needs encryption)', () => {
    assert.deepEqual(loadConfig({ STEADFAST_ACCOUNT_STORE: '/var/lib/steadfast/accounts.json' }).accountStore, {
      kind: 'file',
      path: '/var/lib/steadfast/accounts.json',
    });
    assert.deepEqual(loadConfig({ STEADFAST_ACCOUNT_STORE: 'convex' }).accountStore, { kind: 'convex' });
    assert.throws(
      () => loadConfig({ STEADFAST_ACCOUNT_STORE: 'convex', STEADFAST_ENCRYPTION: 'off' }),
      /STEADFAST_ACCOUNT_STORE: convex keeps the accounts' secrets encrypted, and STEADFAST_ENCRYPTION is off/,
    );
  });

  test('the codec server: its port and token; beyond loopback only with a token', () => {
    assert.deepEqual(loadConfig({ STEADFAST_CODEC_PORT: '9000', STEADFAST_CODEC_TOKEN: 'tok' }).codecServer, {
      port: 9000,
      host: '127.0.0.1',
      token: 'tok',
    });
    assert.throws(() => loadConfig({ STEADFAST_CODEC_PORT: 'x' }), /STEADFAST_CODEC_PORT: expected a port number/);
    assert.throws(
      () => loadConfig({ STEADFAST_CODEC_HOST: '0.0.0.0' }),
      /STEADFAST_CODEC_TOKEN: required when the codec server listens beyond loopback \(STEADFAST_CODEC_HOST=0\.0\.0\.0\)/,
    );
    assert.equal(
      loadConfig({ STEADFAST_CODEC_HOST: '0.0.0.0', STEADFAST_CODEC_TOKEN: 'tok' }).codecServer.host,
      '0.0.0.0',
    );
  });
});

describe('.env.example', () => {
  test('documents every variable the config reads, and the documented defaults load', () => {
    const example = readFileSync('.env.example', 'utf8');
    const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]);
    const source = readFileSync('src/config.ts', 'utf8');
    const read = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((match) => match[1]);
    assert.ok(read.length > 20);
    assert.deepEqual([...documented].sort(), [...read].sort());

    const values: NodeJS.ProcessEnv = Object.fromEntries(
      [...example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']),
    );
    assert.equal(loadConfig(values).sandbox, true);
  });
});
