import { describe, expect, test } from 'vitest';
import {
  batchWaitMs,
  capacityOf,
  latencyAtLoad,
  nextConcurrency,
  sustainableThroughput,
  type CurvePoint,
} from '../../../../src/shared/advice';

const curve: CurvePoint[] = [
  { concurrency: 1, throughputRps: 100, latencyMs: 20 },
  { concurrency: 2, throughputRps: 150, latencyMs: 30 },
  { concurrency: 4, throughputRps: 160, latencyMs: 50 },
];
const noBatch = { batch: 1, maxBatchDelayMs: 0 };

describe('sustainableThroughput', () => {
  test('interpolates linearly between the two levels around the target', () => {
    // p ≤ 25 ms lies between c1 (100 req/s, 20 ms) and c2 (150 req/s, 30 ms): 100 + 0.5 · 50.
    const at25 = sustainableThroughput(curve, { targetMs: 25, ...noBatch });
    expect(at25.basis).toBe('interpolated');
    expect(at25.maxThroughputRps).toBeCloseTo(125, 9);
    expect(at25.concurrency).toEqual([1, 2]);
    // p ≤ 40 ms: between c2 and c4, 150 + (10/20) · 10.
    expect(sustainableThroughput(curve, { targetMs: 40, ...noBatch }).maxThroughputRps).toBeCloseTo(155, 9);
  });

  test('a target exactly at a level is that measured level', () => {
    const at30 = sustainableThroughput(curve, { targetMs: 30, ...noBatch });
    expect(at30).toEqual({ maxThroughputRps: 150, basis: 'measured', concurrency: [2, 2] });
  });

  test('never extrapolates past the highest level, and says none when even concurrency 1 misses', () => {
    expect(sustainableThroughput(curve, { targetMs: 1000, ...noBatch }).maxThroughputRps).toBe(160);
    expect(sustainableThroughput(curve, { targetMs: 19.9, ...noBatch })).toEqual({
      maxThroughputRps: null,
      basis: 'none',
      concurrency: null,
    });
  });

  test('a level that serves less than a lower one is ignored (the extra requests only queue)', () => {
    const saturated = [...curve, { concurrency: 8, throughputRps: 140, latencyMs: 57 }];
    expect(sustainableThroughput(saturated, { targetMs: 60, ...noBatch }).maxThroughputRps).toBe(160);
    const cap = capacityOf(
      saturated.map((p) => ({ ...p, latencyCiLowMs: p.latencyMs, latencyCiHighMs: p.latencyMs })),
      { targetMs: 60, ...noBatch },
    );
    expect(cap.notes.some((n) => n.includes('Concurrency 8 served no more than concurrency 4'))).toBe(true);
  });

  test('a batch waits (b − 1) / rate to fill: it pays only at loads that fill it within the delay', () => {
    expect(batchWaitMs(4, 300)).toBeCloseTo(10, 9);
    expect(batchWaitMs(1, 5)).toBe(0);
    // Batch 4: one level at 400 items/s with p95 12 ms. At 400 req/s the wait is 7.5 ms.
    const batched: CurvePoint[] = [{ concurrency: 1, throughputRps: 400, latencyMs: 12 }];
    expect(sustainableThroughput(batched, { targetMs: 50, batch: 4, maxBatchDelayMs: 10 }).maxThroughputRps).toBe(400);
    // A 5 ms delay cannot be met even at full load (7.5 ms > 5 ms)…
    expect(sustainableThroughput(batched, { targetMs: 50, batch: 4, maxBatchDelayMs: 5 }).maxThroughputRps).toBeNull();
    // …and neither can a latency target below 12 + 7.5 ms.
    expect(sustainableThroughput(batched, { targetMs: 19, batch: 4, maxBatchDelayMs: 10 }).maxThroughputRps).toBeNull();
  });

  test('with batch wait the capacity between levels solves latency + wait = target', () => {
    // Batch 2 between (100 rps, 10 ms) and (200 rps, 30 ms):
    // 10 + 0.2·(λ − 100) + 1000/λ = 25 ⇔ 0.2λ² − 35λ + 1000 = 0 ⇔ λ = (35 + √(1225 − 800)) / 0.4 ≈ 139 req/s.
    const pts: CurvePoint[] = [
      { concurrency: 1, throughputRps: 100, latencyMs: 10 },
      { concurrency: 2, throughputRps: 200, latencyMs: 30 },
    ];
    const cap = sustainableThroughput(pts, { targetMs: 25, batch: 2, maxBatchDelayMs: 100 });
    expect(cap.basis).toBe('interpolated');
    const load = cap.maxThroughputRps!;
    const latency = latencyAtLoad(pts, load)!;
    expect(latency + batchWaitMs(2, load)).toBeCloseTo(25, 6);
    expect(load).toBeCloseTo((35 + Math.sqrt(1225 - 800)) / 0.4, 6);
  });
});

describe('capacityOf', () => {
  test('brackets the capacity with the percentile at either end of its CI and flags a single level', () => {
    const pts = curve.map((p) => ({ ...p, latencyCiLowMs: p.latencyMs - 2, latencyCiHighMs: p.latencyMs + 2 }));
    const cap = capacityOf(pts, { targetMs: 25, ...noBatch });
    expect(cap.maxThroughputRps).toBeCloseTo(125, 9);
    // Pessimistic: c1 at 22 ms, c2 at 32 ms → 100 + (3/10)·50; optimistic: 18 / 28 → 100 + (7/10)·50.
    expect(cap.lowRps).toBeCloseTo(115, 9);
    expect(cap.highRps).toBeCloseTo(135, 9);
    expect(cap.singleLevel).toBe(false);

    const single = capacityOf([{ concurrency: 1, throughputRps: 100, latencyMs: 20, latencyCiLowMs: 19, latencyCiHighMs: null }], {
      targetMs: 25,
      ...noBatch,
    });
    expect(single.singleLevel).toBe(true);
    expect(single.maxThroughputRps).toBe(100);
    expect(single.lowRps).toBeNull(); // an unbounded CI end never meets a target
    expect(single.notes[0]).toMatch(/Only concurrency 1 was measured/);
  });
});

describe('nextConcurrency', () => {
  test('doubles from 1 until the percentile breaks the target or throughput grows by less than 5 %', () => {
    expect(nextConcurrency([])).toBe(1);
    expect(nextConcurrency([{ concurrency: 1, latencyMs: 10, throughputRps: 100 }], { targetMs: 50 })).toBe(2);
    const sweep = [
      { concurrency: 1, latencyMs: 10, throughputRps: 100 },
      { concurrency: 2, latencyMs: 12, throughputRps: 170 },
    ];
    expect(nextConcurrency(sweep, { targetMs: 50 })).toBe(4);
    expect(nextConcurrency([...sweep, { concurrency: 4, latencyMs: 60, throughputRps: 260 }], { targetMs: 50 })).toBeNull();
    expect(nextConcurrency([...sweep, { concurrency: 4, latencyMs: 22, throughputRps: 176 }], { targetMs: 50 })).toBeNull(); // +3.5 %
    expect(nextConcurrency([...sweep, { concurrency: 4, latencyMs: 22, throughputRps: 190 }], { targetMs: 50 })).toBe(8);
    expect(nextConcurrency([{ concurrency: 64, latencyMs: 1, throughputRps: 1 }])).toBeNull();
    // Measured out of order: the highest level decides.
    expect(nextConcurrency([sweep[1]!, sweep[0]!])).toBe(4);
  });
});
