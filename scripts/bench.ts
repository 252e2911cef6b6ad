import { rmSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { startSandbox } from '../src/sandbox/sandbox';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';
import { Bench } from './lib/bench/context';
import { benchCurves } from './lib/bench/curves';
import { benchMemory } from './lib/bench/memory';
import { benchRecovery } from './lib/bench/recovery';
import { benchAutoReplies, benchOwnerReplies, benchRepliesAlone } from './lib/bench/replies';
import { startBenchServer } from './lib/bench/bench-server';
import { benchIdleControlBot, benchSessionControl, benchSync } from './lib/bench/sessions';
import { benchProduction } from './lib/bench/production';
import { checkReportFile, textTable, writeReport } from './lib/bench/report';
import { benchStorage } from './lib/bench/storage';
import { round } from './lib/bench/stats';
import { freeBasePort } from '../src/free-port';
import { CommandError, runCommand } from './lib/run-command';
import { stopProcessesStep } from './lib/worker-process';

/**
 * `npm run bench [-- --json] [--quick] [--waiting N] [--production] [--only part,…] [--report FILE]`: Steadfast's
 * speed and cost, measured on a dev server and a sandbox of the bench's own (faults off, no latency), each figure
 * beside a baseline measured in the same run. Every part runs in a namespace of its own, so the server's `action`
 * counter (what Temporal Cloud bills) says what that part cost. `--waiting` sets how many replies wait for approval in
 * the memory part (10,000 by default), `--cache N` its worker's workflow cache and `--heap MB` its worker's V8 heap
 * limit (`--max-old-space-size`, for each of its threads); `--production` adds the production engine (Temporal Server
 * on PostgreSQL) with 4 and 16 history shards; `--only` runs some parts only (reply, owner, alone, sync, bot, session,
 * recovery, storage, memory, curve, production) and prints their raw figures. A full run adds the curves: auto replies
 * at 50, 200 and 1,000 at once, on one worker and two, and with payload encryption off. `--report FILE` writes the
 * run's tables into FILE between its bench markers and the curve's chart beside it as an SVG (scripts/lib/bench/report.ts).
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
    shardLoad: 1000,
    shards: [4, 16],
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
    shardLoad: 6,
    shards: [4, 16],
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
      report: { type: 'string' },
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
    'production',
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
  // Refused now, not after a run of an hour: a report file without its markers.
  if (values.report !== undefined && only) {
    throw new CommandError('--report writes a whole run’s tables: leave out --only');
  }
  if (values.report !== undefined) {
    try {
      checkReportFile(values.report);
    } catch (err) {
      throw new CommandError((err as Error).message);
    }
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
  await writeWorkflowBundle(noopBundle, require.resolve('./lib/bench/noop-workflows'));
  // Every worker of the bench loads one bundle made here, as the Docker image's workers do theirs, but the memory
  // part's: it bundles apart at start, as an owner's worker does (scripts/lib/bench/memory.ts).
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
      storage: () => part('storage', () => benchStorage(bench, size.replies)),
      memory: () => part('replies waiting for approval', () => benchMemory(bench, size.waiting, { cache, heap })),
      curve: () => part('auto replies by load, workers and encryption', () => benchCurves(bench, size.curve)),
      production: () =>
        part('the production engine by history shards', () => benchProduction(bench, size.shardLoad, size.shards)),
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
  // The idle account and the idle control bot wait side by side: each counts the actions of its own namespace, which
  // the other's work does not change (heartbeats and timers, not CPU). The messages are synced once the bot's part
  // has ended, so that their throughput is measured as its baseline's is, with no other worker running.
  const idleBot = part(`the idle control bot for ${size.idleSeconds} s`, () =>
    benchIdleControlBot(bench, size.idleSeconds),
  );
  const [sync, bot] = await Promise.all([
    part(`an idle account for ${size.idleSeconds} s, then ${size.messages} synced messages`, () =>
      benchSync(bench, size.messages, size.idleSeconds, idleBot),
    ),
    idleBot,
  ]);
  const sessionControl = await part('a session paused, resumed, then dropped by Telegram', () =>
    benchSessionControl(bench),
  );
  const recovery = await part(`a worker SIGKILLed under ${size.recoverySeconds} s of load`, () =>
    benchRecovery(bench, size.recoverySeconds),
  );
  const storage = await part(`${size.replies} no-op replies on a SQLite file: default journal, then WAL`, () =>
    benchStorage(bench, size.replies),
  );
  const production = values.production
    ? await part(
        `${size.shardLoad} no-op replies on SQLite WAL, then on PostgreSQL with ${size.shards.join(' and ')} history shards`,
        () => benchProduction(bench, size.shardLoad, size.shards),
      )
    : undefined;
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
    },
    ...(production && { production }),
    memory: {
      workerRssMb: memory.workerRssMb,
      workerIdleRssMb: memory.workerIdleRssMb,
      workerPeakRssMb: memory.workerPeakRssMb,
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
    ...(curve && {
      curve,
      encryption: {
        inFlight: curve.encryption.inFlight,
        throughputRatio: curve.encryption.throughputRatio,
        offPerSecond: curve.encryption.off.perSecond,
        onPerSecond: curve.encryption.on.perSecond,
      },
    }),
  };
  if (values.json) console.log(JSON.stringify(figures, null, 2));
  else console.log(`\n${textTable(figures)}`);
  if (values.report !== undefined) say(`Wrote ${(await writeReport(values.report, figures)).join(' and ')}`);
  return memory.postedOnce ? 0 : 1;
});
