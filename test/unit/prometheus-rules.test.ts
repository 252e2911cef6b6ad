import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

/**
 * deploy/prometheus/ as Prometheus reads it, checked by its own tool (`promtool`, Debian's `prometheus` package,
 * which .ci/run installs), and deploy/grafana/steadfast.json as Grafana imports it. That every series they name is
 * served is test/system/metrics.test.ts's to show, on a running worker and server.
 */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error) {
    throw new Error(`promtool is not installed: apt-get install prometheus (as .ci/run does) (${run.error.message})`);
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('deploy/prometheus and deploy/grafana', () => {
  test('promtool accepts the alert rules and the scrape config that loads them', () => {
    const rules = promtool('check', 'rules', 'deploy/prometheus/rules.yml');
    assert.equal(rules.status, 0, rules.output);
    assert.match(rules.output, /SUCCESS: 5 rules found/);
    const config = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    assert.equal(config.status, 0, config.output);
  });

  test('promtool refuses a broken rule (so the check above can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-rules-'));
    const broken = readFileSync('deploy/prometheus/rules.yml', 'utf8').replace(
      'expr: max by (service)',
      'expr: max by (service (',
    );
    writeFileSync(join(dir, 'rules.yml'), broken);
    assert.notEqual(promtool('check', 'rules', join(dir, 'rules.yml')).status, 0);
  });

  test('the dashboard is a Grafana dashboard whose every panel queries the chosen Prometheus', () => {
    const dashboard = JSON.parse(readFileSync('deploy/grafana/steadfast.json', 'utf8')) as {
      uid: string;
      panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
      templating: { list: { name: string; type: string }[] };
    };
    assert.equal(dashboard.uid, 'steadfast');
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const wanted of [/outcome/, /Dead letters/, /Retries absorbed/, /Circuit breakers/, /sessions/i, /actions/]) {
      assert.ok(
        titles.some((title) => wanted.test(title)),
        `a panel for ${String(wanted)}: ${titles.join(', ')}`,
      );
    }
    for (const panel of dashboard.panels) {
      assert.equal(panel.datasource.uid, '${datasource}', panel.title);
      assert.ok(panel.targets.length > 0, panel.title);
    }
    // Each query is PromQL that Prometheus parses: promtool evaluates it as a rule's expression.
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-dashboard-'));
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const rules = exprs.map(
      (expr, i) => `      - record: dashboard:query_${i}\n        expr: '${expr.replaceAll("'", "''")}'`,
    );
    writeFileSync(join(dir, 'queries.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
    const parsed = promtool('check', 'rules', join(dir, 'queries.yml'));
    assert.equal(parsed.status, 0, parsed.output);
  });
});
