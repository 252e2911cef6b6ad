import { rmSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { startSandbox } from '../src/sandbox/sandbox';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';
import { Bench } from './bench/context';
import { benchCurves, type CurveFigures } from './bench/curves';
import { benchMemory } from './bench/memory';
import { benchRecovery } from './bench/recovery';
import { benchAutoReplies, benchOwnerReplies, benchRepliesAlone } from './bench/replies';
import { startBenchServer } from './bench/server';
import { benchIdleControlBot, benchSessionControl, benchSync } from './bench/sessions';
import { benchStorage } from './bench/storage';
import { round } from './bench/stats';
import { freeBasePort } from './free-ports';
import { CommandError, runCommand } from './run-command';
import { stopProcessesStep } from './worker-process';

/**
 * `npm run bench [-- --json] [--quick] [--waiting N] [--production] [--only part,…]`: Steadfast's speed and cost,
 * measured on a dev server and a sandbox of the bench's own (faults off, no latency), each figure beside a baseline
 * measured in the same run. Every part runs in a namespace of its own, so the server's `action` counter (what
 * Temporal Cloud bills) says what that part cost. `--waiting` sets how many replies wait for approval in the memory
 * part (10,000 by default), `--cache N` its worker's workflow cache and `--heap MB` its worker's V8 heap limit
 * (`--max-old-space-size`, for each of its threads); `--production` adds the production engine (Temporal Server on PostgreSQL) to the storage
 * part; `--only` runs some parts only (reply, owner, alone, sync, bot, session, recovery, storage, memory, curve) and
 * prints their raw figures. A full run adds the curves: auto replies at 50, 200 and 1,000 at once, on one worker and
 * two, and with payload encryption off.
 */
const sizes = {
  full: {
    replies: 200,
    ownerReplies: 100,
    alone: 8,
    messages: 500,
    idleSeconds: 120,
    recoverySeconds: 30,
    waiting: 10_000,
    curve: [50, 200, 1000],
  },
  quick: {
    replies: 6,
    ownerReplies: 3,
    alone: 1,
    messages: 6,
    idleSeconds: 16,
    recoverySeconds: 6,
    waiting: 12,
    curve: [3, 6],
  },
};

const namespaces = [
  'bench-reply',
  'bench-noop',
  'bench-owner',
  'bench-alone',
  'bench-sync',
  'bench-noop-sync',
  'bench-idle-bot',
  'bench-session',
  'bench-recovery',
  'bench-memory',
  'bench-curve',
];

runCommand(async (teardown) => {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      quick: { type: 'boolean' },
      waiting: { type: 'string' },
      production: { type: 'boolean' },
      only: { type: 'string' },
      cache: { type: 'string' },
      heap: { type: 'string' },
    },
  });
  const partNames = [
    'reply',
    'owner',
    'alone',
    'sync',
    'bot',
    'session',
    'recovery',
    'storage',
    'memory',
    'curve',
  ] as const;
  const only = values.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !(partNames as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) {
    throw new CommandError(`--only: parts among ${partNames.join(', ')} (got ${unknown.join(', ')})`);
  }
  const waiting = values.waiting === undefined ? undefined : Number(values.waiting);
  if (waiting !== undefined && !(Number.isInteger(waiting) && waiting > 0)) {
    throw new CommandError(`--waiting: a number of replies, such as 1000 (got ${values.waiting})`);
  }
  const size = { ...(values.quick ? sizes.quick : sizes.full), ...(waiting ? { waiting } : {}) };
  const cache = values.cache === undefined ? undefined : Number(values.cache);
  if (cache !== undefined && !(Number.isInteger(cache) && cache >= 2)) {
    throw new CommandError(
      `--cache: the memory part's workflow cache, a number of workflows such as 100 (got ${values.cache})`,
    );
  }
  const heap = values.heap === undefined ? undefined : Number(values.heap);
  if (heap !== undefined && !(Number.isInteger(heap) && heap >= 64)) {
    throw new CommandError(`--heap: the memory part's worker heap limit in MB, such as 128 (got ${values.heap})`);
  }
  const say = (line: string) => (values.json ? console.error(line) : console.log(line));
  const started = performance.now();

  say('Starting a dev server, the sandbox and the baselines’ bundle…');
  const server = await startBenchServer(namespaces);
  teardown.defer({ ...stopProcessesStep('the bench’s dev server', [server]), quiet: true });
  const sandboxPort = await freeBasePort();
  const sandbox = await startSandbox(sandboxPort);
  teardown.defer({
    what: 'the bench’s sandbox',
    quiet: true,
    stop: async () => {
      await sandbox.close();
      rmSync(sandbox.endpoints.dir, { recursive: true, force: true });
    },
  });
  const noopBundle = join(sandbox.endpoints.dir, 'noop-bundle.js');
  await writeWorkflowBundle(noopBundle, require.resolve('./bench/noop-workflows'));
  // Every worker of the bench loads one bundle made here, as the Docker image's workers do theirs.
  const workflowBundle = join(sandbox.endpoints.dir, 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundle);
  const connection = await Connection.connect({ address: server.address });
  teardown.defer({ what: 'the connection', quiet: true, stop: () => connection.close() });
  const bench = new Bench(server, sandboxPort, connection, teardown, noopBundle, workflowBundle, say);

  const part = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const at = performance.now();
    say(`${name}…`);
    const result = await run();
    // Each part's figures as soon as they are known: a long run stopped later keeps them.
    say(`  ${name}: ${((performance.now() - at) / 1000).toFixed(0)} s ${JSON.stringify(result)}`);
    return result;
  };
  if (only) {
    // Some parts only, for a closer look at one figure: each part's raw figures, no table.
    const runs: Record<(typeof partNames)[number], () => Promise<unknown>> = {
      reply: () => part('auto replies', () => benchAutoReplies(bench, size.replies)),
      owner: () => part('owner-approved replies', () => benchOwnerReplies(bench, size.ownerReplies)),
      alone: () => part('replies one at a time', () => benchRepliesAlone(bench, size.alone)),
      sync: () =>
        part('an idle account, then synced messages', () => benchSync(bench, size.messages, size.idleSeconds)),
      bot: () => part('the idle control bot', () => benchIdleControlBot(bench, size.idleSeconds)),
      session: () => part('a session paused, resumed, then dropped', () => benchSessionControl(bench)),
      recovery: () => part('a worker SIGKILLed under load', () => benchRecovery(bench, size.recoverySeconds)),
      storage: () => part('storage', () => benchStorage(bench, size.replies, Boolean(values.production))),
      memory: () => part('replies waiting for approval', () => benchMemory(bench, size.waiting, { cache, heap })),
      curve: () => part('auto replies by load, workers and encryption', () => benchCurves(bench, size.curve)),
    };
    const results: Record<string, unknown> = {};
    for (const name of only) results[name] = await runs[name as (typeof partNames)[number]]();
    if (values.json) console.log(JSON.stringify(results, null, 2));
    return 0;
  }
  const reply = await part(`${size.replies} auto replies and as many no-ops`, () =>
    benchAutoReplies(bench, size.replies),
  );
  const owner = await part(`${size.ownerReplies} owner-approved replies`, () =>
    benchOwnerReplies(bench, size.ownerReplies),
  );
  const alone = await part(`${size.alone} auto and ${size.alone} owner-approved replies, one at a time`, () =>
    benchRepliesAlone(bench, size.alone),
  );
  const sync = await part(`an idle account for ${size.idleSeconds} s, then ${size.messages} synced messages`, () =>
    benchSync(bench, size.messages, size.idleSeconds),
  );
  const bot = await part(`the idle control bot for ${size.idleSeconds} s`, () =>
    benchIdleControlBot(bench, size.idleSeconds),
  );
  const sessionControl = await part('a session paused, resumed, then dropped by Telegram', () =>
    benchSessionControl(bench),
  );
  const recovery = await part(`a worker SIGKILLed under ${size.recoverySeconds} s of load`, () =>
    benchRecovery(bench, size.recoverySeconds),
  );
  const production = Boolean(values.production);
  const storage = await part(
    `${size.replies} no-op replies on a SQLite file: default journal, then WAL${production ? ', then on PostgreSQL' : ''}`,
    () => benchStorage(bench, size.replies, production),
  );
  // The curves are a full run's: a quick run (the test suite's) has no load to speak of.
  const curve = values.quick
    ? undefined
    : await part(`auto replies at ${size.curve.join(', ')} at once, on 1 and 2 workers, encryption on and off`, () =>
        benchCurves(bench, size.curve),
      );
  const memory = await part(`${size.waiting} replies waiting for approval`, () =>
    benchMemory(bench, size.waiting, { cache, heap }),
  );

  const figures = {
    run: {
      quick: Boolean(values.quick),
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${arch()}, Node ${process.version}`,
      seconds: Math.round((performance.now() - started) / 1000),
    },
    reply: {
      throughputRatio: reply.throughputRatio,
      p50Ratio: reply.p50Ratio,
      perSecond: round(reply.replies.perSecond),
      p50Ms: Math.round(reply.replies.p50Ms),
      p99Ms: Math.round(reply.replies.p99Ms),
      noop: {
        perSecond: round(reply.noop.perSecond),
        p50Ms: Math.round(reply.noop.p50Ms),
        p99Ms: Math.round(reply.noop.p99Ms),
      },
      xRequestsPerReply: reply.xRequestsPerReply,
    },
    sync: {
      throughputRatio: sync.throughputRatio,
      perSecond: round(sync.sync.perSecond),
      p50Ms: Math.round(sync.sync.p50Ms),
      p99Ms: Math.round(sync.sync.p99Ms),
      noop: {
        perSecond: round(sync.noop.perSecond),
        p50Ms: Math.round(sync.noop.p50Ms),
        p99Ms: Math.round(sync.noop.p99Ms),
      },
    },
    actions: {
      autoReply: reply.actionsPerReply,
      ownerReply: owner.actionsPerReply,
      autoReplyAlone: alone.autoReply,
      ownerReplyAlone: alone.ownerReply,
      syncedMessage: sync.actionsPerMessage,
      idleAccountHour: sync.idleAccountHour,
      idleControlBotHour: bot.perHour,
      byType: {
        autoReply: reply.actionsByType,
        ownerReply: owner.actionsByType,
        autoReplyAlone: alone.byType.autoReply,
        ownerReplyAlone: alone.byType.ownerReply,
        idleAccountHour: sync.idleAccountByTypePerHour,
        idleControlBotHour: bot.byTypePerHour,
      },
    },
    session: {
      pauseMs: sessionControl.pauseMs,
      reconnectMs: sessionControl.reconnectMs,
      failoverMs: recovery.sessionFailoverMs,
    },
    recovery: {
      replyP99AddedMs: recovery.replyP99AddedMs,
      replyP50AddedMs: recovery.replyP50AddedMs,
      sessionFailoverMs: recovery.sessionFailoverMs,
      repliesHeld: recovery.held,
      baselineP50Ms: recovery.baselineP50Ms,
    },
    storage: {
      walThroughputRatio: storage.walThroughputRatio,
      defaultJournal: {
        perSecond: round(storage.defaultJournal.perSecond),
        p50Ms: Math.round(storage.defaultJournal.p50Ms),
      },
      wal: { perSecond: round(storage.wal.perSecond), p50Ms: Math.round(storage.wal.p50Ms) },
      ...(storage.postgres && {
        postgresVsWalRatio: storage.postgresVsWalRatio,
        postgres: { perSecond: round(storage.postgres.perSecond), p50Ms: Math.round(storage.postgres.p50Ms) },
      }),
    },
    memory: {
      workerRssMb: memory.workerRssMb,
      workerIdleRssMb: memory.workerIdleRssMb,
      serverRssMb: memory.serverRssMb,
      waiting: memory.waiting,
      cache: memory.cache,
      ...(memory.heapMb ? { heapMb: memory.heapMb } : {}),
      perThousandMb: memory.perThousandMb,
      interceptMb: memory.interceptMb,
      curve: memory.curve,
      postedOnce: memory.postedOnce,
      seconds: memory.seconds,
    },
    ...(curve && { curve }),
  };
  if (values.json) console.log(JSON.stringify(figures, null, 2));
  else console.log(`\n${table(figures)}`);
  return memory.postedOnce ? 0 : 1;
});

/** The figures beside their goals (issue 13), as docs/performance.md shows them. */
function table(f: {
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
  storage: {
    walThroughputRatio: number;
    defaultJournal: { perSecond: number };
    wal: { perSecond: number };
    postgresVsWalRatio?: number | undefined;
    postgres?: { perSecond: number };
  };
  memory: { workerRssMb: number; workerIdleRssMb: number; serverRssMb: number; waiting: number; postedOnce: boolean };
  curve?: CurveFigures;
}): string {
  const rows: [string, string, string][] = [
    [
      'reply throughput (vs same-shape no-op)',
      `${f.reply.perSecond}/s vs ${f.reply.noop.perSecond}/s = ${f.reply.throughputRatio}×`,
      '≥ 0.8×',
    ],
    ['reply p50 (vs no-op)', `${f.reply.p50Ms} ms vs ${f.reply.noop.p50Ms} ms = ${f.reply.p50Ratio}×`, '≤ 1.3×'],
    [
      'sync throughput (vs no-op)',
      `${f.sync.perSecond}/s vs ${f.sync.noop.perSecond}/s = ${f.sync.throughputRatio}×`,
      '',
    ],
    ['actions: auto reply', String(f.actions.autoReply), '≤ 6'],
    ['actions: owner-approved reply', String(f.actions.ownerReply), '≤ 9'],
    ['actions: auto reply, one at a time', String(f.actions.autoReplyAlone), ''],
    ['actions: owner-approved reply, one at a time', String(f.actions.ownerReplyAlone), ''],
    ['actions: synced message', String(f.actions.syncedMessage), '≤ 3'],
    ['actions: idle account, an hour', String(f.actions.idleAccountHour), '≤ 120'],
    ['actions: idle control bot, an hour', String(f.actions.idleControlBotHour), '≤ 120'],
    ['session: account pause, to disconnected', `${f.session.pauseMs} ms`, '≤ 2 s'],
    ['session: connection dropped, to connected again', `${f.session.reconnectMs} ms`, '≤ 2 s'],
    ['X requests per posted reply', String(f.reply.xRequestsPerReply), '1'],
    ['killed worker: added p99 to its replies', `${f.recovery.replyP99AddedMs} ms`, '≤ 10 s'],
    ['killed worker: session connected elsewhere', `${f.recovery.sessionFailoverMs} ms`, '≤ 45 s'],
    [
      'SQLite file: WAL vs default journal (no-op replies)',
      `${f.storage.wal.perSecond}/s vs ${f.storage.defaultJournal.perSecond}/s = ${f.storage.walThroughputRatio}×`,
      '',
    ],
    ...(f.storage.postgres
      ? [
          [
            'PostgreSQL (server:production) vs SQLite WAL (no-op replies)',
            `${f.storage.postgres.perSecond}/s vs ${f.storage.wal.perSecond}/s = ${f.storage.postgresVsWalRatio}×`,
            '',
          ] as [string, string, string],
        ]
      : []),
    [
      `${f.memory.waiting} waiting replies: worker RSS`,
      `${f.memory.workerRssMb} MB (idle ${f.memory.workerIdleRssMb} MB; server ${f.memory.serverRssMb} MB; all posted once: ${f.memory.postedOnce})`,
      '≤ 300 MB',
    ],
    ...(f.curve?.replies ?? []).map((point): [string, string, string] => [
      `curve: ${point.inFlight} auto replies at once, ${point.workers} worker(s), encryption ${point.encryption}`,
      `${point.perSecond}/s, p50 ${point.p50Ms} ms, p99 ${point.p99Ms} ms`,
      '',
    ]),
    ...(f.curve?.noop ?? []).map((point): [string, string, string] => [
      `curve: ${point.inFlight} no-op replies at once, 1 worker`,
      `${point.perSecond}/s, p50 ${point.p50Ms} ms, p99 ${point.p99Ms} ms`,
      '',
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows
    .map(([name, value, goal]) => `${name.padEnd(width)}  ${value}${goal ? `   (goal ${goal})` : ''}`)
    .join('\n');
}
