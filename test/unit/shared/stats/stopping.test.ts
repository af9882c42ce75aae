import { describe, expect, test } from 'vitest';
import { InferscopeError } from '../../../../src/shared/errors';
import { computeStatistics, createRng, isStable, shouldStopMeasuring, stopCheckInterval } from '../../../../src/shared/stats';

describe('isStable (last 3 window medians within ±2 % of their mean)', () => {
  test('stable and unstable windows', () => {
    expect(isStable([100, 101, 99])).toBe(true);
    expect(isStable([98, 100, 102])).toBe(true); // exactly ±2 %
    expect(isStable([97.9, 100, 102.1])).toBe(false);
    expect(isStable([100, 103, 97])).toBe(false);
  });

  test('only the last windows count; too few windows is not stable yet', () => {
    expect(isStable([50, 80, 100, 101, 99])).toBe(true);
    expect(isStable([100, 101, 99, 80])).toBe(false);
    expect(isStable([100, 100])).toBe(false);
    expect(isStable([])).toBe(false);
  });

  test('tolerance and window count are parameters', () => {
    expect(isStable([100, 104, 96], 0.05)).toBe(true);
    expect(isStable([100, 101, 99], 0.005)).toBe(false);
    expect(isStable([70, 100, 101], 0.02, 2)).toBe(true);
    expect(isStable([70, 100, 101], 0.02, 4)).toBe(false);
    expect(() => isStable([1, 1, 1], 0.02, 0)).toThrow(RangeError);
  });

  test('a window that produced no median is not stable', () => {
    expect(isStable([100, Number.NaN, 100])).toBe(false);
  });
});

describe('shouldStopMeasuring', () => {
  const rng = createRng(31);
  const quiet = Array.from({ length: 200 }, () => rng.normal(10, 0.05));
  const noisy = Array.from({ length: 50 }, () => rng.normal(10, 3));
  const base = { minIterations: 30, minTimeMs: 2000, maxTimeMs: 20_000, ciTargetRel: 0.01 };

  test('the time cap wins over everything, even the minimums', () => {
    expect(shouldStopMeasuring({ ...base, samples: [12_000, 11_000], elapsedMs: 23_000 })).toEqual({
      stop: true,
      reason: 'max-time',
      ciHalfWidthRel: null,
    });
    expect(shouldStopMeasuring({ ...base, samples: noisy, elapsedMs: 20_000 }).reason).toBe('max-time');
  });

  test('an optional iteration cap', () => {
    expect(shouldStopMeasuring({ ...base, samples: noisy, elapsedMs: 3000, maxIterations: 50 }).reason).toBe('max-iterations');
    expect(shouldStopMeasuring({ ...base, samples: noisy, elapsedMs: 3000, maxIterations: 51 }).stop).toBe(false);
  });

  test('keeps going below the minimum iterations or time', () => {
    expect(shouldStopMeasuring({ ...base, samples: quiet.slice(0, 29), elapsedMs: 5000 })).toEqual({
      stop: false,
      reason: 'below-min-iterations',
      ciHalfWidthRel: null,
    });
    expect(shouldStopMeasuring({ ...base, samples: quiet, elapsedMs: 1999 }).reason).toBe('below-min-time');
  });

  test('stops once the median CI is within ±1 %', () => {
    const d = shouldStopMeasuring({ ...base, samples: quiet, elapsedMs: 2500 });
    expect(d.stop).toBe(true);
    expect(d.reason).toBe('ci-reached');
    expect(d.ciHalfWidthRel).not.toBeNull();
    expect(d.ciHalfWidthRel!).toBeLessThanOrEqual(0.01);
    // Agrees with the statistics the run will report.
    expect(d.ciHalfWidthRel).toBe(computeStatistics(quiet).ciHalfWidthRel);
  });

  test('noisy samples have not reached the target and say how far they are', () => {
    const d = shouldStopMeasuring({ ...base, samples: noisy, elapsedMs: 2500 });
    expect(d.stop).toBe(false);
    expect(d.reason).toBe('ci-not-reached');
    expect(d.ciHalfWidthRel!).toBeGreaterThan(0.05);
    expect(shouldStopMeasuring({ ...base, samples: noisy, elapsedMs: 2500, ciTargetRel: 0.5 }).reason).toBe('ci-reached');
  });

  test('a zero-width interval from too few samples does not count as reached', () => {
    const d = shouldStopMeasuring({ ...base, minIterations: 1, samples: [5, 5, 5], elapsedMs: 2500 });
    expect(d).toEqual({ stop: false, reason: 'ci-not-reached', ciHalfWidthRel: null });
  });

  test('max time beats the minimum iterations and the minimum time: a slow model stops with what it has', () => {
    // Runs of 800 ms against a 2 s maximum: the third run ends past it, long before 30 runs.
    for (const [samples, elapsedMs, stop] of [
      [[800], 800, false],
      [[800, 800], 1600, false],
      [[800, 800, 800], 2400, true],
    ] as const) {
      const d = shouldStopMeasuring({ samples, elapsedMs, minIterations: 30, minTimeMs: 2000, maxTimeMs: 2000 });
      expect(d.stop, `${samples.length} runs`).toBe(stop);
      expect(d.reason).toBe(stop ? 'max-time' : 'below-min-iterations');
    }
    // One run longer than the whole budget: one sample, stopped.
    expect(shouldStopMeasuring({ samples: [5000], elapsedMs: 5000, minIterations: 30, minTimeMs: 0, maxTimeMs: 3000 })).toEqual({
      stop: true,
      reason: 'max-time',
      ciHalfWidthRel: null,
    });
  });

  test('defaults are docs/measurement.md’s: 30 iterations, 2 s, ±1 %', () => {
    expect(shouldStopMeasuring({ samples: quiet.slice(0, 29), elapsedMs: 5000 }).reason).toBe('below-min-iterations');
    expect(shouldStopMeasuring({ samples: quiet, elapsedMs: 1000 }).reason).toBe('below-min-time');
    expect(shouldStopMeasuring({ samples: quiet, elapsedMs: 2000 }).reason).toBe('ci-reached');
  });

  test('a minimum time above the maximum is an invalid plan', () => {
    expect(() => shouldStopMeasuring({ samples: quiet, elapsedMs: 0, minTimeMs: 5000, maxTimeMs: 1000 })).toThrow(InferscopeError);
  });

  test('a simulated loop stops with the target reached and consistent statistics', () => {
    const loopRng = createRng(32);
    const samples: number[] = [];
    let elapsedMs = 0;
    let nextCheck = 1;
    let checks = 0;
    for (;;) {
      const ms = loopRng.normal(4, 0.4); // cv 10 %: needs a few hundred samples for ±1 %
      samples.push(ms);
      elapsedMs += ms;
      if (samples.length < nextCheck) continue;
      checks++;
      const d = shouldStopMeasuring({ samples, elapsedMs, minIterations: 30, minTimeMs: 500, maxTimeMs: 60_000 });
      if (d.stop) {
        expect(d.reason).toBe('ci-reached');
        break;
      }
      nextCheck = samples.length + stopCheckInterval(samples.length);
    }
    expect(samples.length).toBeGreaterThan(150);
    expect(computeStatistics(samples).ciHalfWidthRel).toBeLessThanOrEqual(0.01);
    expect(checks).toBeLessThan(60);
  });
});

describe('stopCheckInterval', () => {
  test('at least 10 samples, then 10 % of what is there', () => {
    expect(stopCheckInterval(0)).toBe(10);
    expect(stopCheckInterval(99)).toBe(10);
    expect(stopCheckInterval(1000)).toBe(100);
  });

  test('a million samples need only about a hundred checks, so all checks together stay O(n log n)', () => {
    let n = 30;
    let checks = 0;
    while (n < 1_000_000) {
      n += stopCheckInterval(n);
      checks++;
    }
    expect(checks).toBeLessThan(150);
  });
});
