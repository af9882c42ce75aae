import { describe, expect, test } from 'vitest';
import {
  compareAcrossRepetitions,
  createRng,
  median,
  medianAcrossRepetitions,
  outlierRepetitions,
  standardNormalCdf,
  studentTCdf,
  studentTQuantile,
  type Rng,
} from '../../../../src/shared/stats';

describe("Student's t", () => {
  test.each([
    [1, 12.7062047],
    [2, 4.30265273],
    [4, 2.77644511],
    [9, 2.26215716],
    [30, 2.04227246],
    [1000, 1.96233908],
  ])('the 97.5 %% quantile with %i degrees of freedom is %f (tables)', (df, expected) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(expected, 6);
    expect(studentTQuantile(0.025, df)).toBeCloseTo(-expected, 6);
    expect(studentTCdf(expected, df)).toBeCloseTo(0.975, 9);
  });

  test('fractional degrees of freedom (Welch) fall between their neighbours', () => {
    const q = studentTQuantile(0.975, 2.5);
    expect(q).toBeLessThan(studentTQuantile(0.975, 2));
    expect(q).toBeGreaterThan(studentTQuantile(0.975, 3));
  });

  test('refuses what has no meaning', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.5, 0)).toThrow(RangeError);
  });
});

/** Latency samples of one process: the process's own level times draws from the sample-level distribution. */
interface Scenario {
  name: string;
  /** Standard deviation of ln(process level): the process-to-process variation. */
  processSd: number;
  samplesPerRepetition: number;
  sample: (rng: Rng) => number;
  /** Median of `sample`'s distribution: with symmetric process effects, the true median of the setup. */
  trueMedian: number;
}

/** Median of a two-part mixture of lognormals (a spike share `w` at `spike` times the level), by bisection. */
function mixtureMedian(sigma: number, w: number, spike: number): number {
  const cdf = (m: number): number => (1 - w) * standardNormalCdf(Math.log(m) / sigma) + w * standardNormalCdf(Math.log(m / spike) / sigma);
  let lo = 0.01;
  let hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (cdf(mid) < 0.5) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

const SCENARIOS: Scenario[] = [
  {
    name: 'process level dominates (3 % between processes, 5 % within)',
    processSd: 0.03,
    samplesPerRepetition: 200,
    sample: (rng) => Math.exp(0.05 * rng.normal()),
    trueMedian: 1,
  },
  {
    name: 'no process level, skewed samples with 2 % spikes at 3×',
    processSd: 0,
    samplesPerRepetition: 150,
    sample: (rng) => Math.exp(0.3 * rng.normal()) * (rng.next() < 0.02 ? 3 : 1),
    trueMedian: mixtureMedian(0.3, 0.02, 3),
  },
  {
    name: 'both levels alike (1 % between processes, right-skewed samples)',
    processSd: 0.01,
    samplesPerRepetition: 100,
    sample: (rng) => 1 + 0.2 * -Math.log(1 - rng.next()) - 0.2 * Math.LN2,
    trueMedian: 1,
  },
];

function simulatedCoverage(scenario: Scenario, repetitions: number, runs: number, seed: number): number {
  const rng = createRng(seed);
  let covered = 0;
  for (let run = 0; run < runs; run++) {
    const medians: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      const level = Math.exp(scenario.processSd * rng.normal());
      const samples = Array.from({ length: scenario.samplesPerRepetition }, () => level * scenario.sample(rng));
      medians.push(median(samples));
    }
    const ci = medianAcrossRepetitions(medians);
    if (ci.low <= scenario.trueMedian && scenario.trueMedian <= ci.high) covered++;
  }
  return covered / runs;
}

describe('the 95 % CI across repetitions covers the true median 93–97 % of the time', () => {
  for (const scenario of SCENARIOS) {
    test.each([3, 5, 10])(`${scenario.name}, R = %i, 1200 simulated runs`, (repetitions) => {
      const coverage = simulatedCoverage(scenario, repetitions, 1200, 1000 + repetitions);
      expect(coverage).toBeGreaterThanOrEqual(0.93);
      expect(coverage).toBeLessThanOrEqual(0.97);
    });
  }

  test('an interval inside one process would not: the order-statistic CI of R = 3 pooled processes covers far less', () => {
    // The point of repetitions: with a 3 % process level, a within-process interval is much too narrow.
    const rng = createRng(7);
    let covered = 0;
    const runs = 400;
    for (let run = 0; run < runs; run++) {
      const level = Math.exp(0.03 * rng.normal());
      const samples = Array.from({ length: 200 }, () => level * Math.exp(0.05 * rng.normal()));
      const sorted = [...samples].sort((x, y) => x - y);
      // ranks of the 95 % order-statistic interval for n = 200: 87 and 114
      if ((sorted[86] as number) <= 1 && 1 <= (sorted[113] as number)) covered++;
    }
    expect(covered / runs).toBeLessThan(0.5);
  });
});

describe('medianAcrossRepetitions', () => {
  test('centres on the geometric mean of the medians and widens with their spread', () => {
    const tight = medianAcrossRepetitions([10, 10.1, 9.9]);
    const loose = medianAcrossRepetitions([10, 11, 9]);
    expect(tight.median).toBeCloseTo(Math.cbrt(10 * 10.1 * 9.9), 10);
    expect(tight.low).toBeLessThan(tight.median);
    expect(tight.high).toBeGreaterThan(tight.median);
    expect(loose.high / loose.low).toBeGreaterThan(tight.high / tight.low);
    expect(tight.spreadRel).toBeCloseTo(0.2 / tight.median, 10);
    expect(tight.repetitions).toBe(3);
  });

  test('needs two repetitions and positive medians', () => {
    expect(() => medianAcrossRepetitions([10])).toThrow(/at least 2/);
    expect(() => medianAcrossRepetitions([10, 0])).toThrow(/not a positive time/);
  });
});

describe('outlierRepetitions', () => {
  test('flags a repetition far from the agreeing others', () => {
    expect(outlierRepetitions([10, 10.1, 12])).toEqual([2]);
    expect(outlierRepetitions([13, 10, 10.05, 9.95, 10.02])).toEqual([0]);
  });

  test('a few per cent is ordinary process-to-process variation, and two repetitions cannot tell', () => {
    expect(outlierRepetitions([10, 10.01, 10.3])).toEqual([]);
    expect(outlierRepetitions([10, 14])).toEqual([]);
  });
});

describe('compareAcrossRepetitions', () => {
  function runMedians(rng: Rng, repetitions: number, level: number): number[] {
    return Array.from({ length: repetitions }, () => level * Math.exp(0.02 * rng.normal()) * Math.exp(0.005 * rng.normal()));
  }

  test('identical setups: the 95 % interval excludes 1 about 5 % of the time', () => {
    const rng = createRng(11);
    let claimed = 0;
    const pairs = 1000;
    for (let i = 0; i < pairs; i++) {
      const c = compareAcrossRepetitions(runMedians(rng, 3, 1), runMedians(rng, 3, 1));
      if (c.ciHigh < 1 || c.ciLow > 1) claimed++;
    }
    expect(claimed / pairs).toBeGreaterThan(0.02);
    expect(claimed / pairs).toBeLessThan(0.08);
  });

  test('a 10 % slowdown is found with three repetitions a side', () => {
    const rng = createRng(12);
    let found = 0;
    for (let i = 0; i < 200; i++) {
      const c = compareAcrossRepetitions(runMedians(rng, 3, 1), runMedians(rng, 3, 1.1));
      if (c.ciLow > 1) found++;
    }
    expect(found / 200).toBeGreaterThan(0.8);
  });

  test('one side with a single repetition borrows the other side’s spread', () => {
    const c = compareAcrossRepetitions([10], [11, 11.2, 10.8]);
    expect(c.df).toBe(2);
    expect(c.ratio).toBeCloseTo(Math.cbrt(11 * 11.2 * 10.8) / 10, 10);
    expect(() => compareAcrossRepetitions([10], [11])).toThrow(/2 or more/);
  });
});
