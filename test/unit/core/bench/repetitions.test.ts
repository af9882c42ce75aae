import { describe, expect, test } from 'vitest';
import type { BenchMeasurement } from '../../../../src/core/bench/measurement';
import {
  configFromRepetitions,
  repetitionsAfterFirst,
  uncertaintyNote,
  type RepetitionOutcome,
} from '../../../../src/core/bench/repetitions';
import { configWarnings, pendingConfig } from '../../../../src/core/bench/results';
import { createRng, computeStatistics } from '../../../../src/shared/stats';
import { syntheticRun } from '../../../fixtures/runs/build';

/** A measurement as the worker answers it: `n` samples around `medianMs`, with other processes' CPU share `load`. */
function measurement(seed: number, medianMs: number, load = 0.02, n = 200): BenchMeasurement {
  const rng = createRng(seed);
  const samplesMs = Array.from({ length: n }, () => medianMs * Math.exp(0.01 * rng.normal()));
  const stats = computeStatistics(samplesMs);
  return {
    ep: 'cpu',
    provider: 'CPUExecutionProvider',
    modelBytes: 1000,
    inputs: [],
    outputs: ['y'],
    loadMs: 1,
    sessionCreateMs: 10,
    firstRunMs: 2,
    warmup: { iterations: 20, ms: 100, stable: true, windowMedians: [medianMs], cut: null },
    samplesMs,
    samplesPerThread: [n],
    measureMs: n * medianMs,
    stopReason: 'ci-reached',
    stats,
    throughput: { runsPerSec: 1000 / medianMs, itemsPerSec: 1000 / medianMs },
    trendRatio: 1,
    resources: {
      rssBeforeCreateBytes: 1,
      rssAfterCreateBytes: 2,
      rssPeakBytes: 3 + seed,
      rssAfterMeasureBytes: 3,
      cpuUserMs: 1,
      cpuSystemMs: 1,
      avgCoresBusy: 1,
      cpuEnergyJ: null,
      otherLoadShare: load,
    },
    placement: null,
    placementError: null,
  } as unknown as BenchMeasurement;
}

const ok = (m: BenchMeasurement, wallMs = 2000): RepetitionOutcome => ({ ok: true, measurement: m, wallMs, pid: 100 + wallMs });
const base = pendingConfig({ id: 'cpu/b1/t1/c1', variant: 'original', ep: 'cpu', batch: 1, threads: 1, concurrency: 1 });

describe('how many repetitions', () => {
  test('the plan’s count, or 3 when the first took under 5 s', () => {
    expect(repetitionsAfterFirst({ repetitions: 5 }, 60_000)).toBe(5);
    expect(repetitionsAfterFirst({ repetitions: null }, 4_999)).toBe(3);
    expect(repetitionsAfterFirst({ repetitions: null }, 5_000)).toBe(1);
  });

  test('a configuration measured once says why its CI is within one process', () => {
    expect(uncertaintyNote({ repetitions: null }, [ok(measurement(1, 10), 12_000)])).toMatch(
      /One repetition took 12 s .*run-to-run variation was not sampled/,
    );
    expect(uncertaintyNote({ repetitions: 1 }, [ok(measurement(1, 10))])).toBe(
      'Measured in one process, as “Repetitions” asked: the CI is within this process only.',
    );
    expect(uncertaintyNote({ repetitions: 3 }, [ok(measurement(1, 10)), ok(measurement(2, 10)), ok(measurement(3, 10))])).toBeNull();
  });
});

describe('a configuration over its repetitions', () => {
  test('pools the samples in order, keeps each summary and takes the CI across processes', () => {
    const reps = [measurement(1, 10), measurement(2, 10.2), measurement(3, 9.9)];
    const c = configFromRepetitions(
      reps.map((m) => ok(m)),
      base,
      null,
      null,
    );
    expect(c.samples).toEqual(reps.flatMap((m) => m.samplesMs));
    expect(c.repetitions.map((r) => [r.firstSample, r.sampleCount])).toEqual([
      [0, 200],
      [200, 200],
      [400, 200],
    ]);
    expect(c.latencyMs!.median).toBeCloseTo(Math.cbrt(reps.reduce((p, m) => p * m.stats.median, 1)), 9);
    expect(c.latencyMs!.ciMethod).toBe('repetitions-t');
    expect(c.latencyMs!.count).toBe(600);
    expect(c.memory!.rssPeakBytes).toBe(6);
    expect(c.uncertainty!.scope).toBe('across-processes');
    expect(c.repetitions.some((r) => r.outlier)).toBe(false);
  });

  test('a repetition that stands apart is flagged, kept in the CI and named in a warning; other load is per repetition', () => {
    const reps = [measurement(1, 10), measurement(2, 10.05), measurement(3, 13, 0.4), measurement(4, 9.98)];
    const c = configFromRepetitions(
      reps.map((m) => ok(m)),
      base,
      null,
      null,
    );
    expect(c.repetitions.map((r) => r.outlier)).toEqual([false, false, true, false]);
    const warnings = configWarnings(syntheticRun({ id: 'r', machine: 'cpu-server', model: 'mlp', configs: [{ ep: 'cpu', seed: 1 }] }), c);
    expect(warnings).toContain('Other processes used 40 % of the CPU during repetition 3 of 4.');
    expect(warnings.find((w) => w.startsWith('Repetition 3 of 4 stands apart'))).toMatch(/its median 13(\.\d+)? ms .* 30 % away/);
    // Kept in the interval, which is wider for it.
    const without = configFromRepetitions(
      [0, 1, 3].map((i) => ok(reps[i]!)),
      base,
      null,
      null,
    );
    expect(c.latencyMs!.ciHigh! - c.latencyMs!.ciLow!).toBeGreaterThan(without.latencyMs!.ciHigh! - without.latencyMs!.ciLow!);
  });

  test('a later repetition that fails leaves the finished ones standing, and the note says so', () => {
    const outcomes: RepetitionOutcome[] = [
      ok(measurement(1, 10)),
      { ok: false, error: { code: 'WORKER_CRASHED', message: 'The worker exited.' }, wallMs: 300, pid: null },
      ok(measurement(3, 10.1)),
    ];
    const note = uncertaintyNote({ repetitions: 3 }, outcomes);
    expect(note).toBe('Repetition 2 failed (WORKER_CRASHED: The worker exited.). The CI rests on the 2 repetitions that finished.');
    const c = configFromRepetitions(outcomes, base, null, note);
    expect(c.repetitions.map((r) => r.status)).toEqual(['done', 'failed', 'done']);
    expect(c.uncertainty).toMatchObject({ scope: 'across-processes', repetitions: 2 });
    expect(c.samples.length).toBe(400);
  });
});
