import { describe, expect, it } from 'vitest';
import type { InferenceFlag } from '../../../../../src/shared/domain/hardware';
import { BenchPlanSchema } from '../../../../../src/shared/domain/plan';
import type { ConfigResult, RunDocument } from '../../../../../src/shared/domain/run';
import { QuantizeRequestSchema, type Variant } from '../../../../../src/shared/domain/variant';
import {
  accuracySpeedData,
  buildComparePlan,
  compareAdvice,
  compareGroups,
  describeSpeedup,
  parseCompareTimes,
  speedupOf,
} from '../../../../../src/renderer/lib/logic/quantize-compare';
import {
  applyImagePreset,
  autoInt8Types,
  buildQuantizeRequest,
  dataSummary,
  defaultDataDraft,
  defaultModeDraft,
  hasFastInt8,
  imagePresetOf,
  modeFields,
  newJobId,
  parseNameList,
  QUANTIZE_MODES,
  type DataDraft,
  type ModeDraft,
} from '../../../../../src/renderer/lib/logic/quantize-options';
import { jobFraction, stagesFor } from '../../../../../src/renderer/lib/logic/quantize-progress';
import {
  formatAbsDiff,
  formatSizeChange,
  formatSqnr,
  outputTone,
  sizeChange,
  skippedByReason,
  sqnrTone,
  variantFileName,
  worstOutput,
} from '../../../../../src/renderer/lib/logic/quantize-quality';

const source = { kind: 'sample', name: 'mlp' } as const;

function flags(...present: string[]): InferenceFlag[] {
  return ['avx2', 'fma', 'avx512_vnni', 'avx_vnni', 'amx_int8', 'dotprod', 'i8mm'].map((name) => ({
    name,
    present: present.includes(name),
    why: '',
  }));
}

const x86NoVnni = { arch: 'x64', flags: ['avx2', 'fma'], inferenceFlags: flags('avx2', 'fma') };
const x86Vnni = { arch: 'x64', flags: ['avx2', 'avx512_vnni'], inferenceFlags: flags('avx2', 'avx512_vnni') };
const armDot = { arch: 'arm64', flags: ['asimddp'], inferenceFlags: flags('dotprod') };
const armPlain = { arch: 'arm64', flags: ['asimd'], inferenceFlags: flags() };

function build(
  mode: (typeof QUANTIZE_MODES)[number],
  draft: Partial<ModeDraft> = {},
  data: Partial<DataDraft> = {},
  evaluationSamples = '8',
) {
  return buildQuantizeRequest({
    source,
    mode,
    draft: { ...defaultModeDraft(mode), ...draft },
    data: { ...defaultDataDraft(), ...data },
    evaluationSamples,
    cpu: x86NoVnni,
  });
}

describe('quantize options', () => {
  it('builds a request every mode accepts as the contract defines it', () => {
    for (const mode of QUANTIZE_MODES) {
      const built = build(mode);
      expect(built.ok, mode).toBe(true);
      if (!built.ok) continue;
      const parsed = QuantizeRequestSchema.parse({ ...built.request, jobId: 'job-1' });
      expect(parsed.options.mode).toBe(mode);
      expect(parsed.evaluationSamples).toBe(8);
    }
  });

  it('leaves choices on auto out of the options so the services decide', () => {
    const built = build('int8-dynamic');
    expect(built.ok && built.request.options).toEqual({ mode: 'int8-dynamic', perChannel: false });
    const overridden = build('int8-dynamic', { weightType: 'uint8', reduceRange: 'on', symmetric: 'off' });
    expect(overridden.ok && overridden.request.options).toEqual({
      mode: 'int8-dynamic',
      perChannel: false,
      weightType: 'uint8',
      reduceRange: true,
      symmetric: false,
    });
    const lstm = build('int8-dynamic', { quantizeLstm: true });
    expect(lstm.ok && lstm.request.options).toEqual({ mode: 'int8-dynamic', perChannel: false, quantizeLstm: true });
    // LSTMs are a dynamic-only choice: static int8 never sends it.
    const stat = build('int8-static', { quantizeLstm: true });
    expect(stat.ok && stat.request.options).not.toHaveProperty('quantizeLstm');
    // Moving average belongs to minmax calibration only.
    expect(build('int8-static', { movingAverage: true }).ok && build('int8-static', { movingAverage: true })).toMatchObject({
      request: { options: { calibrationMethod: 'minmax', movingAverage: true } },
    });
    const percentile = build('int8-static', { movingAverage: true, calibrationMethod: 'percentile' });
    expect(percentile.ok && percentile.request.options).not.toHaveProperty('movingAverage');
  });

  it('sends only the fields a mode reads', () => {
    const fp16 = build('fp16', { perChannel: true, blockSize: 64, blockList: 'Pow, ReduceMean\nPow' });
    expect(fp16.ok && fp16.request.options).toEqual({ mode: 'fp16', keepIoTypes: true, blockList: ['Pow', 'ReduceMean'] });
    const int4 = build('int4', { accuracyLevel: 4, symmetric: 'off', keepIoTypes: false });
    expect(int4.ok && int4.request.options).toEqual({ mode: 'int4', blockSize: 32, accuracyLevel: 4, symmetric: false });
    const q4f16 = build('q4f16');
    expect(q4f16.ok && q4f16.request.options).toEqual({ mode: 'q4f16', blockSize: 32, keepIoTypes: true });
    expect(modeFields('int8-dynamic').activationType).toBe(false);
    expect(modeFields('int8-static').calibration).toBe(true);
  });

  it('passes the CPU and the calibration settings for int8 static', () => {
    const built = build('int8-static', { calibrationMethod: 'percentile', percentile: '99.99', bins: '4096' });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.request.options).toMatchObject({
      mode: 'int8-static',
      perChannel: true,
      calibrationMethod: 'percentile',
      percentile: 99.99,
      bins: 4096,
      cpu: { arch: 'x64', flags: ['avx2', 'fma'] },
    });
    const minmax = build('int8-static');
    expect(minmax.ok && minmax.request.options.bins).toBeUndefined();
  });

  it('names every bad field', () => {
    const built = build(
      'int8-static',
      { calibrationMethod: 'entropy', bins: '12', include: 'a, b', exclude: 'b' },
      { samples: '0', seed: 'x' },
      '0',
    );
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(Object.keys(built.errors).sort()).toEqual(['bins', 'evaluationSamples', 'include', 'samples', 'seed']);
    const percentile = build('int8-static', { calibrationMethod: 'percentile', percentile: '100.5' });
    expect(!percentile.ok && percentile.errors.percentile).toBeTruthy();
  });

  it('reads folders of tensors and images with their preprocessing', () => {
    const tensors = build('int8-static', {}, { kind: 'tensors', dir: ' /data/calib ', samples: '' });
    expect(tensors.ok && tensors.request.calibration).toEqual({ kind: 'tensors', dir: '/data/calib' });
    const missing = build('int8-static', {}, { kind: 'tensors', dir: '' });
    expect(!missing.ok && missing.errors.dir).toBeTruthy();

    const images = build(
      'int8-static',
      {},
      applyImagePreset({ ...defaultDataDraft(), kind: 'images', dir: '/img', samples: '50', width: '224', height: '' }, 'imagenet'),
    );
    expect(images.ok).toBe(true);
    if (!images.ok) return;
    const parsed = QuantizeRequestSchema.parse({ ...images.request, jobId: 'j' });
    expect(parsed.calibration).toEqual({
      kind: 'images',
      dir: '/img',
      samples: 50,
      width: 224,
      layout: 'nchw',
      channelOrder: 'rgb',
      scale: 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    const badStd = build('int8-static', {}, { kind: 'images', dir: '/img', std: '1, 0, 1', mean: '1, 2' });
    expect(!badStd.ok && Object.keys(badStd.errors).sort()).toEqual(['mean', 'std']);
  });

  it('recognises the normalization presets', () => {
    expect(imagePresetOf(applyImagePreset(defaultDataDraft(), 'imagenet'))).toBe('imagenet');
    expect(imagePresetOf(defaultDataDraft())).toBe('unit');
    expect(imagePresetOf({ scale: '255', mean: '0.5,0.5,0.5', std: '0.5 0.5 0.5' })).toBe('signed');
    expect(imagePresetOf({ scale: '255', mean: '0.4, 0.4, 0.4', std: '1, 1, 1' })).toBe('custom');
  });

  it('splits name lists on commas and lines, without repeats', () => {
    expect(parseNameList(' /fc1/MatMul, /fc2/MatMul\n\n/fc1/MatMul ')).toEqual(['/fc1/MatMul', '/fc2/MatMul']);
    expect(parseNameList('  ')).toEqual([]);
  });

  it('picks int8 types from the CPU as the services do', () => {
    expect(autoInt8Types(x86NoVnni)).toMatchObject({ activationType: 'uint8', weightType: 'int8', reduceRange: true });
    expect(autoInt8Types(x86Vnni)).toMatchObject({ activationType: 'int8', reduceRange: false });
    expect(autoInt8Types(armPlain)).toMatchObject({ activationType: 'int8', reduceRange: false });
    expect(autoInt8Types(null).activationType).toBe('int8');
  });

  it('knows when int8 has fast instructions', () => {
    expect(hasFastInt8(x86NoVnni)).toBe(false);
    expect(hasFastInt8(x86Vnni)).toBe(true);
    expect(hasFastInt8(armDot)).toBe(true);
    expect(hasFastInt8(armPlain)).toBe(false);
    expect(hasFastInt8({ arch: 'riscv64', inferenceFlags: [] })).toBeNull();
    expect(hasFastInt8(null)).toBeNull();
  });

  it('says how many inputs calibrate and how many check the result', () => {
    expect(dataSummary('int8-static', defaultDataDraft(), '8')).toBe(
      '16 seeded random calibration inputs; 8 other seeded random inputs to compare outputs on',
    );
    expect(dataSummary('fp16', defaultDataDraft(), '1')).toBe('No calibration; 1 other seeded random input to compare outputs on');
    const folder = { ...defaultDataDraft(), kind: 'images' as const, samples: '' };
    expect(dataSummary('int8-static', folder, '8')).toMatch(
      /^Calibrates on all the others; the last 20 % of the images \(at least one\) held apart/,
    );
    expect(dataSummary('int8-static', { ...folder, samples: '100' }, '8')).toMatch(/up to 100 of the others/);
  });

  it('makes job ids that differ and stay short', () => {
    const a = newJobId(1000, () => 0.1);
    const b = newJobId(1000, () => 0.2);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^q-[0-9a-z]+-[0-9a-z]{6}$/);
    expect(a.length).toBeLessThanOrEqual(100);
  });
});

describe('quantize progress', () => {
  it('calibrates only in int8 static', () => {
    expect(stagesFor('int8-static')).toContain('calibrate');
    expect(stagesFor('fp16')).not.toContain('calibrate');
  });

  it('counts finished stages whole and the current one by its fraction', () => {
    expect(jobFraction('fp16', null)).toBe(0);
    expect(jobFraction('fp16', { stage: 'load', fraction: null })).toBeCloseTo(0.5 / 6);
    expect(jobFraction('int8-static', { stage: 'calibrate', fraction: 0.5 })).toBeCloseTo(2.5 / 7);
    expect(jobFraction('fp16', { stage: 'save', fraction: 1 })).toBe(1);
    // A stage the mode does not have (a services change) must not jump the bar.
    expect(jobFraction('fp16', { stage: 'calibrate', fraction: 1 })).toBe(0);
  });
});

describe('quantize quality', () => {
  it('colours SQNR by the stated thresholds', () => {
    expect(sqnrTone(30)).toBe('ok');
    expect(sqnrTone(29.9)).toBe('warn');
    expect(sqnrTone(20)).toBe('warn');
    expect(sqnrTone(19.9)).toBe('danger');
    expect(sqnrTone(null)).toBe('ok');
    expect(outputTone({ sqnrDb: 50, nanCount: 1, infCount: 0 })).toBe('danger');
  });

  it('finds the worst output', () => {
    expect(worstOutput([])).toBeNull();
    const worst = worstOutput([
      { name: 'a', sqnrDb: 41 },
      { name: 'b', sqnrDb: 35 },
      { name: 'c', sqnrDb: null },
    ]);
    expect(worst).toEqual({ name: 'b', sqnrDb: 35, tone: 'ok' });
    expect(
      worstOutput([
        { name: 'a', sqnrDb: 25 },
        { name: 'nan', sqnrDb: 60, nanCount: 3, infCount: 0 },
      ])?.name,
    ).toBe('nan');
  });

  it('formats figures that span decades', () => {
    expect(formatSqnr(38.234)).toBe('38.2 dB');
    expect(formatSqnr(null)).toBe('identical');
    expect(formatAbsDiff(0)).toBe('0');
    expect(formatAbsDiff(0.0000312)).toBe('3.1e-5');
    expect(formatAbsDiff(0.01234)).toBe('0.0123');
  });

  it('reports size change as a signed percentage, smaller negative', () => {
    const smaller = sizeChange({ before: 1000, after: 254 });
    expect(smaller.reduction).toBeCloseTo(0.746);
    expect(formatSizeChange(smaller)).toBe('−74.6 %');
    expect(formatSizeChange(sizeChange({ before: 1000, after: 1031 }))).toBe('+3.1 %');
  });

  it('groups skipped nodes by reason, most common first', () => {
    const groups = skippedByReason([
      { node: 'a', opType: 'MatMul', reason: 'B is not constant' },
      { node: 'b', opType: 'Conv', reason: 'excluded' },
      { node: 'c', opType: 'MatMul', reason: 'B is not constant' },
    ]);
    expect(groups.map((g) => [g.reason, g.nodes.length])).toEqual([
      ['B is not constant', 2],
      ['excluded', 1],
    ]);
  });

  it('suggests a download name from the model and the mode', () => {
    expect(variantFileName({ id: 'int8-dynamic-3f2a9c', source: { name: 'my model.onnx', path: '', sha256: '', sizeBytes: 0 } })).toBe(
      'my_model-int8-dynamic-3f2a9c.onnx',
    );
  });
});

function latency(median: number, halfWidth = 0) {
  return {
    count: 100,
    min: median,
    max: median,
    mean: median,
    median,
    q1: median,
    q3: median,
    p90: median,
    p95: median,
    p99: median,
    stdev: 0,
    cv: 0,
    ciLow: median - halfWidth,
    ciHigh: median + halfWidth,
    ciConfidence: 0.95,
    ciCoverage: 0.95,
    ciMethod: 'exact-binomial' as const,
    ciHalfWidthRel: halfWidth / median,
    outliersLow: 0,
    outliersHigh: 0,
  };
}

function config(variant: string, ep: string, median: number | null, overrides: Partial<ConfigResult> = {}): ConfigResult {
  return {
    id: variant === 'original' ? `${ep}/b1/t0/c1` : `${variant}/${ep}/b1/t0/c1`,
    variant,
    ep,
    batch: 1,
    threads: 0,
    concurrency: 1,
    status: median === null ? 'failed' : 'done',
    error: median === null ? { code: 'SESSION_FAILED', message: 'no kernel..' } : null,
    provider: null,
    loadMs: null,
    sessionCreateMs: null,
    firstRunMs: null,
    warmup: null,
    stable: true,
    stopReason: null,
    measureMs: null,
    latencyMs: median === null ? null : latency(median, median * 0.02),
    throughput: median === null ? null : { runsPerSec: 1000 / median, itemsPerSec: 1000 / median },
    samples: [],
    samplesPerThread: [],
    trendRatio: null,
    memory: { rssBeforeCreateBytes: 0, rssAfterCreateBytes: 0, rssPeakBytes: 50e6, rssAfterMeasureBytes: 0 },
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

const quality = (sqnrDb: number | null) => [{ name: 'logits', maxAbsDiff: 0.01, meanAbsDiff: 0.001, sqnrDb, cosine: 0.9999 }];

const compareDoc = {
  id: 'run-1',
  status: 'completed',
  model: { name: 'mlp.onnx', sizeBytes: 4000 },
  environment: { hardware: { providers: [{ name: 'cpu' }, { name: 'webgpu', software: true }] } },
  variants: [
    { id: 'original', label: 'mlp.onnx', mode: null, path: '', sizeBytes: 4000, precision: 'fp32', quality: [], warnings: [] },
    {
      id: 'int8-dynamic-aa',
      label: 'int8 dynamic',
      mode: 'int8-dynamic',
      path: '',
      sizeBytes: 1100,
      precision: 'int8',
      quality: quality(38.5),
      warnings: [],
    },
    { id: 'fp16-bb', label: 'fp16', mode: 'fp16', path: '', sizeBytes: 2000, precision: 'fp16', quality: quality(72), warnings: [] },
  ],
  configs: [
    config('original', 'cpu', 1.0),
    config('int8-dynamic-aa', 'cpu', 0.5),
    config('fp16-bb', 'cpu', 1.6),
    config('original', 'webgpu', 40),
    config('int8-dynamic-aa', 'webgpu', 80, {
      placement: {
        requestedProvider: 'webgpu',
        runs: 1,
        nodesByEp: {},
        timeShareByEp: {},
        fallbackNodes: [
          { node: 'q1', op: 'DynamicQuantizeLinear', provider: 'CPUExecutionProvider' },
          { node: 'm1', op: 'MatMulInteger', provider: 'CPUExecutionProvider' },
        ],
        topOps: [],
        nodes: [],
        traceFile: null,
      },
    }),
    config('fp16-bb', 'webgpu', null),
  ],
} as unknown as RunDocument;

describe('side by side', () => {
  it('reads the measuring times in seconds', () => {
    expect(parseCompareTimes('1', '5')).toEqual({ ok: true, minTimeMs: 1000, maxTimeMs: 5000 });
    expect(parseCompareTimes('0.3', '1')).toEqual({ ok: true, minTimeMs: 300, maxTimeMs: 1000 });
    expect(parseCompareTimes('6', '5').ok).toBe(false);
    expect(parseCompareTimes('', '5').ok).toBe(false);
    expect(parseCompareTimes('1', '0').ok).toBe(false);
  });

  it('plans the original and the variants on the ticked providers', () => {
    const plan = BenchPlanSchema.parse(
      buildComparePlan({ source, variantIds: ['a', 'b'], eps: ['cpu'], minTimeMs: 1000, maxTimeMs: 5000 }),
    );
    expect(plan).toMatchObject({
      model: source,
      variants: ['a', 'b'],
      includeOriginal: true,
      eps: ['cpu'],
      batches: [1],
      threads: [0],
      concurrency: [1],
      minTimeMs: 1000,
      maxTimeMs: 5000,
      profile: true,
    });
    expect(plan.warmupMaxMs).toBeLessThanOrEqual(5000);
    const short = buildComparePlan({ source, variantIds: ['a'], eps: ['cpu'], minTimeMs: 100, maxTimeMs: 500 });
    expect(short.warmupMaxMs).toBe(500);
  });

  it('claims faster or slower only when the intervals allow it', () => {
    expect(speedupOf(latency(1, 0.01), latency(0.5, 0.01)).verdict).toBe('faster');
    expect(speedupOf(latency(1, 0.01), latency(2, 0.01)).verdict).toBe('slower');
    const close = speedupOf(latency(1, 0.05), latency(0.97, 0.05));
    expect(close.verdict).toBe('same');
    expect(close.low).toBeLessThan(1);
    expect(close.high).toBeGreaterThan(1);
    expect(describeSpeedup(speedupOf(latency(1), latency(0.5)))).toBe('2× faster');
    expect(describeSpeedup(speedupOf(latency(1), latency(1.8)))).toBe('1.8× slower');
  });

  it('makes one table per provider, the original first', () => {
    const groups = compareGroups(compareDoc);
    expect(groups.map((g) => [g.ep, g.software])).toEqual([
      ['cpu', false],
      ['webgpu', true],
    ]);
    const cpu = groups[0];
    expect(cpu?.rows.map((row) => row.modelId)).toEqual(['original', 'int8-dynamic-aa', 'fp16-bb']);
    const int8 = cpu?.rows[1];
    expect(int8?.speedup?.ratio).toBeCloseTo(2);
    expect(int8?.speedup?.verdict).toBe('faster');
    expect(int8?.sizeBytes).toBe(1100);
    expect(int8?.quality).toEqual({ name: 'logits', sqnrDb: 38.5, tone: 'ok' });
    expect(cpu?.rows[0]?.quality).toBeNull();
    expect(groups[1]?.rows[2]?.status).toBe('failed');
  });

  it('prefers the variant’s own report, which counts NaN and Inf', () => {
    const variant = {
      id: 'fp16-bb',
      report: { quality: [{ ...quality(72)[0], elements: 10, nanCount: 2, infCount: 0 }] },
      evaluation: { samples: 2, source: 'held-out' },
    } as unknown as Variant;
    const groups = compareGroups(compareDoc, [variant]);
    expect(groups[0]?.rows[2]?.quality?.tone).toBe('danger');
    expect(groups[0]?.rows[2]?.verdict?.verdict).toBe('unusable');
  });

  it('explains the result in words, traps included', () => {
    const groups = compareGroups(compareDoc);
    const noVnni = compareAdvice(groups, x86NoVnni);
    expect(noVnni).toContain('int8 dynamic is 2× faster on CPU with SQNR 38.5 dB (worst output logits).');
    expect(noVnni).toContain('This CPU has no VNNI: int8 is faster here all the same, and would gain more on a CPU with it.');
    const slowInt8 = compareGroups({
      ...compareDoc,
      configs: compareDoc.configs.map((c) => (c.id === 'int8-dynamic-aa/cpu/b1/t0/c1' ? config('int8-dynamic-aa', 'cpu', 1.01) : c)),
    });
    expect(compareAdvice(slowInt8, x86NoVnni)).toContain(
      'This CPU has no VNNI: int8 may not be faster than fp32 here (int8 dynamic: no measurable difference (0.99×)).',
    );
    expect(compareAdvice(slowInt8, armPlain).some((line) => line.startsWith('This CPU has no dot-product instructions'))).toBe(true);
    expect(noVnni.some((line) => line.startsWith('fp16 on the CPU runs through casts: fp16 is 1.6× slower here'))).toBe(true);
    expect(
      noVnni.some((line) => line.startsWith('2 nodes of int8 dynamic fell back to CPU on WebGPU (DynamicQuantizeLinear, MatMulInteger)')),
    ).toBe(true);
    expect(noVnni.some((line) => line.includes('WebGPU here is a software adapter'))).toBe(true);
    expect(noVnni).toContain('fp16 failed on WebGPU: no kernel.');
    // WebGPU is a software adapter in this run: its times back no speed claims.
    expect(noVnni.some((line) => line.includes('faster on WebGPU'))).toBe(false);
    const slower = compareGroups({
      ...compareDoc,
      configs: compareDoc.configs.map((c) => (c.id === 'int8-dynamic-aa/cpu/b1/t0/c1' ? config('int8-dynamic-aa', 'cpu', 1.5) : c)),
    });
    expect(compareAdvice(slower, x86Vnni)).toContain(
      'int8 dynamic is 1.5× slower than the original on CPU: smaller on disk, but no faster here.',
    );
    const vnni = compareAdvice(groups, x86Vnni);
    expect(vnni.some((line) => line.includes('no VNNI'))).toBe(false);
  });

  it('places each variant at its median and SQNR, the original as a line', () => {
    const data = accuracySpeedData(compareGroups(compareDoc));
    expect(data.originals.map((o) => [o.ep, o.medianMs])).toEqual([
      ['cpu', 1],
      ['webgpu', 40],
    ]);
    expect(data.points.map((p) => [p.label, p.ep, p.medianMs, p.sqnrDb])).toEqual([
      ['int8 dynamic', 'cpu', 0.5, 38.5],
      ['fp16', 'cpu', 1.6, 72],
      ['int8 dynamic', 'webgpu', 80, 38.5],
    ]);
  });
});

describe('input values in the Quantize view', () => {
  const base = {
    source: { kind: 'sample' as const, name: 'mlp' },
    mode: 'fp16' as const,
    draft: defaultModeDraft('fp16'),
    data: defaultDataDraft(),
    evaluationSamples: '8',
    cpu: null,
  };

  it('go into the request as --input would, and a bad one is a field error', () => {
    const built = buildQuantizeRequest({ ...base, inputValues: 'sr=16000, state=zeros' });
    expect(built.ok && built.request.inputValues).toEqual({ sr: { kind: 'number', value: 16000 }, state: { kind: 'zeros' } });
    const bad = buildQuantizeRequest({ ...base, inputValues: 'sr=fast' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.inputValues).toMatch(/sr/);
    const none = buildQuantizeRequest(base);
    expect(none.ok && 'inputValues' in none.request).toBe(false);
  });
});
