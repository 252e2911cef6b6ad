import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CurveFigures } from '../../scripts/lib/bench/curves';
import { checkReportFile, curveChart, writeReport, type ReportFigures } from '../../scripts/lib/bench/report';

/** `npm run bench -- --report FILE`: what it writes from a run's figures (these are made up; the bench's are real). */
const point = (
  inFlight: number,
  workers: number,
  perSecond: number,
  p50Ms: number,
  encryption: 'on' | 'off' = 'on',
) => ({
  inFlight,
  workers,
  encryption,
  perSecond,
  p50Ms,
  p99Ms: p50Ms * 2,
});
const curve: CurveFigures = {
  replies: [
    point(50, 1, 15.6, 2100),
    point(200, 1, 26.9, 4000),
    point(1000, 1, 23.5, 29_000),
    point(200, 1, 24.4, 4500, 'off'),
    point(200, 1, 24.8, 5000),
    point(50, 2, 20.4, 2200),
    point(200, 2, 21.9, 8600),
    point(1000, 2, 20.8, 28_000),
  ],
  noop: [50, 200, 1000].map((inFlight, i) => ({
    inFlight,
    perSecond: [38.1, 30, 40.2][i] ?? 0,
    p50Ms: 1100,
    p99Ms: 1300,
  })),
  encryption: {
    inFlight: 200,
    off: point(200, 1, 24.4, 4500, 'off'),
    on: point(200, 1, 24.8, 5000),
    throughputRatio: 1.02,
  },
};
const figures: ReportFigures = {
  run: { quick: false, date: '2026-12-07T06:00:00.000Z', machine: '2 × test cores', seconds: 1200 },
  reply: {
    throughputRatio: 0.82,
    p50Ratio: 1.26,
    perSecond: 17.2,
    p50Ms: 7800,
    xRequestsPerReply: 1,
    noop: { perSecond: 21.1, p50Ms: 6200 },
  },
  sync: { throughputRatio: 0.94, perSecond: 37.1, p50Ms: 900, noop: { perSecond: 39.5 } },
  actions: {
    autoReply: 5.11,
    ownerReply: 10.17,
    autoReplyAlone: 6.38,
    ownerReplyAlone: 13.38,
    syncedMessage: 2,
    idleAccountHour: 120,
    idleControlBotHour: 120,
  },
  session: { pauseMs: 29, reconnectMs: 1000 },
  recovery: { replyP99AddedMs: 0, sessionFailoverMs: 41_000 },
  storage: { walThroughputRatio: 2.54, defaultJournal: { perSecond: 6.5 }, wal: { perSecond: 16.6 } },
  production: {
    load: 1000,
    wal: { perSecond: 16.6, p50Ms: 3000, p99Ms: 5000 },
    shards: [
      { shards: 4, perSecond: 10, p50Ms: 5000, p99Ms: 9000, vsWalRatio: 0.6 },
      { shards: 16, perSecond: 9.5, p50Ms: 5200, p99Ms: 9100, vsWalRatio: 0.57 },
    ],
  },
  memory: { workerRssMb: 700, workerIdleRssMb: 250, serverRssMb: 907, waiting: 10_000, postedOnce: true },
  curve,
};

const markers = (inside: string) =>
  `# Perf\n\nBefore.\n\n<!-- bench:report:start -->\n${inside}\n<!-- bench:report:end -->\n\nAfter.\n`;

describe('npm run bench -- --report', () => {
  test('writes the figures, the curve and its chart between the markers, and leaves the rest of the page alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-report-'));
    const file = join(dir, 'performance.md');
    writeFileSync(file, markers('an older run'));
    assert.deepEqual(await writeReport(file, figures), [file, join(dir, 'performance-curve.svg')]);
    const page = readFileSync(file, 'utf8');
    assert.ok(page.startsWith('# Perf\n\nBefore.\n\n<!-- bench:report:start -->\n'), page);
    assert.ok(page.endsWith('<!-- bench:report:end -->\n\nAfter.\n'), page);
    assert.doesNotMatch(page, /an older run/);
    assert.match(page, /on 2026-12-07: 2 × test cores, a full run with `--production`, 20 minutes/);
    assert.match(page, /\| actions per owner-approved reply, at once \(the approval included\) +\| 10\.17 +\| ≤ 9 +\|/);
    assert.match(page, /4 history shards, vs SQLite WAL: 1000 no-op replies +\| 10\/s vs 16\.6\/s = 0\.6×/);
    assert.match(page, /payload encryption on vs off, 200 auto replies at once +\| 24\.8\/s vs 24\.4\/s = 1\.02×/);
    assert.match(page, /10,000 replies waiting for approval: worker RSS +\| 700 MB/);
    // The curve's own point at 200 on one worker, not the encryption pair measured after it.
    assert.match(page, /\| 200 +\| 26\.9\/s, p50 4\.0 s, p99 8\.0 s +\| 21\.9\/s, p50 8\.6 s/);
    assert.match(page, /!\[Throughput and p50 against replies in flight\]\(performance-curve\.svg\)/);

    // A second run replaces its section: one section, never two.
    await writeReport(file, { ...figures, actions: { ...figures.actions, ownerReply: 8.9 } });
    const again = readFileSync(file, 'utf8');
    assert.equal(again.split('<!-- bench:report:start -->').length, 2);
    assert.match(again, /\| 8\.9 +\|/);
    assert.doesNotMatch(again, /10\.17/);
  });

  test('the chart: two panels, a line per series through every size in order, every coordinate a number', () => {
    const svg = curveChart(curve);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.equal(lines.length, 6, 'three series (1 worker, 2 workers, no-op) in each of two panels');
    for (const line of lines) {
      const xs = line.split(' ').map((pair) => pair.split(',').map(Number));
      assert.equal(xs.length, 3, line);
      assert.ok(xs.flat().every(Number.isFinite), line);
      assert.ok(
        (xs[0]?.[0] ?? 0) < (xs[1]?.[0] ?? 0) && (xs[1]?.[0] ?? 0) < (xs[2]?.[0] ?? 0),
        `sizes in order: ${line}`,
      );
    }
    for (const name of ['auto replies, 1 worker', 'auto replies, 2 workers', 'no-op baseline, 1 worker']) {
      assert.ok(svg.includes(`>${name}</text>`), name);
    }
  });

  test('a file without its markers, or no file, is refused by name before a run begins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-report-'));
    const file = join(dir, 'notes.md');
    writeFileSync(file, '# Notes\n');
    assert.throws(
      () => checkReportFile(file),
      /notes\.md: the file has no place for the report: add a line `<!-- bench:report:start -->`/,
    );
    assert.throws(() => checkReportFile(join(dir, 'missing.md')), /missing\.md: no such file/);
    assert.equal(readFileSync(file, 'utf8'), '# Notes\n', 'nothing written');
  });
});
