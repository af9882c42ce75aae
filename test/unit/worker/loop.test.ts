import { describe, expect, it } from 'vitest';
import {
  Measurement,
  ProgressThrottle,
  Warmup,
  warmupBudget,
  WARMUP_WINDOW_MIN_MS,
  WARMUP_WINDOW_MIN_RUNS,
} from '../../../src/worker/loop';

/** Feeds samples of `ms` each, back to back from t = 0, until `add` says stop or `limit` samples. */
function feed(target: { add(ms: number, endMs: number): boolean }, sample: (i: number) => number, limit = 100_000): number {
  let now = 0;
  for (let i = 0; i < limit; i++) {
    const ms = sample(i);
    now += ms;
    if (target.add(ms, now)) return i + 1;
  }
  return limit;
}

describe('Warmup of a slow model (max time wins over warm-up)', () => {
  it('is skipped when the first run takes half the maximum time or more', () => {
    expect(warmupBudget(10_000, 2_000, 1_200)).toEqual({ capMs: 0, cut: 'skipped' });
    const warmup = new Warmup(0, 10_000, { maxTimeMs: 2_000, firstRunMs: 1_200 });
    expect(warmup.skipped).toBe(true);
    expect(warmup.outcome()).toMatchObject({ iterations: 0, stable: false, cut: 'skipped' });
  });

  it('is shortened to a quarter of the maximum time when a run takes a tenth of it or more', () => {
    expect(warmupBudget(10_000, 2_000, 800)).toEqual({ capMs: 500, cut: 'shortened' });
    const warmup = new Warmup(0, 10_000, { maxTimeMs: 2_000, firstRunMs: 800 });
    expect(warmup.skipped).toBe(false);
    expect(feed(warmup, () => 800)).toBe(1);
    expect(warmup.outcome()).toMatchObject({ iterations: 1, ms: 800, stable: false, cut: 'shortened' });
  });

  it('shortens once a warm-up run turns out slow, even after a fast first run', () => {
    const warmup = new Warmup(0, 10_000, { maxTimeMs: 3_000, firstRunMs: 5 });
    expect(feed(warmup, (i) => (i < 3 ? 5 : 400))).toBe(5); // 15 ms, then 400 ms runs until ≥ 750 ms
    expect(warmup.outcome().cut).toBe('shortened');
  });

  it('leaves fast models, a smaller cap and a cap of 0 alone', () => {
    expect(warmupBudget(10_000, 20_000, 50)).toEqual({ capMs: 10_000, cut: null });
    expect(warmupBudget(500, 2_000, 800)).toEqual({ capMs: 500, cut: null });
    expect(warmupBudget(0, 2_000, 1_500)).toEqual({ capMs: 0, cut: null });
    expect(new Warmup(0, 10_000, { maxTimeMs: 20_000, firstRunMs: 50 }).outcome().cut).toBeNull();
  });
});

describe('Warmup', () => {
  it('ends once three windows agree within ±2 %', () => {
    const warmup = new Warmup(0, 10_000);
    // Slow at first (caches cold), then flat at 10 ms.
    const runs = feed(warmup, (i) => (i < 20 ? 30 - i : 10));
    const outcome = warmup.outcome();
    expect(outcome.stable).toBe(true);
    expect(outcome.iterations).toBe(runs);
    expect(outcome.windowMedians.slice(-3)).toEqual([10, 10, 10]);
    // Each window holds at least the minimum runs and minimum time.
    expect(outcome.windowMedians.length).toBeLessThanOrEqual(Math.ceil(runs / WARMUP_WINDOW_MIN_RUNS));
    expect(outcome.ms).toBeGreaterThanOrEqual(3 * WARMUP_WINDOW_MIN_MS);
  });

  it('gives up at the time cap and says it never became stable', () => {
    const warmup = new Warmup(0, 2_000);
    feed(warmup, (i) => (i % 2 === 0 ? 5 : 50 + (i % 7) * 10));
    const outcome = warmup.outcome();
    expect(outcome.stable).toBe(false);
    expect(outcome.ms).toBeGreaterThanOrEqual(2_000);
    expect(outcome.ms).toBeLessThan(2_200);
  });
});

describe('Measurement', () => {
  const criteria = { minIterations: 30, minTimeMs: 200, maxTimeMs: 5_000, maxIterations: undefined, ciTargetRel: 0.01 };

  it('needs the minimum iterations and time before the CI may stop it', () => {
    const m = new Measurement(0, criteria);
    const n = feed(m, () => 1);
    // Identical 1 ms samples: the CI is reached as soon as both minimums are met (200 ms ⇒ 200 samples), checked every stopCheckInterval.
    expect(m.decision).toMatchObject({ stop: true, reason: 'ci-reached' });
    expect(n).toBeGreaterThanOrEqual(200);
    expect(n).toBeLessThan(230);
    expect(m.samples).toHaveLength(n);
  });

  it('stops at the maximum time when noise keeps the CI wide', () => {
    const m = new Measurement(0, { ...criteria, maxTimeMs: 1_000, ciTargetRel: 1e-6 });
    feed(m, (i) => 1 + (i % 10));
    expect(m.decision?.reason).toBe('max-time');
    expect(m.elapsedMs).toBeGreaterThanOrEqual(1_000);
    expect(m.elapsedMs).toBeLessThanOrEqual(1_010);
    expect(m.lastCiHalfWidthRel).toBeGreaterThan(1e-6);
  });

  it('stops at maxIterations', () => {
    const m = new Measurement(0, { ...criteria, maxIterations: 50, ciTargetRel: 1e-6 });
    expect(feed(m, (i) => 1 + (i % 3))).toBe(50);
    expect(m.decision?.reason).toBe('max-iterations');
  });

  it('judges samples from several threads on the common clock', () => {
    const m = new Measurement(0, criteria);
    m.addMany(Array.from({ length: 300 }, () => 2));
    expect(m.check(100, false)).toBe(false); // below minimum time
    expect(m.check(250, true)).toBe(true);
    expect(m.decision?.reason).toBe('ci-reached');
  });
});

describe('ProgressThrottle', () => {
  it('lets at most one message through per 50 ms', () => {
    const throttle = new ProgressThrottle();
    let sent = 0;
    for (let t = 0; t <= 1_000; t += 1) if (throttle.due(t)) sent++;
    expect(sent).toBeLessThanOrEqual(21);
    expect(sent).toBeGreaterThanOrEqual(19);
  });
});
