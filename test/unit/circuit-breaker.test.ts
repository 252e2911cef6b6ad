import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { CircuitBreaker, guardPort } from '../../src/adapters/circuit-breaker';
import type { BreakerSettings } from '../../src/domain/contracts';
import { permanentFailure, retryAfterFailure, transientFailure } from '../../src/domain/failure-vocabulary';
import type { BreakerChange } from '../../src/domain/contracts';
import { failureOf } from '../helpers/failure-of';

const settings: BreakerSettings = { failures: 3, openMs: 60_000, halfOpenCalls: 2 };

/** A breaker on a clock the test moves, and the changes it reported. */
function breaker(options: Partial<BreakerSettings> = {}) {
  const clock = { t: 1_000_000, now: () => clock.t, random: () => 0.5 };
  const changes: BreakerChange[] = [];
  const subject = new CircuitBreaker('x', { ...settings, ...options }, (change) => changes.push(change), clock);
  return { subject, clock, changes };
}

const outage = () => Promise.reject(transientFailure('upstream', 'X API answered 503: Service Unavailable'));
const ok = () => Promise.resolve('ok');

async function fail(subject: CircuitBreaker, call: () => Promise<unknown>, times = 1) {
  for (let i = 0; i < times; i++) await subject.run(call).catch(() => undefined);
}

describe('circuit breaker', () => {
  test('opens after the configured consecutive outage failures, and refuses without calling, retryable after the open time', async () => {
    const { subject, changes } = breaker();
    await fail(subject, outage, 2);
    assert.equal(subject.view().state, 'closed');
    await fail(subject, outage);
    assert.equal(subject.view().state, 'open');
    assert.deepEqual(
      changes.map(({ state, lastError }) => ({ state, lastError })),
      [{ state: 'open', lastError: 'X API answered 503: Service Unavailable' }],
    );
    let called = false;
    const refused = await failureOf(subject.run(async () => (called = true)));
    assert.equal(called, false, 'an open breaker makes no request');
    assert.equal(refused.type, 'circuit-open');
    assert.equal(refused.nonRetryable, false);
    assert.match(refused.message, /^circuit breaker open: X is down since .*last error: X API answered 503/);
    // The rest of the open time plus jitter (random 0.5 of max(2 s, a tenth of 60 s)).
    assert.equal(refused.nextRetryDelay, 60_000 + 3_000);
  });

  test('a success between failures, a 4xx and a rate limit do not count towards opening', async () => {
    const { subject } = breaker();
    await fail(subject, outage, 2);
    await fail(subject, ok);
    await fail(subject, outage, 2);
    await fail(subject, () => Promise.reject(permanentFailure('invalid-input', 'X API answered 400')), 5);
    await fail(subject, () => Promise.reject(retryAfterFailure('rate-limit', 'X API answered 429', 5_000)), 5);
    await fail(subject, outage, 2);
    assert.equal(subject.view().state, 'closed');
    await fail(subject, () => Promise.reject(new ApplicationFailure('timed out', 'timeout')));
    assert.equal(subject.view().state, 'open');
  });

  test('half-open lets the configured calls through; as many successes close it, and the closing says how long it was down', async () => {
    const { subject, clock, changes } = breaker();
    await fail(subject, outage, 3);
    clock.t += 30_000;
    assert.equal((await failureOf(subject.run(ok))).nextRetryDelay, 30_000 + 3_000);
    clock.t += 30_000;
    assert.equal(subject.view().state, 'half-open');
    let release!: () => void;
    const slow = () => new Promise<string>((resolve) => (release = () => resolve('ok')));
    const first = subject.run(slow);
    const second = subject.run(ok);
    const third = await failureOf(subject.run(ok));
    assert.equal(third.type, 'circuit-open', 'a third call while two are probing is refused');
    assert.equal(third.nextRetryDelay, 3_000, 'and comes back after the jitter alone');
    await second;
    assert.equal(subject.view().state, 'half-open');
    release();
    await first;
    assert.equal(subject.view().state, 'closed');
    assert.deepEqual(
      changes.map(({ state, at, since }) => ({ state, down: at - since })),
      [
        { state: 'open', down: 0 },
        { state: 'closed', down: 60_000 },
      ],
    );
  });

  test('a failed probe opens it again for the open time, without telling of a second outage', async () => {
    const { subject, clock, changes } = breaker();
    await fail(subject, outage, 3);
    clock.t += 60_000;
    await fail(subject, outage);
    assert.equal(subject.view().state, 'open');
    assert.equal((await failureOf(subject.run(ok))).nextRetryDelay, 60_000 + 3_000);
    assert.deepEqual(
      changes.map((change) => change.state),
      ['open'],
    );
    clock.t += 60_000;
    await fail(subject, ok, 2);
    assert.deepEqual(
      changes.map((change) => change.state),
      ['open', 'closed'],
    );
    assert.equal(changes[1]!.at - changes[1]!.since, 120_000, 'down from the first opening');
  });

  test('a guarded port calls every method through the breaker, on the port itself', async () => {
    const { subject } = breaker({ failures: 1 });
    const calls: string[] = [];
    const port = {
      async post() {
        calls.push('post');
        return this.find();
      },
      async find() {
        calls.push('find');
        return Promise.reject(transientFailure('network', 'reset'));
      },
    };
    const guarded = guardPort(port, subject);
    await assert.rejects(guarded.post(), /reset/);
    assert.deepEqual(calls, ['post', 'find'], 'the inner call is part of the one guarded call');
    assert.equal((await failureOf(guarded.find())).type, 'circuit-open');
    assert.deepEqual(calls, ['post', 'find']);
  });
});
