import { describe, expect, it } from 'vitest';
import { rateBreakdown, rateNote, throughputMismatch, type RateSource } from '../../../../src/shared/advice/throughput';

/** A configuration measured for `measureMs` with runs of median/mean latency, `batch` items each, at `concurrency`. */
function source(o: {
  medianMs: number;
  meanMs: number;
  count: number;
  measureMs: number;
  batch?: number;
  concurrency?: number;
}): RateSource {
  const batch = o.batch ?? 1;
  const runsPerSec = (o.count / o.measureMs) * 1000;
  return {
    batch,
    concurrency: o.concurrency ?? 1,
    measureMs: o.measureMs,
    latencyMs: { median: o.medianMs, mean: o.meanMs, count: o.count },
    throughput: { runsPerSec, itemsPerSec: runsPerSec * batch },
  };
}

describe('rateBreakdown', () => {
  it('derives capacity from the median and the share of the window spent in runs', () => {
    // 1000 runs of mean 0.5 ms in 1000 ms: half the window in runs.
    const b = rateBreakdown(source({ medianMs: 0.25, meanMs: 0.5, count: 1000, measureMs: 1000, batch: 4, concurrency: 2 }));
    expect(b?.itemsPerRun).toBeCloseTo(4);
    expect(b?.medianCapacity).toBeCloseTo((2 * 4 * 1000) / 0.25);
    expect(b?.meanOverMedian).toBeCloseTo(2);
    expect(b?.busyShare).toBeCloseTo(0.25); // 500 ms of runs over 2 requests × 1000 ms
  });

  it('has nothing to say without a measurement', () => {
    expect(rateBreakdown({ batch: 1, concurrency: 1, measureMs: null, latencyMs: null, throughput: null })).toBeNull();
    expect(rateNote({ batch: 1, concurrency: 1, measureMs: null, latencyMs: null, throughput: null })).toBeNull();
  });

  it('notes a rate only when slow runs or gaps separate it from the median', () => {
    expect(rateNote(source({ medianMs: 1, meanMs: 1.02, count: 980, measureMs: 1000 }))).toBeNull();
    expect(rateNote(source({ medianMs: 1, meanMs: 3, count: 300, measureMs: 1000 }))).toMatch(/mean run took 3× the median/);
    expect(rateNote(source({ medianMs: 1, meanMs: 1, count: 500, measureMs: 1000 }))).toMatch(/runs filled 50 % of the window/);
  });
});

describe('throughputMismatch', () => {
  it('explains the issue case: same median, a third of the items/s, from slow runs', () => {
    // Original: median 23.1 µs, 12.1 k items/s; fp16: median 23.4 µs, 4.25 k items/s (runs filling ~95 % of the window).
    const original = source({ medianMs: 0.0231, meanMs: 0.0785, count: 12100, measureMs: 1000 });
    const fp16 = source({ medianMs: 0.0234, meanMs: 0.2235, count: 4250, measureMs: 1000 });
    const note = throughputMismatch(original, fp16);
    expect(note).toMatch(/^Items\/s 0\.351× while the medians give 0\.987×/);
    expect(note).toMatch(/slow runs: the mean run took 9\.55× its median here, 3\.4× in the baseline/);
  });

  it('names a different batch and different requests in flight', () => {
    const base = source({ medianMs: 1, meanMs: 1, count: 1000, measureMs: 1000 });
    // Batch 8 takes 2× as long per run but serves 4× the items: medians say slower, items/s says more.
    const batched = source({ medianMs: 2, meanMs: 2, count: 500, measureMs: 1000, batch: 8 });
    expect(throughputMismatch(base, batched)).toMatch(/batch 8 against 1/);
    const parallel = source({ medianMs: 1.5, meanMs: 1.5, count: 2666, measureMs: 1000, concurrency: 4 });
    expect(throughputMismatch(base, parallel)).toMatch(/4 requests in flight against 1/);
  });

  it('names gaps between runs', () => {
    const base = source({ medianMs: 1, meanMs: 1, count: 950, measureMs: 1000 });
    const gappy = source({ medianMs: 0.8, meanMs: 0.8, count: 700, measureMs: 1000 }); // runs fill 56 % of the window
    expect(throughputMismatch(base, gappy)).toMatch(
      /gaps between runs: runs filled 56 % of the measuring window here, 95 % in the baseline/,
    );
  });

  it('stays silent when the two ratios agree', () => {
    const base = source({ medianMs: 1, meanMs: 1.05, count: 950, measureMs: 1000 });
    const faster = source({ medianMs: 0.5, meanMs: 0.52, count: 1900, measureMs: 1000 });
    expect(throughputMismatch(base, faster)).toBeNull();
    expect(throughputMismatch(base, base)).toBeNull();
  });
});
