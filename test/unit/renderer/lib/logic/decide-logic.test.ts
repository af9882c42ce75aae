import { describe, expect, it } from 'vitest';
import { adviseDeployment } from '../../../../../src/shared/advice';
import { RequirementSchema, type Requirement, type Verdict } from '../../../../../src/shared/domain/advice';
import { BenchPlanSchema } from '../../../../../src/shared/domain/plan';
import type { RunSummary } from '../../../../../src/shared/domain/run';
import {
  buildRequirement,
  draftFromRequirement,
  emptyDraft,
  parseGpuPrices,
  parseNumber,
  priceText,
  type RequirementDraft,
} from '../../../../../src/renderer/lib/logic/decide-form';
import {
  capacityChartData,
  capacityText,
  defaultSelection,
  instancesText,
  latencyAxis,
  noisyRuns,
  orderedRows,
  remeasurePlan,
  verdictHeadline,
  REMEASURE_MAX_TIME_MS,
  REMEASURE_TIME_CAP_MS,
  rowRequirementStatus,
  rowTestId,
  selectedRuns,
  setupName,
  sweepOf,
  sweepPlan,
  sweepSize,
  SWEEP_CONCURRENCY,
  SWEEP_MAX_TIME_MS,
} from '../../../../../src/renderer/lib/logic/decide-verdict';
import { measuredRun } from './decide-fixtures';

function draft(changes: Partial<RequirementDraft>): RequirementDraft {
  return { ...emptyDraft(), ...changes };
}

/** A CPU-only machine: 2 threads sustain ≈ 250 req/s at p95 ≈ 9 ms, one level with 8 threads, a batch-4 setup. */
const cpuRun = measuredRun('run-cpu', 'resnet-mini', [
  { ep: 'cpu', threads: 2, concurrency: 1, seed: 1, medianMs: 8 },
  { ep: 'cpu', threads: 2, concurrency: 2, seed: 2, medianMs: 8.4 },
  { ep: 'cpu', threads: 2, concurrency: 4, seed: 3, medianMs: 15 },
  { ep: 'cpu', threads: 8, concurrency: 1, seed: 4, medianMs: 3.6 },
  { ep: 'cpu', batch: 4, threads: 8, concurrency: 1, seed: 5, medianMs: 11 },
]);

function verdictFor(requirement: Requirement | ReturnType<typeof buildRequirement>): Verdict {
  const input = 'ok' in requirement ? (requirement.ok ? requirement.requirement : null) : requirement;
  if (!input) throw new Error('the form did not build a requirement');
  return adviseDeployment([cpuRun], input);
}

describe('the requirement form', () => {
  it('starts without bounds, asking for one, with every price an assumption', () => {
    const empty = emptyDraft();
    expect(empty.cpuPerHour).toEqual({ text: '0.10', assumed: true });
    expect(empty.gpuPerHour).toEqual({ text: '1.20', assumed: true });
    expect(empty.electricityPerKwh).toEqual({ text: '0.15', assumed: true });
    const built = buildRequirement(empty);
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.errors.goal).toMatch(/latency target, a throughput, or both/);
  });

  it('builds p95 ≤ 50 ms at 200 req/s, leaving assumed prices out so the verdict reports them as assumptions', () => {
    const built = buildRequirement(draft({ latencyMs: '50', throughputRps: ' 200 ' }));
    expect(built).toEqual({
      ok: true,
      requirement: { latency: { percentile: 'p95', ms: 50 }, throughputRps: 200, maxBatchDelayMs: 0, prices: { gpuByName: {} } },
    });
    const verdict = verdictFor(built);
    expect(verdict.requirement.prices.assumed).toEqual(['cpu', 'gpu', 'electricity']);
    expect(verdict.assumptions.join(' ')).toContain('assumed default');
  });

  it('passes typed prices on as the person’s own, and a cleared price back to the default', () => {
    const built = buildRequirement(
      draft({
        throughputRps: '100',
        cpuPerHour: { text: '$0.25', assumed: false },
        gpuPerHour: { text: '', assumed: false },
        electricityPerKwh: { text: '0', assumed: false },
        gpuByName: 'L4=0.80, H100 = 4.5',
      }),
    );
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.requirement.latency).toBeNull();
    expect(built.requirement.prices).toEqual({ cpuPerHour: 0.25, electricityPerKwh: 0, gpuByName: { L4: 0.8, H100: 4.5 } });
    expect(RequirementSchema.parse(built.requirement).prices.gpuPerHour).toBeUndefined();
    expect(verdictFor(built).requirement.prices.assumed).toEqual(['gpu']);
  });

  it('names each field it cannot read', () => {
    const built = buildRequirement(
      draft({
        latencyMs: '0',
        throughputRps: 'fast',
        maxBatchDelayMs: '-1',
        cpuPerHour: { text: '0', assumed: false },
        electricityPerKwh: { text: '-0.1', assumed: false },
        gpuByName: 'L4',
      }),
    );
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(Object.keys(built.errors).sort()).toEqual([
      'cpuPerHour',
      'electricityPerKwh',
      'gpuByName',
      'latencyMs',
      'maxBatchDelayMs',
      'throughputRps',
    ]);
    expect(built.errors.gpuByName).toContain('"L4"');
  });

  it('reads numbers as people type them, and GPU price lists', () => {
    expect(parseNumber(' 0.001 ')).toBe(0.001);
    expect(parseNumber('1e-3')).toBe(0.001);
    expect(parseNumber('$1.20')).toBe(1.2);
    expect(parseNumber('')).toBeNull();
    expect(parseNumber('12 ms')).toBeNull();
    expect(parseGpuPrices('')).toEqual({ ok: true, prices: {} });
    expect(parseGpuPrices('RTX 4090: 0.7; A10G=1.1\n')).toEqual({ ok: true, prices: { 'RTX 4090': 0.7, A10G: 1.1 } });
    expect(parseGpuPrices('L4=0').ok).toBe(false);
    expect(priceText(0.1)).toBe('0.10');
    expect(priceText(0.125)).toBe('0.125');
    expect(priceText(0.0042)).toBe('0.0042');
  });

  it('fills from the saved requirement and builds it back unchanged', () => {
    const saved = RequirementSchema.parse({
      latency: { percentile: 'p99', ms: 12.5 },
      throughputRps: 1500,
      maxBatchDelayMs: 4,
      prices: { gpuPerHour: 0.9, gpuByName: { L4: 0.8 } },
    });
    const filled = draftFromRequirement(saved);
    expect(filled.percentile).toBe('p99');
    expect(filled.cpuPerHour.assumed).toBe(true);
    expect(filled.gpuPerHour).toEqual({ text: '0.90', assumed: false });
    expect(filled.gpuByName).toBe('L4=0.80');
    const built = buildRequirement(filled);
    expect(built.ok && RequirementSchema.parse(built.requirement)).toEqual(saved);
    expect(draftFromRequirement(null)).toEqual(emptyDraft());
  });
});

describe('reading a verdict', () => {
  const verdict = verdictFor(RequirementSchema.parse({ latency: { percentile: 'p95', ms: 50 }, throughputRps: 200 }));

  it('ranks the cheapest first and reads each row against the whole requirement', () => {
    const [model] = verdict.models;
    expect(model?.status).toBe('cpu-suffices');
    expect(verdictHeadline(model!)).toBe('resnet-mini — No GPU needed: the CPU suffices');
    const rows = orderedRows(verdict, model!);
    expect(rows[0]?.id).toBe(model?.cheapest);
    expect(rowRequirementStatus(rows[0]!)).toBe('meets');
    // Batch 4 without a batching delay is not eligible, whatever its latency.
    const batched = rows.find((row) => row.batch === 4)!;
    expect(rowRequirementStatus(batched)).toBe('not-eligible');
    expect(rows.indexOf(batched)).toBeGreaterThan(0);
    expect(rowTestId('0:original/cpu/b1/t2')).toBe('0-original_cpu_b1_t2');
  });

  it('says how capacity and instances were found', () => {
    const sweep = verdict.rows.find((row) => row.threads === 2 && row.batch === 1)!;
    const text = capacityText(sweep);
    expect(text.value).toMatch(/req\/s$/);
    expect(sweep.capacity.singleLevel).toBe(false);
    const single = verdict.rows.find((row) => row.threads === 8 && row.batch === 1)!;
    expect(capacityText(single).note).toBe('one level measured');
    expect(instancesText({ instances: 3, instancesRange: [3, 4] })).toBe('3–4');
    expect(instancesText({ instances: 3, instancesRange: [3, 3] })).toBe('3');
    expect(instancesText({ instances: null, instancesRange: null })).toBe('—');
    expect(
      capacityText({ eligible: true, capacity: { ...sweep.capacity, maxThroughputRps: null, lowRps: null, highRps: null } }),
    ).toMatchObject({
      value: '—',
      note: 'no level meets it',
    });
    const batched = verdict.rows.find((row) => row.batch === 4)!;
    expect(capacityText(batched)).toEqual({ value: '—', range: null, note: 'needs a batching delay' });
  });

  it('an impossible target: nothing meets it, and every row fails', () => {
    const impossible = verdictFor(RequirementSchema.parse({ latency: { percentile: 'p95', ms: 0.001 }, throughputRps: 200 }));
    expect(impossible.models[0]?.status).toBe('nothing-meets');
    expect(impossible.models[0]?.breakEven?.latency?.speedup).toBeGreaterThan(1000);
    const eligible = impossible.rows.filter((row) => row.eligible);
    expect(eligible.map(rowRequirementStatus)).toEqual(eligible.map(() => 'fails'));
  });

  it('draws each setup’s levels in concurrency order, with the target and its CI whiskers', () => {
    const chart = capacityChartData(verdict);
    expect(chart.targetMs).toBe(50);
    expect(chart.targetRps).toBe(200);
    expect(chart.latencyLabel).toBe('p95 latency');
    expect(chart.series).toHaveLength(verdict.rows.length);
    const sweep = chart.series.find((series) => series.points.length === 3)!;
    expect(sweep.points.map((p) => p.concurrency)).toEqual([1, 2, 4]);
    for (const p of sweep.points) {
      expect(p.lowMs).not.toBeNull();
      expect(p.lowMs!).toBeLessThanOrEqual(p.latencyMs);
      expect(p.highMs!).toBeGreaterThanOrEqual(p.latencyMs);
    }
    expect(chart.series.filter((series) => series.cheapest)).toHaveLength(1);
  });

  it('turns the latency axis logarithmic once values span more than a decade', () => {
    expect(latencyAxis([0.04, 0.05, 50])).toEqual({ type: 'logarithmic', min: 0.01, max: 100 });
    expect(latencyAxis([8, 9, 15])).toEqual({ type: 'linear', min: 0, max: 15 * 1.15 });
    expect(latencyAxis([])).toEqual({ type: 'linear', min: 0, max: 1 });
  });
});

describe('runs and the capacity sweep', () => {
  const summary = (id: string, status: RunSummary['status'], done: number) => ({ id, status, done });

  it('ticks the newest run that can carry a verdict, and keeps ticks to runs that still can', () => {
    const list = [
      summary('measuring', 'running', 1),
      summary('empty', 'failed', 0),
      summary('newest', 'completed', 2),
      summary('old', 'cancelled', 1),
    ];
    expect(defaultSelection(list)).toEqual(['newest']);
    expect(defaultSelection([summary('empty', 'failed', 0)])).toEqual([]);
    expect(selectedRuns(list, ['old', 'gone', 'measuring', 'newest'])).toEqual(['newest', 'old']);
  });

  it('repeats the run’s model, providers, batches and threads at 1, 2, 4 and 8 parallel requests, briefly', () => {
    const plan = sweepPlan(cpuRun);
    expect(plan).toMatchObject({
      model: { kind: 'sample', name: 'resnet-mini' },
      variants: [],
      includeOriginal: true,
      eps: ['cpu'],
      batches: [1, 4],
      threads: [2, 8],
      concurrency: [...SWEEP_CONCURRENCY],
      maxTimeMs: SWEEP_MAX_TIME_MS,
      warmupMaxMs: cpuRun.plan.warmupMaxMs,
      profile: false,
    });
    // A plan the host accepts as it is.
    expect(BenchPlanSchema.parse(plan).concurrency).toEqual([1, 2, 4, 8]);
    expect(sweepSize(plan).configs).toBe(1 * 1 * 2 * 2 * 4);
    expect(sweepSize(plan).estimateMs).toBeGreaterThan(16 * SWEEP_MAX_TIME_MS);
  });

  it('a sweep of a run with WebGPU plans and counts WebGPU at one request at a time only', () => {
    const run = measuredRun('run-webgpu', 'mnist-cnn', [
      { ep: 'cpu', seed: 1, medianMs: 0.2 },
      { ep: 'webgpu', seed: 2, medianMs: 0.9 },
    ]);
    const plan = sweepPlan(run);
    expect(plan.eps).toEqual(['cpu', 'webgpu']);
    // CPU at 1, 2, 4 and 8 in flight, WebGPU at 1: 5 configurations, not the 8 of which 3 would always be skipped.
    expect(sweepSize(plan).configs).toBe(SWEEP_CONCURRENCY.length + 1);
    // The host plans the same (test/unit/core/bench/plan.test.ts): what the card counts is what runs.
    expect(BenchPlanSchema.parse(plan).concurrency).toEqual([...SWEEP_CONCURRENCY]);
  });

  it('leaves out providers that failed in the run, and keeps its variants', () => {
    const run = measuredRun('run-mixed', 'tiny', [
      { ep: 'cpu', seed: 1, medianMs: 4 },
      { ep: 'cuda', seed: 2, medianMs: 1, status: 'failed' },
      { ep: 'cpu', variant: 'int8-dyn', seed: 3, medianMs: 3 },
    ]);
    const plan = sweepPlan(run);
    expect(plan.eps).toEqual(['cpu']);
    expect(plan.variants).toEqual(['int8-dyn']);
    expect(plan.includeOriginal).toBe(true);
  });

  it('offers to measure again the runs too uncertain to carry the verdict, and only those', () => {
    const requirement = RequirementSchema.parse({ latency: { percentile: 'p95', ms: 50 }, throughputRps: 100 });
    const quiet = measuredRun('quiet', 'mnist-cnn', [
      { ep: 'cpu', concurrency: 1, seed: 1, medianMs: 0.2 },
      { ep: 'cpu', concurrency: 2, seed: 2, medianMs: 0.25 },
    ]);
    const unsettled = measuredRun('unsettled', 'mnist-cnn', [
      { ep: 'cpu', concurrency: 1, seed: 3, medianMs: 0.2, stable: false },
      { ep: 'cpu', concurrency: 2, seed: 4, medianMs: 0.25 },
    ]);
    const scattered = measuredRun('scattered', 'mnist-cnn', [
      { ep: 'cpu', concurrency: 1, seed: 5, medianMs: 0.2, spread: 0.8, n: 60 },
      { ep: 'cpu', concurrency: 2, seed: 6, medianMs: 0.25, spread: 0.8, n: 60 },
    ]);

    expect(adviseDeployment([quiet], requirement).models[0]?.status).toBe('cpu-suffices');
    expect(noisyRuns(adviseDeployment([quiet], requirement))).toEqual([]);
    for (const run of [unsettled, scattered]) {
      const verdict = adviseDeployment([run], requirement);
      expect(verdict.models[0]?.status).toBe('insufficient-data');
      expect(verdict.models[0]?.missing.join(' ')).toContain('Measure again on a quiet machine');
      expect(noisyRuns(verdict)).toEqual([run.id]);
    }
    // Beside a quiet run that decides, a noisy one of another setup is still named: it might have been cheaper.
    const unsettledOther = measuredRun('unsettled', 'mnist-cnn', [
      { ep: 'cpu', threads: 4, concurrency: 1, seed: 3, medianMs: 0.2, stable: false },
      { ep: 'cpu', threads: 4, concurrency: 2, seed: 4, medianMs: 0.25 },
    ]);
    expect(noisyRuns(adviseDeployment([quiet, unsettledOther], requirement))).toEqual(['unsettled']);
    // Of the same setup, the newer measurement replaces the older one: a run measured again leaves the noisy one behind.
    const again = { ...quiet, id: 'again', createdAt: '2026-11-21T09:00:00.000Z' };
    expect(noisyRuns(adviseDeployment([unsettled, again], requirement))).toEqual([]);
  });

  it('measures a run again at its own levels, twice as long, within floors and a cap', () => {
    const plan = remeasurePlan(cpuRun);
    expect(plan).toMatchObject({
      model: cpuRun.plan.model,
      eps: ['cpu'],
      batches: [1, 4],
      threads: [2, 8],
      concurrency: [1, 2, 4],
      profile: false,
    });
    expect(plan.minTimeMs).toBe(2 * cpuRun.plan.minTimeMs);
    expect(plan.maxTimeMs).toBe(2 * cpuRun.plan.maxTimeMs);
    expect(plan.warmupMaxMs).toBe(2 * cpuRun.plan.warmupMaxMs);
    expect(BenchPlanSchema.parse(plan).minIterations).toBe(cpuRun.plan.minIterations);

    const brief = { ...cpuRun, plan: { ...cpuRun.plan, minTimeMs: 100, maxTimeMs: 300 } };
    expect(remeasurePlan(brief)).toMatchObject({ minTimeMs: 1000, maxTimeMs: REMEASURE_MAX_TIME_MS });
    const long = { ...cpuRun, plan: { ...cpuRun.plan, minTimeMs: 50_000, maxTimeMs: 120_000, warmupMaxMs: 40_000 } };
    expect(remeasurePlan(long)).toMatchObject({
      minTimeMs: REMEASURE_TIME_CAP_MS,
      maxTimeMs: REMEASURE_TIME_CAP_MS,
      warmupMaxMs: REMEASURE_TIME_CAP_MS,
    });
  });

  it('shows a sweep as starting until the new run’s document comes, then as the run is', () => {
    const request = { kind: 'capacity' as const, baseRunId: 'base', model: 'resnet-mini', configs: 16, estimateMs: 48_000 };
    expect(sweepOf(null, { preparing: false, runId: null, run: null, fraction: 0 })).toBeNull();
    expect(sweepOf(request, { preparing: true, runId: null, run: null, fraction: 0 })).toEqual({
      ...request,
      runId: null,
      status: 'starting',
      fraction: 0,
    });
    // Its first event names the run before 'bench.start' answers.
    expect(sweepOf(request, { preparing: false, runId: 'sweep', run: null, fraction: 0 })?.status).toBe('starting');
    expect(sweepOf(request, { preparing: false, runId: 'sweep', run: { status: 'running' }, fraction: 0.4 })).toEqual({
      ...request,
      runId: 'sweep',
      status: 'running',
      fraction: 0.4,
    });
    expect(sweepOf(request, { preparing: false, runId: 'sweep', run: { status: 'cancelled' }, fraction: 0.4 })?.status).toBe('cancelled');
  });

  it('names a setup without the run it came from when the table shows that apart', () => {
    expect(setupName({ label: 'run of 2026-11-28 22:37: CPU, batch 1', runLabel: 'run of 2026-11-28 22:37' })).toBe('CPU, batch 1');
    expect(setupName({ label: 'CPU, batch 1', runLabel: 'resnet-mini' })).toBe('CPU, batch 1');
  });
});
