import { describe, expect, it } from 'vitest';
import type { ConfigResult, Repetition } from '../../../../../src/shared/domain/run';
import { runTimeline, TIMELINE_BUCKETS } from '../../../../../src/shared/domain/run-timeline';
import { DRAW_QUANTILE_SAMPLES, latencyAxisCap, latencyHistogram } from '../../../../../src/shared/stats/latency-series';
import { histogram } from '../../../../../src/shared/stats/histogram';

type TimelineConfig = Parameters<typeof runTimeline>[0];

function repetition(index: number, firstSample: number, sampleCount: number, measureMs: number | null): Repetition {
  return {
    index,
    status: sampleCount > 0 ? 'done' : 'failed',
    error: null,
    firstSample,
    sampleCount,
    latencyMs: null,
    throughput: null,
    measureMs,
    stopReason: 'max-time',
    pid: null,
    wallMs: 0,
    warmupStable: true,
    otherLoadShare: null,
    trendRatio: null,
    outlier: false,
  };
}

function warmup(ms: number): ConfigResult['warmup'] {
  return { iterations: 10, ms, stable: true, windowMedians: [], cut: null };
}

describe('run timeline', () => {
  it('places back-to-back samples at their midpoints, with the warm-up before 0', () => {
    const config: TimelineConfig = {
      samples: [1000, 2000, 1000],
      samplesPerThread: [3],
      measureMs: 4000,
      warmup: warmup(1500),
      repetitions: [],
    };
    const timeline = runTimeline(config);
    expect(timeline.bucketed).toBe(false);
    expect(timeline.line).toEqual([
      { x: 0.5, y: 1000 },
      { x: 2, y: 2000 },
      { x: 3.5, y: 1000 },
    ]);
    expect(timeline.warmupS).toBe(1.5);
    expect(timeline.endS).toBe(4);
    expect(timeline.boundaries).toEqual([]);
    expect(timeline.total).toBe(3);
  });

  it('stretches the samples over the measured window, so gaps do not pile up at the end', () => {
    const timeline = runTimeline({ samples: [1, 1], samplesPerThread: [2], measureMs: 4, warmup: null, repetitions: [] });
    expect(timeline.line.map((p) => p.x * 1000)).toEqual([1, 3]);
    expect(timeline.warmupS).toBeNull();
  });

  it('puts repetitions end to end and marks where each fresh process begins', () => {
    const samples = [10, 10, 20, 20, 20, 30];
    const config: TimelineConfig = {
      samples,
      samplesPerThread: [2, 3, 1],
      measureMs: 100,
      warmup: warmup(0),
      // The second process failed: it measured nothing and takes no time on the chart.
      repetitions: [repetition(1, 0, 2, 20), repetition(2, 2, 0, null), repetition(3, 2, 3, 60), repetition(4, 5, 1, 30)],
    };
    const timeline = runTimeline(config);
    expect(timeline.boundaries).toEqual([
      { atS: 0.02, index: 3 },
      { atS: 0.08, index: 4 },
    ]);
    expect(timeline.endS).toBeCloseTo(0.11);
    expect(timeline.line.map((p) => p.y)).toEqual(samples);
    expect(timeline.line[2]?.x).toBeCloseTo(0.03);
    expect(timeline.warmupS).toBeNull();
  });

  it('lays the request streams of a concurrent run side by side in the same window', () => {
    // Two streams: one ran 4 samples of 5 ms, the other 2 of 10 ms, over the same 20 ms.
    const timeline = runTimeline({
      samples: [5, 5, 5, 5, 10, 10],
      samplesPerThread: [4, 2],
      measureMs: 20,
      warmup: null,
      repetitions: [repetition(1, 0, 6, 20)],
    });
    expect(timeline.endS).toBeCloseTo(0.02);
    expect(timeline.line.map((p) => Math.round(p.x * 10000) / 10)).toEqual([2.5, 5, 7.5, 12.5, 15, 17.5]);
    expect(timeline.line.filter((p) => p.y === 10).map((p) => p.x * 1000)).toEqual([5, 15]);
  });

  it('takes a repetition as one stream when the per-stream counts do not add up', () => {
    const timeline = runTimeline({
      samples: [1, 1, 1],
      samplesPerThread: [],
      measureMs: null,
      warmup: null,
      repetitions: [repetition(1, 0, 3, null)],
    });
    expect(timeline.line.map((p) => p.x * 1000)).toEqual([0.5, 1.5, 2.5]);
    expect(timeline.endS).toBeCloseTo(0.003);
  });

  it('summarises a long run per slice of time: the median shows a slowdown, the slowest shows a spike', () => {
    // 100,000 samples over 10 s: 50,000 of 1 ms, then 50,000 of 2 ms (throttled), one 50 ms spike a quarter in (≈ 1.7 s).
    const samples = Array.from({ length: 100_000 }, (_, i): number => (i < 50_000 ? 1 : 2));
    samples[25_000] = 50;
    const timeline = runTimeline({
      samples,
      samplesPerThread: [samples.length],
      measureMs: 10_000,
      warmup: warmup(2000),
      repetitions: [],
    });
    expect(timeline.bucketed).toBe(true);
    expect(timeline.line.length).toBeLessThanOrEqual(TIMELINE_BUCKETS);
    expect(timeline.peaks.length).toBe(timeline.line.length);
    expect(timeline.total).toBe(100_000);
    const at = (s: number) => timeline.line.find((p) => p.x > s)?.y;
    expect(at(1)).toBe(1);
    expect(at(9)).toBe(2);
    const spike = timeline.peaks.reduce((a, b) => (b.y > a.y ? b : a));
    expect(spike.y).toBe(50);
    expect(spike.x).toBeGreaterThan(1.5);
    expect(spike.x).toBeLessThan(1.9);
    // Its slice's median is not moved by it.
    expect(timeline.line.find((p) => p.x === spike.x)?.y).toBeLessThan(2);
  });

  it('has nothing to draw without samples', () => {
    const timeline = runTimeline({ samples: [], samplesPerThread: [], measureMs: null, warmup: null, repetitions: [] });
    expect(timeline).toMatchObject({ line: [], peaks: [], total: 0, endS: 0, boundaries: [] });
    expect(() => runTimeline({ samples: [], samplesPerThread: [], measureMs: null, warmup: null, repetitions: [] }, 0)).toThrow(RangeError);
  });
});

describe('histogram for drawing', () => {
  it('bins short series exactly as the shared histogram does', () => {
    const samples = Array.from({ length: 500 }, (_, i) => 1 + ((i * 37) % 101) / 100);
    const ours = latencyHistogram(samples);
    const shared = histogram(samples);
    expect(ours.bins.map((b) => b.count)).toEqual(shared.counts);
    ours.bins.forEach((bin, i) => expect(bin.fromMs).toBeCloseTo(shared.edges[i] as number, 9));
    expect(ours.bins[ours.bins.length - 1]?.toMs).toBe(shared.edges[shared.edges.length - 1]);
  });

  it('counts every sample of a long series, reading only the bin width from an even sample of it', () => {
    const n = DRAW_QUANTILE_SAMPLES * 20;
    const samples = Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 1000) / 1000);
    samples[123] = 40;
    const result = latencyHistogram(samples);
    expect(result.total).toBe(n);
    expect(result.above?.count).toBe(1);
    expect(result.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(n - 1);
    const cap = latencyAxisCap(samples) as number;
    expect(cap).toBeGreaterThan(1.9);
    expect(cap).toBeLessThan(5);
  });
});
