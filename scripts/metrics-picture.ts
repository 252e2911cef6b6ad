import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from '../src/free-port';
import { CommandError, runCommand } from './lib/run-command';
import { stopProcessesStep } from './lib/worker-process';

/**
 * `npm run metrics:picture [-- docs/metrics.png]`: the picture docs/reliability.md shows. Debian's Prometheus
 * (`/usr/bin/prometheus`, the `prometheus` package) scrapes, every 2 s, the workers and the dev server of one
 * `npm run demo` (its workers take the monitoring ports from 9464 up; its dev server serves its metrics at 8234), with
 * the alert rules of deploy/prometheus/rules.yml; then a headless Chromium opens Prometheus's graph page on the
 * replies by outcome, the retries absorbed and the billed actions, and saves a screenshot. Nothing else may use those ports meanwhile.
 */
const queries = [
  'sum by (outcome) (steadfast_replies)',
  'sum by (activityType) (steadfast_activity_retries_absorbed)',
  'sum by (action_type) (increase(action[1m]))',
];

runCommand(async (teardown) => {
  const output = resolve(process.argv[2] ?? 'docs/metrics.png');
  for (const tool of ['prometheus', 'chromium']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) {
      throw new CommandError(`${tool} is not installed: apt-get install ${tool}`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-metrics-'));
  const port = await freeLoopbackPort();
  const config = {
    global: { scrape_interval: '2s', evaluation_interval: '2s' },
    rule_files: [resolve('deploy/prometheus/rules.yml')],
    scrape_configs: [
      {
        job_name: 'steadfast-workers',
        static_configs: [{ targets: [9464, 9465, 9466, 9467].map((p) => `127.0.0.1:${p}`) }],
      },
      { job_name: 'temporal-server', static_configs: [{ targets: ['127.0.0.1:8234'] }] },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const stopPrometheus = stopProcessesStep('Prometheus', [
    { child: prometheus, exited: once(prometheus, 'exit').then(() => undefined) },
  ]);
  teardown.defer({
    ...stopPrometheus,
    stop: async () => {
      const said = await stopPrometheus.stop();
      rmSync(dir, { recursive: true, force: true });
      return said;
    },
  });
  console.log(`Prometheus on http://127.0.0.1:${port}, scraping the demo's workers and dev server`);

  const demo = spawn('npm', ['run', '--silent', 'demo'], { stdio: 'inherit' });
  const code = await new Promise<number | null>((done) => demo.once('exit', done));
  if (code !== 0) throw new CommandError(`npm run demo exited with ${code}: no picture`);
  await sleep(5_000); // the last scrapes

  const graph = new URL(`http://127.0.0.1:${port}/classic/graph`);
  queries.forEach((expr, i) => {
    graph.searchParams.set(`g${i}.expr`, expr);
    graph.searchParams.set(`g${i}.tab`, '0');
    graph.searchParams.set(`g${i}.range_input`, '4m');
  });
  const shot = spawnSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--virtual-time-budget=10000',
      `--screenshot=${output}`,
      // Tall enough for every graph: the page then cannot scroll to the last input it focuses.
      '--window-size=1200,2450',
      graph.toString(),
    ],
    { stdio: 'ignore' },
  );
  if (shot.status !== 0) throw new CommandError(`chromium could not take the screenshot (exit ${shot.status})`);
  console.log(`Wrote ${output}: ${graph.toString()}`);
  return 0;
});
