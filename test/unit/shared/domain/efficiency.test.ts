import { describe, expect, test } from 'vitest';
import { configEfficiency, efficiencyText } from '../../../../src/shared/domain/efficiency';
import type { RunDocument } from '../../../../src/shared/domain/run';

function doc(macs: number | null, peak: number | null, physicalCores = 4): Pick<RunDocument, 'model' | 'environment'> {
  return {
    model: { macs } as RunDocument['model'],
    environment: { hardware: { cpu: { physicalCores, peakGflopsFp32: peak } } } as RunDocument['environment'],
  };
}

const config = { status: 'done' as const, ep: 'cpu', variant: 'original', batch: 1, threads: 1, concurrency: 1 };

describe('achieved compute against the peak of the cores used', () => {
  test('2 × MACs × batch × runs per second, against the peak share of the cores busy', () => {
    // 500 M MACs, 100 runs/s → 100 GFLOP/s; one of four cores of a 400 GFLOP/s machine → 100 GFLOP/s peak.
    const e = configEfficiency(doc(500e6, 400), { ...config, throughput: { runsPerSec: 100, itemsPerSec: 100 } });
    expect(e).toEqual({ gflops: 100, cores: 1, peakGflops: 100, peakShare: 1 });
    const batched = configEfficiency(doc(500e6, 400), {
      ...config,
      batch: 4,
      threads: 0,
      throughput: { runsPerSec: 25, itemsPerSec: 100 },
    });
    expect(batched).toMatchObject({ gflops: 100, cores: 4, peakGflops: 400, peakShare: 0.25 });
    expect(efficiencyText(batched!)).toBe('100 GFLOP/s · 25 % of the 4-core peak estimate');
    // Two sessions of two threads each keep all four cores busy, never more.
    expect(
      configEfficiency(doc(500e6, 400), { ...config, threads: 2, concurrency: 4, throughput: { runsPerSec: 1, itemsPerSec: 1 } })?.cores,
    ).toBe(4);
  });

  test('a share above 100 % says the estimate is low', () => {
    const e = configEfficiency(doc(500e6, 100), { ...config, throughput: { runsPerSec: 150, itemsPerSec: 150 } })!;
    expect(e.peakShare).toBeCloseTo(6, 9);
    expect(efficiencyText(e)).toMatch(/above it: the cores ran faster than the clock the estimate assumes/);
  });

  test('nothing without MACs; no share for a GPU, an unknown clock or a quantized variant', () => {
    const throughput = { runsPerSec: 100, itemsPerSec: 100 };
    expect(configEfficiency(doc(null, 400), { ...config, throughput })).toBeNull();
    expect(configEfficiency(doc(500e6, 400), { ...config, variant: 'int8-dynamic-1a2b3c', throughput })).toBeNull();
    expect(configEfficiency(doc(500e6, 400), { ...config, ep: 'cuda', throughput })).toMatchObject({ gflops: 100, peakShare: null });
    expect(configEfficiency(doc(500e6, null), { ...config, throughput })).toMatchObject({ gflops: 100, peakShare: null });
  });
});
