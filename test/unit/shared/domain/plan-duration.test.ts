import { describe, expect, it } from 'vitest';
import { estimatePlanDuration, formatShort } from '../../../../src/shared/domain/plan-duration';

const plan = { configs: 2, minTimeMs: 2000, maxTimeMs: 20_000, warmupMaxMs: 10_000, minIterations: 30, profile: true };

describe('plan duration before it starts', () => {
  it('from the plan alone: the minimum time at best, warm-up cap + maximum time + profiling share at worst', () => {
    // Without a repetition count, a configuration that takes its 2 s minimum is quick enough for 3 processes.
    const d = estimatePlanDuration(plan);
    expect(d.lowMs).toBe(2 * 3 * 2000);
    expect(d.highMs).toBe(2 * (10_000 + 20_000 + 5000));
    expect(d.basis).toMatch(/plan’s times/);
  });

  it('a slow model measured before needs its minimum runs, capped by the maximum time', () => {
    // 500 ms a run: 30 runs = 15 s > the 2 s minimum time.
    const slow = estimatePlanDuration(plan, 500);
    expect(slow.lowMs).toBe(2 * (15_000 + 2 * 500));
    expect(slow.highMs).toBe(2 * (10_000 + 20_000 + 5000 + 500 + 500));
    expect(slow.basis).toContain('500 ms');
    // 2 s a run: 30 runs would take 60 s; the maximum time (20 s) wins.
    expect(estimatePlanDuration(plan, 2000).lowMs).toBe(2 * (20_000 + 4000));
  });

  it('a fast model needs only the minimum time, in each of its repetitions', () => {
    expect(estimatePlanDuration({ ...plan, profile: false, repetitions: 1 }, 0.1).lowMs).toBeCloseTo(2 * (2000 + 0.1));
    expect(estimatePlanDuration({ ...plan, profile: false }, 0.1).lowMs).toBeCloseTo(2 * 3 * (2000 + 0.1));
  });

  it('a repetition count multiplies the measuring; only the first repetition profiles', () => {
    const d = estimatePlanDuration({ ...plan, repetitions: 3 });
    expect(d.lowMs).toBe(2 * 3 * 2000);
    expect(d.highMs).toBe(2 * (10_000 + 20_000 + 5000 + 2 * (10_000 + 20_000)));
  });

  it('reads as a person says durations', () => {
    expect(formatShort(850)).toBe('850 ms');
    expect(formatShort(12_000)).toBe('12 s');
    expect(formatShort(200_000)).toBe('3 min 20 s');
    expect(formatShort(3_900_000)).toBe('1 h 5 min');
  });
});
