import { expect } from 'chai';
import type { BackoffSettings } from './backoff.js';
import { PermanentError, RetryLaterError } from './errors.js';
import { withRetries } from './retry.js';

// Waits of a few milliseconds, so the tests wait for real without taking long. A test whose wait
// were not cut short (by abort, or by a RetryInfo delay replacing a ten-minute backoff) would run
// into mocha's timeout and fail.
const quick: BackoffSettings = { initial_interval: 2, max_interval: 8, multiplier: 2, randomization_factor: 0 };
const slow: BackoffSettings = { initial_interval: 600_000, max_interval: 600_000, multiplier: 1, randomization_factor: 0 };

/** Work that fails `failures` times (with what `fail` makes), then returns "done"; it counts its attempts. */
function flaky(failures: number, fail: (attempt: number) => Error = (n) => new Error(`failure ${n}`)) {
  const work = async () => {
    work.attempts++;
    if (work.attempts <= failures) throw fail(work.attempts);
    return 'done';
  };
  work.attempts = 0;
  return work;
}

describe('withRetries (the one retry loop of agent and backend)', function () {
  it('retries until the work succeeds, waiting the backoff between attempts', async function () {
    const work = flaky(4);
    const waits: Array<[number, number, string]> = [];
    const result = await withRetries(work, { backoff: quick, onRetry: (error, delayMs, attempt) => waits.push([attempt, delayMs, error.message]) });
    expect(result).to.equal('done');
    expect(work.attempts).to.equal(5);
    expect(waits).to.deep.equal([
      [1, 2, 'failure 1'],
      [2, 4, 'failure 2'],
      [3, 8, 'failure 3'],
      [4, 8, 'failure 4'],
    ]);
  });

  it('spreads each wait within ±randomization_factor of the nominal one', async function () {
    const backoff = { ...quick, initial_interval: 4, max_interval: 16, randomization_factor: 0.5 };
    const waitsWith = async (random: () => number) => {
      const waits: number[] = [];
      await withRetries(flaky(3), { backoff, random, onRetry: (_e, delayMs) => waits.push(delayMs) });
      return waits;
    };
    expect(await waitsWith(() => 0)).to.deep.equal([2, 4, 8]);
    expect(await waitsWith(() => 0.999_999)).to.deep.equal([6, 12, 24]);
    const nominal = [4, 8, 16];
    for (let run = 0; run < 10; run++) {
      const waits = await waitsWith(Math.random);
      for (const [i, wait] of waits.entries()) expect(wait).to.be.within(nominal[i]! / 2, (nominal[i]! * 3) / 2);
    }
  });

  it('waits what the other side asked for (RetryInfo) instead of the backoff', async function () {
    const waits: number[] = [];
    const work = flaky(2, () => new RetryLaterError('queue full', 3));
    expect(await withRetries(work, { backoff: slow, onRetry: (_e, delayMs) => waits.push(delayMs) })).to.equal('done');
    expect(waits).to.deep.equal([3, 3]);

    // A caller's own reading of the delay (the agent's SendFailure carries RetryInfo's), falling back to the backoff.
    const mixed: number[] = [];
    const asked = flaky(2, (n) => Object.assign(new Error('busy'), { askedMs: n === 1 ? 5 : undefined }));
    await withRetries(asked, { backoff: quick, retryAfterMs: (e) => (e as Error & { askedMs?: number }).askedMs, onRetry: (_e, delayMs) => mixed.push(delayMs) });
    expect(mixed).to.deep.equal([5, 4]);
  });

  it('gives up at once on a failure that is not retryable (PermanentError by default)', async function () {
    const permanent = flaky(5, () => new PermanentError('bad data'));
    await expectRejection(withRetries(permanent, { backoff: slow, onRetry: () => expect.fail('not retried') }), 'bad data');
    expect(permanent.attempts).to.equal(1);

    const refused = flaky(5, () => new Error('404'));
    await expectRejection(withRetries(refused, { backoff: slow, retryable: (e) => e.message !== '404' }), '404');
    expect(refused.attempts).to.equal(1);

    // Anything thrown comes back as an Error.
    await expectRejection(withRetries(() => Promise.reject('plain string'), { backoff: slow, retryable: () => false }), 'plain string');
  });

  it('gives up after maxAttempts, with the last failure', async function () {
    const work = flaky(10);
    await expectRejection(withRetries(work, { backoff: quick, maxAttempts: 3 }), 'failure 3');
    expect(work.attempts).to.equal(3);
  });

  it('gives up when the next attempt would start later than maxElapsedMs after the first', async function () {
    const work = flaky(10);
    await expectRejection(withRetries(work, { backoff: slow, maxElapsedMs: 30_000, onRetry: () => expect.fail('ten minutes are over the limit') }), 'failure 1');
    expect(work.attempts).to.equal(1);

    const within = flaky(3);
    expect(await withRetries(within, { backoff: quick, maxElapsedMs: 60_000 })).to.equal('done');
    expect(within.attempts).to.equal(4);
  });

  it('stops at abort: a wait in progress ends with the last failure, and no attempt follows', async function () {
    const stopping = new AbortController();
    const work = flaky(10);
    const retries = withRetries(work, { backoff: slow, signal: stopping.signal, onRetry: () => setImmediate(() => stopping.abort()) });
    await expectRejection(retries, 'failure 1');
    expect(work.attempts).to.equal(1);
  });

  it('with finalAttemptOnAbort, makes one last attempt after the wait that abort cut short', async function () {
    const stopping = new AbortController();
    const recovers = flaky(1);
    const options = { backoff: slow, signal: stopping.signal, finalAttemptOnAbort: true, onRetry: () => setImmediate(() => stopping.abort()) };
    expect(await withRetries(recovers, options)).to.equal('done');
    expect(recovers.attempts).to.equal(2);

    const again = new AbortController();
    const stillFailing = flaky(10);
    await expectRejection(withRetries(stillFailing, { ...options, signal: again.signal, onRetry: () => setImmediate(() => again.abort()) }), 'failure 2');
    expect(stillFailing.attempts).to.equal(2);
  });

  it('tries work once when the signal is aborted already, and does not retry it', async function () {
    const succeeds = flaky(0);
    expect(await withRetries(succeeds, { backoff: slow, signal: AbortSignal.abort() })).to.equal('done');
    const fails = flaky(1);
    await expectRejection(withRetries(fails, { backoff: slow, signal: AbortSignal.abort(), finalAttemptOnAbort: true }), 'failure 1');
    expect([succeeds.attempts, fails.attempts]).to.deep.equal([1, 1]);
  });
});

async function expectRejection(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(
    () => expect.fail(`expected a rejection with "${message}"`),
    (err: unknown) => err,
  );
  expect(error).to.be.instanceOf(Error);
  expect((error as Error).message).to.equal(message);
}
