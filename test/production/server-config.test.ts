import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deployDir } from '../../scripts/lib/production-stack';
import { resolveTemporalServer } from '../../scripts/lib/temporal-server-build';
import { searchAttributeKeys } from '../../src/workflows/search-attributes';

/**
 * deploy/temporal/ is one configuration for the production server here and in docker-compose.yml: the server itself
 * renders config/production.yaml for either environment, and the compose file runs it from those same files.
 */
function render(env: NodeJS.ProcessEnv): string {
  const { server } = resolveTemporalServer();
  return execFileSync(server, ['--root', '.', '--config', 'config', '--env', 'production', 'render-config'], {
    cwd: deployDir,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

describe('deploy/temporal: the server configuration of `npm run server:production` and docker-compose.yml', () => {
  test("rendered with compose's variables: PostgreSQL at postgresql:5432, every service on 0.0.0.0, SQL visibility", () => {
    const compose = render({
      TEMPORAL_DB_HOST: 'postgresql',
      TEMPORAL_DB_PORT: '5432',
      TEMPORAL_DB_PASSWORD: 'from-dotenv',
      TEMPORAL_PORT: '7233',
      TEMPORAL_BIND_IP: '0.0.0.0',
    });
    assert.equal(compose.match(/connectAddr: postgresql:5432/g)?.length, 2, compose);
    assert.match(compose, /defaultStore: postgres\n/);
    assert.match(compose, /visibilityStore: postgres-visibility\n/);
    assert.match(compose, /databaseName: temporal_visibility/);
    assert.equal(compose.match(/bindOnIP: 0\.0\.0\.0/g)?.length, 4);
    assert.match(compose, /grpcPort: 7233\n/);
    assert.match(compose, /filepath: dynamicconfig\.yaml/);
    assert.match(compose, /numHistoryShards: 4\n/, 'four history shards unless told');
  });

  test('TEMPORAL_HISTORY_SHARDS sets the history shards a new cluster is made with', () => {
    assert.match(render({ TEMPORAL_HISTORY_SHARDS: '16' }), /numHistoryShards: 16\n/);
  });

  test("rendered with a host's: loopback only, and the other ports follow TEMPORAL_PORT's", () => {
    const host = render({ TEMPORAL_DB_PORT: '55432', TEMPORAL_PORT: '27233' });
    assert.equal(host.match(/connectAddr: 127\.0\.0\.1:55432/g)?.length, 2);
    assert.equal(host.match(/bindOnIP: 127\.0\.0\.1/g)?.length, 4);
    for (const port of [27233, 27234, 27235, 27239, 27243, 26933, 26934, 26935, 26939]) {
      assert.match(host, new RegExp(`(grpc|http|membership)Port: ${port}\\n`), `port ${port}`);
    }
    assert.match(host, /listenAddress: 127\.0\.0\.1:27242/);
  });

  test('with TEMPORAL_TLS_DIR, every connection to the frontend and between services shows a certificate', () => {
    const plain = render({});
    assert.doesNotMatch(plain, /requireClientAuth: true/);
    const tls = render({ TEMPORAL_TLS_DIR: '/etc/steadfast-tls' });
    assert.equal(tls.match(/requireClientAuth: true/g)?.length, 2, 'the frontend and internode servers');
    assert.equal(tls.match(/clientCaFiles:\n\s+- \/etc\/steadfast-tls\/ca\.pem/g)?.length, 2);
    assert.match(tls, /systemWorker:[\s\S]*certFile: \/etc\/steadfast-tls\/server\.pem/);
  });

  test('docker-compose.yml runs the server, the schema and the namespace setup from these files', () => {
    const compose = readFileSync(join(deployDir, '..', '..', 'docker-compose.yml'), 'utf8');
    assert.equal(compose.match(/- \.\/deploy\/temporal:\/etc\/steadfast-temporal:ro/g)?.length, 3);
    assert.match(
      compose,
      /entrypoint: \['temporal-server', '--root', '\.', '--config', 'config', '--env', 'production', 'start'\]/,
    );
    assert.match(compose, /entrypoint: \['sh', '\/etc\/steadfast-temporal\/setup-schema\.sh'\]/);
    assert.match(compose, /entrypoint: \['sh', '\/etc\/steadfast-temporal\/setup-namespace\.sh'\]/);
  });

  test('the search attributes registered are the ones the workflows set', () => {
    const listed = readFileSync(join(deployDir, 'search-attributes'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.trim().split(/\s+/));
    assert.deepEqual(
      listed,
      searchAttributeKeys.map((key) => [key.name, key.type === 'KEYWORD' ? 'Keyword' : key.type]),
    );
  });
});
