import { describe, expect, test } from 'vitest';
import { compareConfigurations, compareRuns, describeRatio, environmentDifferences } from '../../../../src/shared/advice';
import { ComparisonSchema } from '../../../../src/shared/domain/advice';
import { syntheticRun, syntheticSamples } from '../../../fixtures/runs/build';
import { fixtureRun } from './helpers';

/** One run with a baseline and configurations whose true medians differ by known factors. */
function knownDifferences() {
  const shape = (medianMs: number) => ({ medianMs, sigma: 0.05, hiccupShare: 0.01 });
  return syntheticRun({
    id: 'known',
    machine: 'cpu-server',
    model: 'mlp',
    configs: [
      { ep: 'cpu', threads: 1, seed: 101, n: 300, shape: shape(10) }, // baseline
      { ep: 'cpu', threads: 2, seed: 102, n: 300, shape: shape(8) }, // 20 % less time: 1.25× faster
      { ep: 'cpu', threads: 4, seed: 103, n: 300, shape: shape(11) }, // 10 % slower
      { ep: 'cpu', threads: 8, seed: 104, n: 300, shape: shape(10) }, // the same distribution
      { ep: 'cpu', threads: 16, seed: 105, n: 6, shape: shape(5) }, // much faster, but too few samples to claim it
    ],
  });
}

describe('compareConfigurations', () => {
  const run = knownDifferences();
  const comparison = compareConfigurations(run.configs.map((config) => ({ run, config })));

  test('claims a difference only when the CI of the ratio of medians excludes 1', () => {
    expect(ComparisonSchema.parse(comparison)).toEqual(comparison);
    const [base, faster, slower, same, few] = comparison.entries;
    expect(base?.statement).toBe('baseline');
    expect(base?.vsBaseline).toBeNull();

    expect(faster?.vsBaseline?.verdict).toBe('faster');
    expect(faster?.vsBaseline?.ratio).toBeCloseTo(0.8, 1);
    expect(faster?.vsBaseline?.ciHigh).toBeLessThan(1);
    // These synthetic runs have one process each: the statement says the CI cannot see run-to-run variation.
    expect(faster?.statement).toMatch(
      /^1\.2\d× faster than the baseline \(95 % CI 1\.\d+–1\.\d+×, within one process each: run-to-run variation not sampled\)$/,
    );

    expect(slower?.vsBaseline?.verdict).toBe('slower');
    expect(slower?.vsBaseline?.ciLow).toBeGreaterThan(1);
    expect(slower?.statement).toMatch(/^1\.\d+× slower than the baseline \(95 % CI 1\.\d+–1\.\d+×, within one process each/);

    expect(same?.vsBaseline?.verdict).toBe('no-measurable-difference');
    expect(same?.vsBaseline?.ciLow).toBeLessThan(1);
    expect(same?.vsBaseline?.ciHigh).toBeGreaterThan(1);
    expect(same?.statement).toMatch(
      /^no measurable difference \(median ratio [\d.]+, 95 % CI [\d.]+–[\d.]+ includes 1, within one process/,
    );

    expect(few?.vsBaseline?.tooFewSamples).toBe(true);
    expect(few?.vsBaseline?.verdict).toBe('no-measurable-difference');
    expect(few?.statement).toMatch(/^too few samples to tell/);
  });

  test('the same samples and seed always give the same interval (a report recomputed later agrees)', () => {
    const again = compareConfigurations(run.configs.map((config) => ({ run, config })));
    expect(again).toEqual(comparison);
  });

  test('ties within noise: identical distributions mostly show no measurable difference', () => {
    let ties = 0;
    for (let t = 0; t < 20; t++) {
      const pair = syntheticRun({
        id: `tie-${t}`,
        machine: 'cpu-server',
        model: 'mlp',
        configs: [
          { ep: 'cpu', threads: 1, seed: 500 + t, n: 100, shape: { medianMs: 5, sigma: 0.1 } },
          { ep: 'cpu', threads: 2, seed: 900 + t, n: 100, shape: { medianMs: 5, sigma: 0.1 } },
        ],
      });
      const verdict = compareConfigurations(
        pair.configs.map((config) => ({ run: pair, config })),
        { seed: t },
      ).entries[1]?.vsBaseline?.verdict;
      if (verdict === 'no-measurable-difference') ties++;
    }
    // A 95 % interval excludes 1 by chance about 1 time in 20.
    expect(ties).toBeGreaterThanOrEqual(17);
  });

  test('a time budget lowers the resamples for large sample sets, never below 200', () => {
    const big = syntheticRun({
      id: 'big',
      machine: 'cpu-server',
      model: 'mlp',
      configs: [
        { ep: 'cpu', threads: 1, seed: 1, n: 20_000, shape: { medianMs: 1, sigma: 0.05 } },
        { ep: 'cpu', threads: 2, seed: 2, n: 20_000, shape: { medianMs: 1.1, sigma: 0.05 } },
      ],
    });
    const budgeted = compareConfigurations(
      big.configs.map((config) => ({ run: big, config })),
      { maxBootstrapDraws: 4_000_000 },
    );
    expect(budgeted.entries[1]?.vsBaseline?.resamples).toBe(200);
    expect(budgeted.entries[1]?.vsBaseline?.verdict).toBe('slower');
    expect(compareConfigurations(run.configs.slice(0, 2).map((config) => ({ run, config }))).entries[1]?.vsBaseline?.resamples).toBe(2000);
  });

  test('a failed configuration is listed, not compared', () => {
    const withFailure = syntheticRun({
      id: 'failure',
      machine: 'cpu-server',
      model: 'mlp',
      configs: [
        { ep: 'cpu', seed: 1, n: 50, shape: { medianMs: 2, sigma: 0.05 } },
        { ep: 'webgpu', seed: 2, status: 'failed' },
      ],
    });
    const result = compareConfigurations(withFailure.configs.map((config) => ({ run: withFailure, config })));
    expect(result.entries[1]?.vsBaseline).toBeNull();
    expect(result.entries[1]?.statement).toMatch(/^not measured \(failed: Session creation failed\)$/);
  });
});

describe('compareRuns', () => {
  test('matches configurations by id across runs, labels differing machines', () => {
    const cpuOnly = fixtureRun('cpu-only');
    const gpu = fixtureRun('gpu-server');
    const comparisons = compareRuns([cpuOnly, gpu]);
    const ids = comparisons.map((c) => c.title);
    // Only configurations measured in both (and in the first, the baseline).
    expect(ids).toEqual(['cpu/b1/t8/c1', 'cpu/b1/t8/c2']);
    for (const c of comparisons) {
      expect(c.machinesDiffer).toBe(true);
      expect(c.notes[0]).toMatch(/different machines/);
      expect(c.entries.map((e) => e.machine)).toEqual([
        'Intel Xeon Gold 6338 (16 threads)',
        'Intel Xeon Gold 6338 (16 threads) + NVIDIA L4',
      ]);
      expect(c.entries[1]?.vsBaseline?.verdict).toBe('slower');
    }
  });

  test('one run compares its configurations with its first', () => {
    const comparisons = compareRuns([fixtureRun('variants')]);
    expect(comparisons).toHaveLength(1);
    expect(comparisons[0]?.entries.map((e) => e.configId)).toEqual([
      'cpu/b1/t8/c1',
      'cpu/b1/t8/c2',
      'int8-dynamic-5c1e2a/cpu/b1/t8/c1',
      'int8-dynamic-5c1e2a/cpu/b1/t8/c2',
      'fp16-7a9d03/cpu/b1/t8/c1',
      'fp16-7a9d03/cpu/b1/t8/c2',
    ]);
    expect(comparisons[0]?.entries[2]?.variant).toBe('int8 dynamic (per-channel)');
    expect(comparisons[0]?.entries[2]?.vsBaseline?.verdict).toBe('faster');
    expect(comparisons[0]?.machinesDiffer).toBe(false);
  });
});

describe('describeRatio', () => {
  test('turns ratios of medians into speed-ups people read', () => {
    const basis = { basis: 'repetitions' as const, repetitions: [3, 3] as [number, number] };
    expect(describeRatio({ ratio: 0.5, ciLow: 0.45, ciHigh: 0.55, verdict: 'faster', tooFewSamples: false, ...basis })).toBe(
      '2× faster than the baseline (95 % CI 1.82–2.22×, over 3 + 3 repetitions)',
    );
    expect(describeRatio({ ratio: 1.5, ciLow: 1.4, ciHigh: 1.6, verdict: 'slower', tooFewSamples: false })).toBe(
      '1.5× slower than the baseline (95 % CI 1.4–1.6×, within one process each: run-to-run variation not sampled)',
    );
    expect(
      describeRatio({
        ratio: 1.01,
        ciLow: 1.005,
        ciHigh: 1.015,
        verdict: 'no-measurable-difference',
        tooFewSamples: false,
        belowFloor: true,
        ...basis,
      }),
    ).toBe(
      'no measurable difference (median ratio 1.01: under the 2 % separate runs differ by when nothing changed; ' +
        '95 % CI 1–1.01, over 3 + 3 repetitions)',
    );
  });

  test('synthetic samples with a known 25 % speed-up are described within their CI', () => {
    const a = syntheticSamples(1, 400, { medianMs: 10, sigma: 0.05 });
    const b = syntheticSamples(2, 400, { medianMs: 8, sigma: 0.05 });
    const run = syntheticRun({
      id: 'ab',
      machine: 'cpu-server',
      model: 'mlp',
      configs: [
        { ep: 'cpu', threads: 1, seed: 0, samples: a },
        { ep: 'cpu', threads: 2, seed: 0, samples: b },
      ],
    });
    const cmp = compareConfigurations(run.configs.map((config) => ({ run, config }))).entries[1]!.vsBaseline!;
    expect(cmp.ciLow).toBeLessThanOrEqual(0.8 * 1.02);
    expect(cmp.ciHigh).toBeGreaterThanOrEqual(0.8 * 0.98);
  });
});

describe('what else differs between two runs is said next to the ratio', () => {
  test('a different machine, Inferscope version or onnxruntime version', () => {
    const a = syntheticRun({ id: 'a', machine: 'cpu-server', model: 'm', configs: [{ ep: 'cpu', seed: 1 }] });
    const b = syntheticRun({ id: 'b', machine: 'cpu-server', model: 'm', configs: [{ ep: 'cpu', seed: 2 }] });
    expect(environmentDifferences(a, b)).toEqual([]);
    const newer = { ...b, environment: { ...b.environment, versions: { ...b.environment.versions, onnxruntime: '9.9.9' } } };
    const elsewhere = syntheticRun({ id: 'c', machine: 'gpu-server', model: 'm', configs: [{ ep: 'cpu', seed: 3 }] });
    expect(environmentDifferences(a, newer)).toEqual([`onnxruntime ${a.environment.versions.onnxruntime} / 9.9.9`]);
    expect(environmentDifferences(a, elsewhere)[0]).toMatch(/^different machines \(/);
    const comparison = compareConfigurations([
      { run: a, config: a.configs[0]! },
      { run: newer, config: newer.configs[0]! },
    ]);
    expect(comparison.entries[1]!.environment).toEqual([`onnxruntime ${a.environment.versions.onnxruntime} / 9.9.9`]);
    expect(comparison.entries[1]!.statement).toMatch(/ — measured with onnxruntime .* \/ 9\.9\.9$/);
  });
});

test('a throughput ratio that points away from the ratio of medians comes with its reason beside it', () => {
  const run = syntheticRun({
    id: 'rate-vs-median',
    machine: 'cpu-server',
    model: 'mnist-cnn',
    configs: [
      { ep: 'cpu', seed: 1, n: 2000, shape: { medianMs: 0.0231, sigma: 0.02, hiccupShare: 0.002, hiccupFactor: 3 } },
      // The same median, but one run in ten stalls for ~30× as long: the mean, and so items/s, follow the stalls.
      { ep: 'cpu', threads: 1, seed: 2, n: 2000, shape: { medianMs: 0.0234, sigma: 0.02, hiccupShare: 0.1, hiccupFactor: 60 } },
    ],
  });
  const [first, second] = run.configs;
  if (!first || !second) throw new Error('fixture');
  const comparison = compareConfigurations([
    { run, config: first },
    { run, config: second },
  ]);
  const entry = comparison.entries[1];
  expect(entry?.throughputRatio).toBeLessThan(0.5);
  expect(entry?.throughputNote).toMatch(/^Items\/s 0\.\d+× while the medians give 0\.9\d+×: slow runs: the mean run took/);
  expect(comparison.entries[0]?.throughputNote).toBeNull();
  ComparisonSchema.parse(comparison);
});
