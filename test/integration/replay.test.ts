import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { failureConverterPath } from '../../src/encryption/data-converter';
import { workflowInterceptorModules } from '../../src/workers/worker-options';
import * as workflows from '../../src/workflows';
import { patches, retiredTypes } from '../../src/workflows/patches';
import { workflowBundlePath } from '../helpers/temporal';

/**
 * Replays the recorded histories of shipped workflows (test/histories/*.json) against the current workflow code.
 * A non-deterministic change (a new activity, a reordered step, a removed timer) fails here: make it behind
 * `patched()` instead, so workflows already running in production keep replaying. The patches' register
 * (src/workflows/patches.ts) is held to the code, and each deprecated patch to its next step: with every
 * `deprecatePatch()` removed, exactly the histories holding a deprecated patch's marker no longer replay, which is
 * why `steadfast patches` lists the open runs holding one.
 */
const dir = join(__dirname, '..', 'histories');
const histories = readdirSync(dir).filter((file) => file.endsWith('.json'));
const read = (file: string): unknown => JSON.parse(readFileSync(join(dir, file), 'utf8'));

/** The patch markers a history holds, as the SDK records them. */
function markers(file: string): { id: string; deprecated: boolean }[] {
  const history = read(file) as { events: { markerRecordedEventAttributes?: Record<string, never> }[] };
  return history.events.flatMap((event) => {
    const marker = event.markerRecordedEventAttributes as
      { markerName: string; details: Record<string, { payloads: { data: string }[] }> } | undefined;
    const data = marker?.markerName === 'core_patch' ? marker.details['patch-data']?.payloads[0]?.data : undefined;
    return data
      ? [JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string; deprecated: boolean }]
      : [];
  });
}

/** Every `patched('…')` and `deprecatePatch('…')` in the workflows' sources. */
function patchCalls(): { id: string; call: 'patched' | 'deprecatePatch' }[] {
  const sources = resolve(__dirname, '..', '..', 'src', 'workflows');
  return readdirSync(sources)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(sources, file), 'utf8').matchAll(/\b(patched|deprecatePatch)\('([\w-]+)'\)/g)].map(
        (match) => ({ call: match[1] as 'patched' | 'deprecatePatch', id: match[2] ?? '' }),
      ),
    );
}

describe('replay of recorded histories', () => {
  test('there are histories to replay', () => {
    assert.ok(histories.length >= 5, `expected recorded histories in ${dir}`);
  });
  for (const file of histories) {
    test(file, async () => {
      await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, read(file), file);
    });
  }
});

describe('the patches register', () => {
  test('lists every patch the workflows call, in the state they call it; a retired type is gone from the code', () => {
    const calls = patchCalls();
    assert.deepEqual(
      [...new Set(calls.map(({ id, call }) => `${id}: ${call === 'patched' ? 'patched' : 'deprecated'}`))].sort(),
      patches.map(({ id, state }) => `${id}: ${state}`).sort(),
    );
    const retiredPatches = retiredTypes.flatMap((type) => type.patches);
    assert.deepEqual(
      calls.filter((call) => retiredPatches.includes(call.id)),
      [],
    );
    const exported = Object.keys(workflows);
    for (const { workflowType } of retiredTypes) assert.ok(!exported.includes(workflowType), workflowType);
  });

  test('a deprecated patch has histories on both sides: holding its marker, and recorded since it was deprecated', () => {
    for (const entry of patches.filter((patch) => patch.state === 'deprecated')) {
      const held = histories.filter((file) => markers(file).some((m) => m.id === entry.id && !m.deprecated));
      const since = histories.filter((file) => markers(file).some((m) => m.id === entry.id && m.deprecated));
      assert.ok(
        held.length > 0 && since.length > 0,
        `${entry.id}: held by ${held.join(', ')}; since by ${since.join(', ')}`,
      );
    }
  });

  describe('with every deprecatePatch() removed, as the next release may', () => {
    let codePath = '';
    before(async () => {
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve('../../src/workflows'),
        failureConverterPath,
        workflowInterceptorModules,
        logger: new DefaultLogger('WARN'),
        webpackConfigHook: (config) => {
          config.resolve = {
            ...config.resolve,
            alias: {
              ...config.resolve?.alias,
              '@temporalio/workflow$': require.resolve('../fixtures/patches-removed'),
            },
          };
          return config;
        },
      });
      codePath = join(tmpdir(), `steadfast-patches-removed-${process.pid}.js`);
      writeFileSync(codePath, code);
    });
    const deprecated = new Set(patches.filter((p) => p.state === 'deprecated').map((p) => p.id));
    for (const file of histories) {
      const holds = markers(file).some((m) => deprecated.has(m.id) && !m.deprecated);
      test(`${file} ${holds ? 'no longer replays: it holds a deprecated patch' : 'still replays'}`, async () => {
        const replay = Worker.runReplayHistory({ workflowBundle: { codePath } }, read(file), file);
        if (holds) await assert.rejects(replay, /[Nn]ondeterminism/);
        else await replay;
      });
    }
  });
});
