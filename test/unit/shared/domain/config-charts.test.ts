import { describe, expect, it } from 'vitest';
import { ConfigChartsSchema, configCharts, configSummary, samplesLeftOut } from '../../../../src/shared/domain/config-charts';
import type { ConfigResult } from '../../../../src/shared/domain/run';
import { TIMELINE_BUCKETS } from '../../../../src/shared/domain/run-timeline';
import { computeStatistics } from '../../../../src/shared/stats/compute';
import { CHART_POINTS_CAP } from '../../../../src/shared/stats/latency-series';
import { createRng } from '../../../../src/shared/stats/random';

/** A finished configuration of `n` samples around 0.4 ms with a slow tail, measured in two processes. */
function measured(n: number): ConfigResult {
  const rng = createRng(7);
  const random = () => rng.next();
  const samples = Array.from({ length: n }, () => 0.4 + random() * 0.05 + (random() < 0.01 ? 5 * random() : 0));
  const half = Math.floor(n / 2);
  const repetition = (index: number, firstSample: number, sampleCount: number) => ({
    index,
    status: 'done' as const,
    error: null,
    firstSample,
    sampleCount,
    latencyMs: null,
    throughput: null,
    measureMs: sampleCount * 0.45,
    stopReason: 'max-time' as const,
    pid: null,
    wallMs: 0,
    warmupStable: true,
    otherLoadShare: null,
    trendRatio: null,
    outlier: false,
  });
  return {
    id: 'cpu/b1/t0/c1',
    variant: 'original',
    ep: 'cpu',
    batch: 1,
    threads: 0,
    concurrency: 1,
    status: 'done',
    error: null,
    provider: 'CPUExecutionProvider',
    loadMs: 1,
    sessionCreateMs: 5,
    firstRunMs: 1,
    warmup: { iterations: 100, ms: 50, stable: true, windowMedians: [], cut: null },
    stable: true,
    stopReason: 'max-time',
    measureMs: n * 0.45,
    latencyMs: computeStatistics(samples),
    throughput: null,
    samples,
    samplesPerThread: [half, n - half],
    trendRatio: null,
    memory: null,
    cpu: null,
    gpu: null,
    inputs: [],
    placement: null,
    placementError: null,
    warnings: [],
    repetitions: [repetition(1, 0, half), repetition(2, half, n - half)],
    uncertainty: null,
  };
}

describe('the charts a finished configuration is sent with', () => {
  it('leave the samples out and keep every other field of the result', () => {
    const config = measured(5000);
    const summary = configSummary(config);
    expect(summary.config).toEqual({ ...config, samples: [] });
    expect(config.samples).toHaveLength(5000);
    expect(summary.charts).toEqual(configCharts(config));
    expect(ConfigChartsSchema.parse(summary.charts)).toEqual(summary.charts);
  });

  it('stay a few thousand numbers for a long run, with every sample counted', () => {
    const config = measured(150_000);
    const charts = configCharts(config);
    expect(charts.histogram.total).toBe(150_000);
    const binned = charts.histogram.bins.reduce((sum, bin) => sum + bin.count, 0) + (charts.histogram.above?.count ?? 0);
    expect(binned).toBe(150_000);
    expect(charts.points.total).toBe(150_000);
    expect(charts.points.ms.length).toBeLessThanOrEqual(CHART_POINTS_CAP);
    expect(charts.timeline.total).toBe(150_000);
    expect(charts.timeline.line.length).toBeLessThanOrEqual(TIMELINE_BUCKETS);
    expect(charts.timeline.boundaries).toEqual([{ atS: expect.closeTo((75_000 * 0.45) / 1000, 6) as number, index: 2 }]);
    // What travels to the page instead of the samples: under a tenth of their size.
    expect(JSON.stringify(charts).length).toBeLessThan(JSON.stringify(config.samples).length / 10);
  });

  it('of a configuration without samples are empty', () => {
    const charts = configCharts({ samples: [], samplesPerThread: [], measureMs: null, warmup: null, repetitions: [] });
    expect(charts).toMatchObject({ capMs: null, points: { total: 0 }, histogram: { bins: [], total: 0 }, timeline: { total: 0 } });
  });
});

describe('samples left out', () => {
  it('are told apart from a configuration that measured nothing', () => {
    const config = measured(100);
    expect(samplesLeftOut(config)).toBe(false);
    expect(samplesLeftOut(configSummary(config).config)).toBe(true);
    // Failed before the statistics: its repetitions still say how many samples it had.
    expect(samplesLeftOut({ ...config, samples: [], latencyMs: null })).toBe(true);
    expect(samplesLeftOut({ ...config, samples: [], latencyMs: null, repetitions: [] })).toBe(false);
  });
});
