import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as prettier from 'prettier';
import type { CurveFigures, CurvePoint } from './curves';
import type { ProductionFigures } from './production';

/** What a bench run measured, as far as its report shows it (scripts/bench.ts prints the whole of it). */
export interface ReportFigures {
  run: { quick: boolean; date: string; machine: string; seconds: number };
  reply: {
    throughputRatio: number;
    p50Ratio: number;
    perSecond: number;
    p50Ms: number;
    xRequestsPerReply: number;
    noop: { perSecond: number; p50Ms: number };
  };
  sync: { throughputRatio: number; perSecond: number; p50Ms: number; noop: { perSecond: number } };
  actions: {
    autoReply: number;
    ownerReply: number;
    autoReplyAlone: number;
    ownerReplyAlone: number;
    syncedMessage: number;
    idleAccountHour: number;
    idleControlBotHour: number;
  };
  session: { pauseMs: number; reconnectMs: number };
  recovery: { replyP99AddedMs: number; sessionFailoverMs: number };
  storage: { walThroughputRatio: number; defaultJournal: { perSecond: number }; wal: { perSecond: number } };
  production?: ProductionFigures | undefined;
  memory: {
    workerRssMb: number;
    workerIdleRssMb: number;
    workerPeakRssMb?: number;
    serverRssMb: number;
    waiting: number;
    postedOnce: boolean;
  };
  curve?: CurveFigures | undefined;
}

type Row = [figure: string, measured: string, goal: string];

/** The figures beside their goals (issue 31). */
function figureRows(f: ReportFigures): Row[] {
  return [
    [
      'auto replies at once: throughput vs the same-shape no-op',
      `${f.reply.perSecond}/s vs ${f.reply.noop.perSecond}/s = ${f.reply.throughputRatio}×`,
      '≥ 0.8×',
    ],
    [
      'their p50, start to done, vs the no-op',
      `${ms(f.reply.p50Ms)} vs ${ms(f.reply.noop.p50Ms)} = ${f.reply.p50Ratio}×`,
      '≤ 1.3×',
    ],
    [
      'synced messages: throughput vs the no-op',
      `${f.sync.perSecond}/s vs ${f.sync.noop.perSecond}/s = ${f.sync.throughputRatio}×`,
      '',
    ],
    ['actions per auto reply, at once', String(f.actions.autoReply), '≤ 6'],
    ['actions per owner-approved reply, at once (the approval included)', String(f.actions.ownerReply), '≤ 9'],
    ['actions per auto reply, one at a time', String(f.actions.autoReplyAlone), ''],
    ['actions per owner-approved reply, one at a time', String(f.actions.ownerReplyAlone), '≤ 9'],
    ['actions per synced message', String(f.actions.syncedMessage), '≤ 3'],
    ['actions per hour, an idle connected account', String(f.actions.idleAccountHour), '≤ 120'],
    ['actions per hour, the idle control bot', String(f.actions.idleControlBotHour), '≤ 120'],
    ['an account paused: the signal to the session closed', ms(f.session.pauseMs), '≤ 2 s'],
    ["a session's connection dropped by Telegram: connected again", ms(f.session.reconnectMs), '≤ 2 s'],
    ['X requests per posted reply', String(f.reply.xRequestsPerReply), '1'],
    ['a SIGKILLed worker: delay added to the replies it held, p99', ms(f.recovery.replyP99AddedMs), '≤ 10 s'],
    ['a SIGKILLed worker: its account session connected elsewhere', ms(f.recovery.sessionFailoverMs), '≤ 45 s'],
    [
      'SQLite file (`npm run server`): WAL vs the default journal, no-op replies',
      `${f.storage.wal.perSecond}/s vs ${f.storage.defaultJournal.perSecond}/s = ${f.storage.walThroughputRatio}×`,
      '',
    ],
    ...(f.production?.shards ?? []).map((point): Row => [
      `PostgreSQL (\`npm run server:production\`), ${point.shards} history shards, vs SQLite WAL: ${f.production?.load} no-op replies`,
      `${point.perSecond}/s vs ${f.production?.wal.perSecond}/s = ${point.vsWalRatio}×`,
      '',
    ]),
    ...(f.curve
      ? [
          [
            `payload encryption on vs off, ${f.curve.encryption.inFlight} auto replies at once`,
            `${f.curve.encryption.on.perSecond}/s vs ${f.curve.encryption.off.perSecond}/s = ${f.curve.encryption.throughputRatio}×`,
            '',
          ] as Row,
        ]
      : []),
    [
      `${f.memory.waiting.toLocaleString('en')} replies waiting for approval: worker RSS`,
      `${f.memory.workerRssMb} MB (idle ${f.memory.workerIdleRssMb} MB${f.memory.workerPeakRssMb === undefined ? '' : `; at most ${f.memory.workerPeakRssMb} MB while all were approved`}; server ${f.memory.serverRssMb} MB); all posted once: ${f.memory.postedOnce ? 'yes' : 'no'}`,
      '≤ 300 MB for 10,000',
    ],
  ];
}

function ms(value: number): string {
  return value >= 10_000
    ? `${(value / 1000).toFixed(0)} s`
    : value >= 1000
      ? `${(value / 1000).toFixed(1)} s`
      : `${value} ms`;
}

/** The figures as the terminal shows them: one line each, the goal after. */
export function textTable(f: ReportFigures): string {
  const rows: Row[] = [
    ...figureRows(f),
    ...curveRows(f.curve).map(([size, ...cells]): Row => [`curve: ${size} at once`, cells.join(' | '), '']),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows
    .map(([name, value, goal]) => `${name.padEnd(width)}  ${value}${goal ? `   (goal ${goal})` : ''}`)
    .join('\n');
}

/** The first point measured for each size and worker count with encryption on (the curve's own, not the pair's). */
function curvePoint(curve: CurveFigures, inFlight: number, workers: number): CurvePoint | undefined {
  return curve.replies.find((p) => p.inFlight === inFlight && p.workers === workers && p.encryption === 'on');
}

function curveSeries(
  curve: CurveFigures,
): { name: string; points: { inFlight: number; perSecond: number; p50Ms: number }[] }[] {
  const sizes = curve.noop.map((p) => p.inFlight);
  const workerCounts = [...new Set(curve.replies.map((p) => p.workers))].sort((a, b) => a - b);
  return [
    ...workerCounts.map((workers) => ({
      name: `auto replies, ${workers} worker${workers === 1 ? '' : 's'}`,
      points: sizes.flatMap((size) => curvePoint(curve, size, workers) ?? []),
    })),
    { name: 'no-op baseline, 1 worker', points: curve.noop },
  ];
}

function curveRows(curve: CurveFigures | undefined): string[][] {
  if (!curve) return [];
  const cell = (p: { perSecond: number; p50Ms: number; p99Ms: number } | undefined) =>
    p ? `${p.perSecond}/s, p50 ${ms(p.p50Ms)}, p99 ${ms(p.p99Ms)}` : '';
  const workerCounts = [...new Set(curve.replies.map((p) => p.workers))].sort((a, b) => a - b);
  return curve.noop.map((noop) => [
    noop.inFlight.toLocaleString('en'),
    ...workerCounts.map((workers) => cell(curvePoint(curve, noop.inFlight, workers))),
    cell(noop),
  ]);
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The report's section: the run, its figures beside their goals, the curve's table and its chart. */
export function markdownReport(f: ReportFigures, chartFile: string | undefined): string {
  const parts = [
    `Written by \`npm run bench -- --report\` on ${f.run.date.slice(0, 10)}: ${f.run.machine}, ` +
      `${f.run.quick ? 'a quick run' : 'a full run'}${f.production ? ' with `--production`' : ''}, ` +
      `${Math.round(f.run.seconds / 60)} minutes.`,
    markdownTable(['figure', 'measured', 'goal'], figureRows(f)),
  ];
  if (f.curve) {
    const workerCounts = [...new Set(f.curve.replies.map((p) => p.workers))].sort((a, b) => a - b);
    parts.push(
      'Auto replies started at once: throughput (first start to last end) and start-to-done latency, beside the ' +
        'no-op baseline at the same load.',
      markdownTable(
        ['in flight', ...workerCounts.map((w) => `${w} worker${w === 1 ? '' : 's'}`), 'no-op, 1 worker'],
        curveRows(f.curve),
      ),
    );
    if (chartFile) parts.push(`![Throughput and p50 against replies in flight](${chartFile})`);
  }
  return parts.join('\n\n');
}

/** The least of 1, 2, 2.5 and 5 times a power of ten that is at least `rough`: an axis's step. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
}

const palette = ['#1f6feb', '#d1242f', '#6e7781', '#8250df'];

/** Throughput and p50 against the count in flight (a log scale), one line per series, as an SVG of two panels. */
export function curveChart(curve: CurveFigures): string {
  const series = curveSeries(curve);
  const sizes = curve.noop.map((p) => p.inFlight);
  const [width, height, panelWidth] = [760, 330, 330];
  const plot = { top: 40, bottom: 260, left: 55 };
  const lo = Math.log(Math.min(...sizes));
  const hi = Math.log(Math.max(...sizes));
  const x = (offset: number, inFlight: number) =>
    offset + plot.left + (hi === lo ? 0.5 : (Math.log(inFlight) - lo) / (hi - lo)) * (panelWidth - plot.left - 20);
  const panel = (
    offset: number,
    title: string,
    unit: string,
    value: (p: { perSecond: number; p50Ms: number }) => number,
  ) => {
    const highest = Math.max(...series.flatMap((s) => s.points.map(value)), 1e-9);
    const step = niceStep(highest / 5);
    const ticks = Array.from({ length: Math.ceil(highest / step) + 1 }, (_, t) => t * step);
    const max = ticks.at(-1) ?? 1;
    const y = (v: number) => plot.bottom - (v / max) * (plot.bottom - plot.top);
    return [
      `<text x="${offset + plot.left}" y="24" font-weight="bold">${title}</text>`,
      `<line x1="${offset + plot.left}" y1="${plot.bottom}" x2="${offset + panelWidth - 10}" y2="${plot.bottom}" stroke="#999"/>`,
      `<line x1="${offset + plot.left}" y1="${plot.top}" x2="${offset + plot.left}" y2="${plot.bottom}" stroke="#999"/>`,
      ...ticks.map(
        (t) =>
          `<text x="${offset + plot.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${Number(t.toPrecision(3))}</text>`,
      ),
      `<text x="${offset + 12}" y="${(plot.top + plot.bottom) / 2}" transform="rotate(-90 ${offset + 12} ${(plot.top + plot.bottom) / 2})" text-anchor="middle">${unit}</text>`,
      ...sizes.map(
        (size) =>
          `<text x="${x(offset, size).toFixed(1)}" y="${plot.bottom + 16}" text-anchor="middle">${size.toLocaleString('en')}</text>`,
      ),
      `<text x="${offset + (plot.left + panelWidth) / 2}" y="${plot.bottom + 34}" text-anchor="middle">in flight (log scale)</text>`,
      ...series.map((s, i) => {
        const points = s.points.map((p) => `${x(offset, p.inFlight).toFixed(1)},${y(value(p)).toFixed(1)}`);
        const colour = palette[i % palette.length] ?? '#000';
        return [
          `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.join(' ')}"/>`,
          ...points.map((pt) => {
            const [cx, cy] = pt.split(',');
            return `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`;
          }),
        ].join('');
      }),
    ].join('\n');
  };
  const legend = series.map(
    (s, i) =>
      `<rect x="${60 + i * 240}" y="${height - 22}" width="14" height="4" fill="${palette[i % palette.length] ?? '#000'}"/>` +
      `<text x="${80 + i * 240}" y="${height - 16}">${s.name}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    panel(0, 'Throughput', 'replies per second', (p) => p.perSecond),
    panel(panelWidth + 40, 'Latency, p50', 'seconds, start to done', (p) => p.p50Ms / 1000),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

const start = '<!-- bench:report:start -->';
const end = '<!-- bench:report:end -->';

/** Refuses, before a run begins, a report file the run could not write its section into. */
export function checkReportFile(file: string): void {
  if (!existsSync(file))
    throw new Error(`--report ${file}: no such file; name a Markdown file, such as docs/performance.md`);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(start) || !text.includes(end) || text.indexOf(start) > text.indexOf(end)) {
    throw new Error(
      `--report ${file}: the file has no place for the report: add a line \`${start}\` and, below it, \`${end}\` where ` +
        'the tables go',
    );
  }
}

/**
 * Writes the run's section into `file` between its markers (what lies outside them is the docs' own) and, with a
 * curve, its chart beside it as `<name>-curve.svg`. Returns the files written.
 */
export async function writeReport(file: string, f: ReportFigures): Promise<string[]> {
  checkReportFile(file);
  const chart = f.curve ? `${basename(file, '.md')}-curve.svg` : undefined;
  const text = readFileSync(file, 'utf8');
  const section = markdownReport(f, chart);
  const replaced = `${text.slice(0, text.indexOf(start) + start.length)}\n\n${section}\n\n${text.slice(text.indexOf(end))}`;
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(replaced, { ...options, filepath: file }));
  if (!f.curve || !chart) return [file];
  const chartPath = join(dirname(file), chart);
  writeFileSync(chartPath, curveChart(f.curve));
  return [file, chartPath];
}
