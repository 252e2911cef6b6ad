import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';

/**
 * The compose route's CLI (docs/going-live.md, "With Docker Compose"): `docker compose run --rm cli …` must store
 * tokens, passwords and the owner where the workers read them. No Docker engine runs here, so the file is read as
 * compose reads it (YAML with merge keys) and held to that.
 */
interface Service {
  image?: string;
  ports?: string[];
  profiles?: string[];
  entrypoint?: string[];
  env_file?: { path: string }[];
  environment?: Record<string, string>;
  volumes?: string[];
  restart?: string;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string; restart?: boolean }>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

describe('docker-compose.yml: the CLI inside the stack', () => {
  const { cli, worker } = compose.services;

  test("is a tool (not started by `up`), built from the workers' image, running the compiled CLI", () => {
    assert.ok(cli && worker);
    assert.deepEqual(cli.profiles, ['tools']);
    assert.equal(cli.image, worker.image);
    assert.deepEqual(cli.entrypoint, ['node', 'dist/scripts/cli.js']);
    // The image compiles scripts/ beside src/ (tsconfig.build.json), so dist/scripts/cli.js is in it.
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[] };
    assert.ok(build.include.includes('scripts'));
    assert.match(readFileSync('Dockerfile', 'utf8'), /RUN npm run build/);
  });

  test('reads the same .env and Temporal, and writes the account store the workers read', () => {
    assert.deepEqual(cli!.env_file, worker!.env_file);
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'STEADFAST_ACCOUNT_STORE']) {
      assert.equal(cli!.environment?.[name], worker!.environment?.[name], name);
    }
    // As compose interpolates it with no STEADFAST_ACCOUNT_STORE in .env: `${NAME:-default}` is the default.
    const store = (worker!.environment?.STEADFAST_ACCOUNT_STORE ?? '').replace(/\$\{\w+:-([^}]*)\}/g, '$1');
    const volume = (service: Service) => service.volumes?.find((mount) => store.startsWith(`${mount.split(':')[1]}/`));
    assert.ok(volume(worker!), `the workers' account store ${store} is on a volume`);
    assert.equal(volume(cli!), volume(worker!), 'the CLI mounts the same volume at the same place');
    assert.match(volume(cli!) ?? '', /^steadfast-accounts:/, 'a named volume, shared by every container');
  });
});

describe('docker-compose.yml: nothing reachable from beyond this host', () => {
  test('every published port is bound to loopback', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => [name, port] as const),
    );
    assert.ok(published.length >= 2, 'Temporal and its Web UI are published for the host');
    for (const [name, port] of published) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port}`);
  });
});

describe('docker-compose.yml: a reboot converges without a crash loop', () => {
  test('each long-running service waits for the health of what it needs, and restarts with it', () => {
    const { postgresql, temporal, worker } = compose.services;
    assert.ok(postgresql?.healthcheck && temporal?.healthcheck, 'PostgreSQL and Temporal report their health');
    assert.deepEqual(temporal?.depends_on?.postgresql, { condition: 'service_healthy', restart: true });
    assert.deepEqual(worker?.depends_on?.temporal, { condition: 'service_healthy', restart: true });
    assert.deepEqual(worker?.depends_on?.['temporal-namespace'], { condition: 'service_completed_successfully' });
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.profiles || service.restart === 'no') continue;
      assert.equal(service.restart, 'unless-stopped', `${name} restarts after a reboot`);
    }
  });

  test('the namespace keeps dead letters 30 days unless .env says otherwise', () => {
    assert.equal(
      compose.services['temporal-namespace']?.environment?.TEMPORAL_NAMESPACE_RETENTION,
      '${TEMPORAL_NAMESPACE_RETENTION:-30d}',
    );
  });
});
