import { describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../../../../src/shared/domain/hardware';
import type { BenchProgressEvent, ConfigResult, RunDocument } from '../../../../../src/shared/domain/run';
import {
  buildPlan,
  defaultDraft,
  dimsDraft,
  fixedBatchHint,
  parseIntList,
  planDims,
  planDuration,
  readyProviders,
  sourceFromKey,
  sourceKey,
} from '../../../../../src/renderer/lib/logic/bench-plan';
import {
  configFraction,
  configLabel,
  configTestId,
  estimateRemainingMs,
  fastestConfig,
  placementShares,
  providerDisplayName,
  runFileName,
  runFraction,
  runWarnings,
  withConfig,
} from '../../../../../src/renderer/lib/logic/run-results';
import { latencyAxisCap, latencyHistogram, thinSamples, ThinnedSeries } from '../../../../../src/shared/stats/latency-series';

const sample = { kind: 'sample', name: 'mnist-cnn' } as const;

describe('plan form', () => {
  it('reads comma lists sorted and without repeats', () => {
    expect(parseIntList('4, 1,2 2')).toEqual({ ok: true, values: [1, 2, 4] });
    expect(parseIntList(' ').ok).toBe(false);
    expect(parseIntList('1, 0').ok).toBe(false);
    expect(parseIntList('1.5').ok).toBe(false);
  });

  it('reads "default" threads as 0 and allows 0 only there', () => {
    expect(parseIntList('default, 2', { allowDefault: true })).toEqual({ ok: true, values: [0, 2] });
    expect(parseIntList('0', { allowDefault: true })).toEqual({ ok: true, values: [0] });
    expect(parseIntList('default').ok).toBe(false);
  });

  it('turns the default form into a plan of one configuration per ticked provider', () => {
    const built = buildPlan(defaultDraft(), sample, ['cpu', 'webgpu']);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.configCount).toBe(2);
    expect(built.plan).toMatchObject({
      model: sample,
      eps: ['cpu', 'webgpu'],
      batches: [1],
      threads: [0],
      concurrency: [1],
      minTimeMs: 2000,
      maxTimeMs: 20000,
      minIterations: 30,
      ciTargetRel: 0.01,
      profile: true,
      graphOptimizationLevel: 'all',
      inputs: { seed: 0 },
    });
    // An empty warm-up cap leaves the services' default in charge.
    expect(built.plan).not.toHaveProperty('warmupMaxMs');
  });

  it('multiplies the lists into the configuration count and converts seconds', () => {
    const draft = {
      ...defaultDraft(),
      batches: '1,2',
      threads: 'default, 2',
      concurrency: '1, 4',
      minTimeS: '0.5',
      maxTimeS: '2',
      warmupMaxS: '1.5',
    };
    const built = buildPlan(draft, sample, ['cpu']);
    expect(built.ok && built.configCount).toBe(8);
    expect(built.ok && built.plan).toMatchObject({ minTimeMs: 500, maxTimeMs: 2000, warmupMaxMs: 1500 });
    expect(built.ok && built.leftOut).toBeNull();
  });

  it('does not plan (or count) what WebGPU cannot take: it runs one request at a time', () => {
    const draft = { ...defaultDraft(), batches: '1,2', concurrency: '1, 2, 4' };
    const built = buildPlan(draft, sample, ['cpu', 'webgpu']);
    // CPU at 1, 2 and 4 in flight and WebGPU at 1, for both batches: 8, not 12.
    expect(built.ok && built.configCount).toBe(8);
    // WebGPU at 2 and 4 in flight, for both batches, left out with the reason.
    expect(built.ok && built.leftOut).toMatchObject({ count: 4, reason: expect.stringContaining('one request at a time') });
    // The estimate counts only what is measured.
    const cpuOnly = buildPlan({ ...draft, concurrency: '1' }, sample, ['cpu', 'webgpu']);
    const span = (b: typeof built) => planDuration(b, null)!.highMs;
    expect(span(built) / span(cpuOnly)).toBeCloseTo(8 / 4, 9);
  });

  it('names every bad field and refuses to build', () => {
    const draft = {
      ...defaultDraft(),
      batches: '0',
      minTimeS: '5',
      maxTimeS: '2',
      ciTargetPct: '0',
      intMin: '3',
      intMax: '',
      dims: { sequence: 'x' },
    };
    const built = buildPlan(draft, null, []);
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(Object.keys(built.errors).sort()).toEqual(
      ['batches', 'ciTargetPct', 'dim:sequence', 'eps', 'intMax', 'maxTimeS', 'model'].sort(),
    );
  });

  it('says when the model takes batch 1 only, and refuses other batch sizes before sending', () => {
    const fixed = [{ name: 'x', shape: [1, 4] }];
    expect(fixedBatchHint(fixed)).toBe("Input 'x' [1, 4] has its first axis fixed at 1: this model takes batch 1 only");
    expect(fixedBatchHint([{ name: 'x', shape: ['N', 4] }])).toBeNull();
    expect(fixedBatchHint(null)).toBeNull();
    expect(buildPlan(defaultDraft(), sample, ['cpu'], fixed).ok).toBe(true);
    const refused = buildPlan({ ...defaultDraft(), batches: '1, 4' }, sample, ['cpu'], fixed);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.errors.batches).toBe("Input 'x' [1, 4] has its first axis fixed at 1: this model takes batch 1 only. Enter 1");
    expect(buildPlan({ ...defaultDraft(), batches: '1, 4' }, sample, ['cpu'], [{ name: 'x', shape: ['N', 4] }]).ok).toBe(true);
    // A dim the person set on the batch axis leaves the batch sizes nothing to set.
    const pinned = buildPlan({ ...defaultDraft(), batches: '4', dims: { N: '2' } }, sample, ['cpu'], [{ name: 'x', shape: ['N', 4] }]);
    expect(!pinned.ok && pinned.errors.batches).toMatch(/first axis 'N' set to 2/);
  });

  it('sends the integer range, the tensor folder and the dims the person filled', () => {
    const draft = {
      ...defaultDraft(),
      intMin: '-5',
      intMax: '99',
      inputsDir: ' /data/tensors ',
      seed: '7',
      dims: { sequence: '64', width: '' },
    };
    const built = buildPlan(draft, sample, ['cpu']);
    expect(built.ok && built.plan.inputs).toEqual({ seed: 7, intRange: { min: -5, max: 99 }, dir: '/data/tensors' });
    expect(built.ok && built.plan.dims).toEqual({ sequence: 64 });
  });

  it('offers the non-batch dims, with the values the model was inspected with', () => {
    const dims = [
      { name: 'batch', value: 1, source: 'batch-default' as const },
      { name: 'sequence', value: 128, source: 'sequence-default' as const },
      { name: 'n', value: null, source: 'unset' as const },
    ];
    expect(planDims(dims).map((dim) => dim.name)).toEqual(['sequence', 'n']);
    expect(dimsDraft(dims)).toEqual({ sequence: '128', n: '' });
  });

  it('pre-selects only the providers that are ready', () => {
    const status = (name: string, state: ProviderStatus['status']): ProviderStatus => ({
      name,
      displayName: name,
      status: state,
      detail: '',
      probeMs: null,
    });
    expect(
      readyProviders([status('cpu', 'ready'), status('cuda', 'not-installed'), status('webgpu', 'ready'), status('dml', 'failed')]),
    ).toEqual(['cpu', 'webgpu']);
  });

  it('round-trips model sources through select values', () => {
    expect(sourceFromKey(sourceKey(sample))).toEqual(sample);
    const path = { kind: 'path', path: '/models/a:b.onnx' } as const;
    expect(sourceFromKey(sourceKey(path))).toEqual(path);
    expect(sourceFromKey('sample:')).toBeNull();
    expect(sourceFromKey('nonsense')).toBeNull();
  });
});

function config(id: string, overrides: Partial<ConfigResult> = {}): ConfigResult {
  const [ep = 'cpu'] = id.split('/');
  return {
    id,
    variant: 'original',
    ep,
    batch: 1,
    threads: 0,
    concurrency: 1,
    status: 'pending',
    error: null,
    provider: null,
    loadMs: null,
    sessionCreateMs: null,
    firstRunMs: null,
    warmup: null,
    stable: false,
    stopReason: null,
    measureMs: null,
    latencyMs: null,
    throughput: null,
    samples: [],
    samplesPerThread: [],
    trendRatio: null,
    memory: null,
    cpu: null,
    gpu: null,
    inputs: [],
    placement: null,
    placementError: null,
    warnings: [],
    repetitions: [],
    uncertainty: null,
    ...overrides,
  };
}

function stats(median: number) {
  return {
    count: 100,
    min: median / 2,
    max: median * 2,
    mean: median,
    median,
    q1: median,
    q3: median,
    p90: median,
    p95: median,
    p99: median,
    stdev: 0,
    cv: 0,
    ciLow: median,
    ciHigh: median,
    ciConfidence: 0.95,
    ciCoverage: 0.95,
    ciMethod: 'exact-binomial' as const,
    ciHalfWidthRel: 0,
    outliersLow: 0,
    outliersHigh: 0,
  };
}

const doc = {
  id: '2026-01-01T00-00-00-000-abcdef',
  model: { name: 'mnist-cnn' },
  warnings: [
    { code: 'governor', configId: null, message: 'governor is powersave' },
    { code: 'software-adapter', configId: 'webgpu/b1/t0/c1', message: 'software adapter' },
  ],
  configs: [config('cpu/b1/t0/c1'), config('webgpu/b1/t0/c1')],
} as unknown as RunDocument;

describe('run results', () => {
  it('makes configuration ids usable as test ids', () => {
    expect(configTestId('cpu/b1/t0/c1')).toBe('cpu_b1_t0_c1');
  });

  it('describes a configuration in words', () => {
    expect(configLabel({ batch: 2, threads: 0, concurrency: 1 })).toBe('batch 2 · default threads · 1 request');
    expect(configLabel({ batch: 1, threads: 4, concurrency: 8 })).toBe('batch 1 · 4 threads · 8 parallel requests');
  });

  it('names providers the same from either spelling', () => {
    expect(providerDisplayName('WebGpuExecutionProvider')).toBe('WebGPU');
    expect(providerDisplayName('webgpu')).toBe('WebGPU');
    expect(providerDisplayName('CPUExecutionProvider')).toBe('CPU');
    expect(providerDisplayName('FancyExecutionProvider')).toBe('Fancy');
  });

  it('orders placement by time share and keeps providers with nodes but no time', () => {
    const shares = placementShares({
      nodesByEp: { CPUExecutionProvider: 2, WebGpuExecutionProvider: 6 },
      timeShareByEp: { WebGpuExecutionProvider: 1 },
    });
    expect(shares.map((s) => [s.label, s.nodes, s.timeShare])).toEqual([
      ['WebGPU', 6, 1],
      ['CPU', 2, 0],
    ]);
    expect(shares[0]?.slot).not.toBe(shares[1]?.slot);
  });

  it('replaces a finished configuration without touching the others', () => {
    const done = config('cpu/b1/t0/c1', { status: 'done' });
    const next = withConfig(doc, done);
    expect(next.configs[0]).toBe(done);
    expect(next.configs[1]).toBe(doc.configs[1]);
    expect(doc.configs[0]?.status).toBe('pending');
  });

  it('picks the fastest finished configuration', () => {
    const run = {
      configs: [
        config('cpu/b1/t0/c1', { status: 'done', latencyMs: stats(3) }),
        config('cpu/b2/t0/c1', { status: 'done', latencyMs: stats(2) }),
        config('cpu/b4/t0/c1', { status: 'failed' }),
      ],
    };
    expect(fastestConfig(run)?.id).toBe('cpu/b2/t0/c1');
    expect(fastestConfig({ configs: [] })).toBeNull();
  });

  it('collects run and configuration warnings once each, live or saved', () => {
    const live = withConfig(doc, config('webgpu/b1/t0/c1', { warnings: ['software adapter', 'fell back'] }));
    expect(runWarnings(live)).toEqual([
      { configId: null, message: 'governor is powersave' },
      { configId: 'webgpu/b1/t0/c1', message: 'software adapter' },
      { configId: 'webgpu/b1/t0/c1', message: 'fell back' },
    ]);
  });

  it('suggests a file name for the exported run', () => {
    expect(runFileName(doc)).toBe('mnist-cnn-2026-01-01T00-00-00-000-abcdef.run.json');
  });
});

describe('progress', () => {
  const plan = { minTimeMs: 1000, maxTimeMs: 10_000, minIterations: 30, ciTargetRel: 0.01, warmupMaxMs: 10_000 };
  const at = (overrides: Partial<BenchProgressEvent>): BenchProgressEvent => ({
    runId: 'r',
    configId: 'cpu/b1/t0/c1',
    configIndex: 0,
    configCount: 2,
    phase: 'measure',
    iterations: 0,
    elapsedMs: 0,
    medianMs: null,
    ciHalfWidthRel: null,
    samplesMs: [],
    fraction: 0,
    etaMs: null,
    ...overrides,
  });

  it('moves forward through the phases of one configuration', () => {
    const phases: BenchProgressEvent['phase'][] = ['load', 'session-create', 'first-run', 'warmup', 'measure', 'profile'];
    const values = phases.map((phase) => configFraction(at({ phase }), plan));
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(values[values.length - 1]).toBeLessThan(1);
  });

  it('is done with measuring once every stop condition holds, or at the time cap', () => {
    const reached = configFraction(at({ elapsedMs: 1000, iterations: 30, ciHalfWidthRel: 0.01 }), plan);
    const capped = configFraction(at({ elapsedMs: 10_000, iterations: 5, ciHalfWidthRel: 0.5 }), plan);
    const halfway = configFraction(at({ elapsedMs: 1000, iterations: 30, ciHalfWidthRel: 0.02 }), plan);
    expect(reached).toBeCloseTo(0.95);
    expect(capped).toBeCloseTo(0.95);
    // Twice the target width needs about four times the samples: a quarter of the way.
    expect(halfway).toBeCloseTo(0.2 + 0.75 * 0.25);
  });

  it('counts the configurations before the current one as done', () => {
    expect(runFraction(at({ configIndex: 1, phase: 'load' }), plan)).toBeCloseTo(0.5);
    expect(runFraction(at({ configIndex: 1, phase: 'measure', elapsedMs: 20_000 }), plan)).toBeLessThanOrEqual(1);
  });

  it('extrapolates the time left once some of the run has passed', () => {
    expect(estimateRemainingMs(0.5, 4000, null)).toBe(4000);
    expect(estimateRemainingMs(0.01, 4000, 9000)).toBe(9000);
    expect(estimateRemainingMs(1, 4000, 9000)).toBe(0);
  });
});

describe('latency series', () => {
  it('keeps every sample until the cap, then an even systematic sample', () => {
    const series = new ThinnedSeries(4);
    series.push([10, 11, 12, 13]);
    expect(series.snapshot()).toEqual({ index: [0, 1, 2, 3], ms: [10, 11, 12, 13], total: 4 });
    series.push([14]);
    expect(series.snapshot()).toEqual({ index: [0, 2, 4], ms: [10, 12, 14], total: 5 });
    series.push([15, 16, 17, 18]);
    const snapshot = series.snapshot();
    expect(snapshot.index.every((i) => i % 2 === 0)).toBe(true);
    expect(snapshot.index.length).toBeLessThanOrEqual(4);
    expect(snapshot.total).toBe(9);
  });

  it('never shows more than the cap however many samples arrive, in any batch sizes', () => {
    const series = new ThinnedSeries(2000);
    for (let i = 0; i < 300; i++) series.push(Array.from({ length: 1000 }, (_, j) => i + j / 1000));
    const snapshot = series.snapshot();
    expect(snapshot.total).toBe(300_000);
    expect(snapshot.index.length).toBeLessThanOrEqual(2000);
    expect(snapshot.index.length).toBeGreaterThan(1000);
    // Evenly spread: the gaps between shown samples are all the same.
    const gaps = new Set(snapshot.index.slice(1).map((at, i) => at - (snapshot.index[i] as number)));
    expect(gaps.size).toBe(1);
    expect(thinSamples([1, 2, 3]).ms).toEqual([1, 2, 3]);
  });

  it('ends the latency axis before far outliers', () => {
    const samples = [...Array.from({ length: 200 }, (_, i) => 1 + (i % 10) / 100), 50];
    const cap = latencyAxisCap(samples);
    expect(cap).not.toBeNull();
    expect(cap as number).toBeLessThan(2);
    // A tail of 3 % puts p99 far out; the axis still ends near the bulk.
    const tail = [...Array.from({ length: 97 }, (_, i) => 1 + (i % 10) / 100), 40, 45, 50];
    expect(latencyAxisCap(tail) as number).toBeLessThan(2);
    expect(latencyAxisCap([1, 2, 100])).toBe(100);
    expect(latencyAxisCap([])).toBeNull();
  });

  it('bins the bulk and counts the tail in one bar', () => {
    const samples = [...Array.from({ length: 200 }, (_, i) => 1 + (i % 10) / 100), 50, 60];
    const result = latencyHistogram(samples);
    expect(result.total).toBe(202);
    expect(result.above?.count).toBe(2);
    expect(result.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(200);
    expect(result.bins[result.bins.length - 1]?.toMs).toBeLessThan(2);
    expect(latencyHistogram([])).toEqual({ bins: [], above: null, total: 0 });
  });
});
