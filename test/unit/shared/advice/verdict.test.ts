import { describe, expect, test } from 'vitest';
import { adviseDeployment, costPerMillion, percentileConfidenceInterval } from '../../../../src/shared/advice';
import {
  VerdictSchema,
  type ModelVerdict,
  type RequirementInput,
  type Verdict,
  type VerdictRow,
} from '../../../../src/shared/domain/advice';
import type { RunDocument } from '../../../../src/shared/domain/run';
import { createRng, quantileSorted, sortSamples } from '../../../../src/shared/stats';
import { syntheticRun } from '../../../fixtures/runs/build';
import { evenSamples, fixtureRun } from './helpers';

function adviseAll(runs: RunDocument[], requirement: RequirementInput): Verdict {
  const verdict = adviseDeployment(runs, requirement);
  // Whatever it says, it says it in the schema the UI, the CLI's --json and the report read.
  expect(VerdictSchema.parse(verdict)).toEqual(verdict);
  return verdict;
}

/** The verdict of runs that measure one model: the shared parts and that model's answer together. */
function advise(runs: RunDocument[], requirement: RequirementInput): Verdict & ModelVerdict {
  const verdict = adviseAll(runs, requirement);
  expect(verdict.models).toHaveLength(1);
  return { ...verdict, ...(verdict.models[0] as ModelVerdict) };
}

function row(verdict: Verdict, id: string | null): VerdictRow {
  const found = verdict.rows.find((r) => r.id === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

const p95At50ms = { percentile: 'p95', ms: 50 } as const;

/** A configuration measured `factor` times slower: every sample and time statistic scaled, throughput divided. */
function scaledConfig(config: RunDocument['configs'][number], factor: number): RunDocument['configs'][number] {
  const l = config.latencyMs;
  const times = ['min', 'max', 'mean', 'median', 'q1', 'q3', 'p90', 'p95', 'p99', 'stdev'] as const;
  return {
    ...config,
    samples: config.samples.map((x) => x * factor),
    latencyMs: l && {
      ...l,
      ...Object.fromEntries(times.map((k) => [k, l[k] * factor])),
      ciLow: l.ciLow === null ? null : l.ciLow * factor,
      ciHigh: l.ciHigh === null ? null : l.ciHigh * factor,
    },
    throughput: config.throughput && {
      itemsPerSec: config.throughput.itemsPerSec / factor,
      runsPerSec: config.throughput.runsPerSec / factor,
    },
  };
}

describe('verdict on crafted runs', () => {
  test('CPU meets the target: "A GPU is not necessary", with the break-even a GPU would need', () => {
    const verdict = advise([fixtureRun('cpu-only')], { latency: p95At50ms, throughputRps: 200 });
    expect(verdict.status).toBe('cpu-suffices');
    const cheapest = row(verdict, verdict.cheapest);
    expect(cheapest.deviceClass).toBe('cpu');
    expect(cheapest.label).toBe('CPU with 8 threads, batch 1');
    expect(cheapest.instances).toBe(1);
    expect(cheapest.costPerMillion).toBeCloseTo(costPerMillion(0.1, 1, 200), 12);
    expect(verdict.summary).toMatch(/^A GPU is not necessary: CPU with 8 threads, batch 1 meets p95 ≤ 50 ms up to [\d,]+ req\/s/);
    expect(verdict.summary).toContain('1 instance serves 200 req/s at $0.139 per million inferences');
    // No GPU here: the SwiftShader WebGPU adapter is a CPU fallback, priced and labelled as such.
    const webgpu = verdict.rows.find((r) => r.ep === 'webgpu')!;
    expect(webgpu.deviceClass).toBe('cpu');
    expect(webgpu.softwareAdapter).toBe(true);
    expect(webgpu.label).toContain('not a GPU');
    expect(verdict.runs[0]?.hardwareGpu).toBe(false);
    expect(verdict.runs[0]?.gpuNote).toMatch(/no GPU was detected.*SwiftShader/);
    // Break-even: fully loaded a $1.20/h GPU must serve 12× this CPU setup's capacity.
    expect(verdict.breakEven?.speedup).toBeCloseTo(12, 12);
    expect(verdict.breakEven?.requiredGpuThroughputRps).toBeCloseTo(12 * cheapest.capacity.maxThroughputRps!, 9);
    expect(verdict.breakEven?.atTarget?.maxGpuInstances).toBe(0);
    expect(verdict.assumptions.some((a) => a.includes('$0.10 per hour (assumed default'))).toBe(true);
    // Batch 4 is shown but cannot be chosen without a batching delay.
    const batched = verdict.rows.find((r) => r.batch === 4)!;
    expect(batched.eligible).toBe(false);
    expect(batched.meetsRequirement).toBe(false);
  });

  test('only a GPU meets the target: "A GPU is needed", with its energy per inference', () => {
    const verdict = advise([fixtureRun('gpu-server')], { latency: { percentile: 'p95', ms: 20 }, throughputRps: 200 });
    expect(verdict.status).toBe('gpu-needed');
    const gpu = row(verdict, verdict.cheapest);
    expect(gpu.ep).toBe('cuda');
    expect(gpu.gpuName).toBe('NVIDIA L4');
    expect(gpu.batch).toBe(1);
    expect(verdict.rows.filter((r) => r.deviceClass === 'cpu').every((r) => !r.meetsRequirement)).toBe(true);
    expect(verdict.summary).toMatch(
      new RegExp(
        String.raw`^A GPU is needed: no CPU setup meets p95 ≤ 20 ms at 200 req/s \(the fastest, CPU with 8 threads, batch 1, ` +
          String.raw`reaches [\d.]+ ms at concurrency 1\); CUDA on NVIDIA L4, batch 1 meets`,
      ),
    );
    expect(gpu.costPerMillion).toBeCloseTo(costPerMillion(1.2, 1, 200), 12);
    // Power was measured: 72 W at concurrency 8 over its throughput.
    const c8 = gpu.points.find((p) => p.concurrency === 8)!;
    expect(gpu.capacity.concurrency).toEqual([8, 8]);
    expect(gpu.energyPerInferenceJ).toBeCloseTo(72 / c8.throughputRps, 12);
    expect(gpu.electricityPerMillion).toBeCloseTo((((72 / c8.throughputRps) * 1e6) / 3.6e6) * 0.15, 12);
    // A GPU was measured: the break-even is set against its own latency, not a guess.
    const cpuBest = Math.min(
      ...verdict.rows.filter((r) => r.deviceClass === 'cpu' && r.eligible).flatMap((r) => r.points.map((p) => p.percentileMs)),
    );
    const gpuBest = Math.min(...gpu.points.map((p) => p.percentileMs));
    expect(verdict.breakEven?.latency?.speedup).toBeCloseTo(cpuBest / 20, 12);
    expect(verdict.breakEven?.gpu).toMatchObject({ rowId: gpu.id, clears: true, perHour: 1.2 });
    expect(verdict.breakEven?.gpu?.percentileMs).toBeCloseTo(gpuBest, 12);
    expect(verdict.breakEven?.explanation).toMatch(
      new RegExp(
        String.raw`^To meet p95 ≤ 20 ms a GPU would have to bring the p95 from [\d.]+ ms \(CPU with 8 threads, batch 1\) down to ` +
          String.raw`20 ms: at least [\d.]+× faster per request\. CUDA on NVIDIA L4, batch 1 was measured at [\d.]+ ms: [\d.]+× faster\.$`,
      ),
    );
    expect(verdict.breakEven?.explanation).not.toContain('No hardware GPU');
  });

  test('the GPU is worth it when the CPU fleet for the load costs more', () => {
    const verdict = advise([fixtureRun('gpu-server')], { latency: { percentile: 'p95', ms: 100 }, throughputRps: 1000 });
    expect(verdict.status).toBe('gpu-worth-it');
    const gpu = row(verdict, verdict.cheapest);
    const cpu = verdict.rows
      .filter((r) => r.deviceClass === 'cpu' && r.meetsRequirement)
      .sort((a, b) => a.costPerMillion! - b.costPerMillion!)[0]!;
    expect(cpu.instances! * 0.1).toBeGreaterThan(1.2);
    expect(gpu.costPerMillion!).toBeLessThan(cpu.costPerMillion!);
    expect(verdict.summary).toContain(`The cheapest CPU setup, ${cpu.label}, also meets the requirement`);
    // At 40 req/s one CPU machine does it and the GPU is named as the dearer alternative.
    const light = advise([fixtureRun('gpu-server')], { latency: { percentile: 'p95', ms: 100 }, throughputRps: 40 });
    expect(light.status).toBe('cpu-suffices');
    expect(light.summary).toMatch(/The cheapest GPU setup, CUDA on NVIDIA L4, batch 1, would cost \$8\.33 per million\./);
  });

  test('nothing meets the target: says so, names the fastest, and the latency speed-up a GPU would need', () => {
    const verdict = advise([fixtureRun('cpu-only')], { latency: { percentile: 'p95', ms: 3 }, throughputRps: 100 });
    expect(verdict.status).toBe('nothing-meets');
    expect(verdict.cheapest).toBeNull();
    const points = verdict.rows.filter((r) => r.eligible).flatMap((r) => r.points);
    const fastest = Math.min(...points.map((p) => p.percentileMs + p.batchWaitMs));
    expect(verdict.breakEven?.latency?.cpuPercentileMs).toBeCloseTo(fastest, 12);
    expect(verdict.breakEven?.latency?.speedup).toBeCloseTo(fastest / 3, 12);
    expect(verdict.summary).toMatch(
      /^Nothing measured meets p95 ≤ 3 ms at 100 req\/s\. The fastest setup, CPU with 8 threads, batch 1, reaches/,
    );
    expect(verdict.summary).toContain('at least');
  });

  test('unstable runs give "insufficient-data" and say what to measure, not a guess', () => {
    const verdict = advise([fixtureRun('unstable')], { latency: p95At50ms, throughputRps: 100 });
    expect(verdict.status).toBe('insufficient-data');
    expect(verdict.cheapest).toBeNull();
    expect(verdict.rows.every((r) => !r.reliable)).toBe(true);
    expect(verdict.summary).toMatch(/^Not enough data for a verdict/);
    expect(verdict.missing.join(' ')).toMatch(/never became stable/);
    expect(verdict.missing.join(' ')).toMatch(/a longer “Maximum time”/);
  });

  test('unstable runs that miss an impossible target even at the good end of their CI say nothing meets it', () => {
    const verdict = advise([fixtureRun('unstable')], { latency: { percentile: 'p95', ms: 0.000001 }, throughputRps: 100 });
    expect(verdict.rows.every((r) => !r.reliable && r.targetStatus === 'fails')).toBe(true);
    expect(verdict.status).toBe('nothing-meets');
  });

  test('CPU setups get energy per inference from the package power where RAPL was read', () => {
    const run = fixtureRun('cpu-only');
    const withPower: RunDocument = {
      ...run,
      configs: run.configs.map((c) => (c.cpu ? { ...c, cpu: { ...c.cpu, packagePowerWatts: 60 } } : c)),
    };
    const verdict = advise([withPower], { latency: p95At50ms, throughputRps: 100 });
    const row = verdict.rows.find((r) => r.id === verdict.cheapest);
    const top = row!.points.reduce((a, b) => (b.throughputRps > a.throughputRps ? b : a));
    expect(row!.energyPerInferenceJ).not.toBeNull();
    expect(row!.energyPerInferenceJ!).toBeGreaterThan(0);
    expect(row!.energyPerInferenceJ!).toBeLessThanOrEqual(60 / Math.min(...row!.points.map((p) => p.throughputRps)) + 1e-12);
    expect(row!.energyPerInferenceJ!).toBeGreaterThanOrEqual(60 / top.throughputRps - 1e-12);
    expect(
      advise([run], { latency: p95At50ms, throughputRps: 100 }).rows.every(
        (r) => r.energyPerInferenceJ === null || r.deviceClass === 'gpu',
      ),
    ).toBe(true);
  });

  test('a CPU setup on a machine with an NVIDIA GPU uses the CPU package power, not the idle GPU read meanwhile', () => {
    const run = fixtureRun('gpu-server');
    const gpuReading = { memoryUsedBytes: 2 ** 30, utilizationPercent: 0, powerDrawWatts: 400 };
    const withBoth: RunDocument = {
      ...run,
      configs: run.configs.map((c) => (c.ep === 'cpu' && c.cpu ? { ...c, gpu: gpuReading, cpu: { ...c.cpu, packagePowerWatts: 60 } } : c)),
    };
    const verdict = advise([withBoth], { latency: p95At50ms, throughputRps: 100 });
    const cpuPoints = verdict.rows.filter((r) => r.ep === 'cpu').flatMap((r) => r.points);
    expect(cpuPoints.length).toBeGreaterThan(0);
    for (const point of cpuPoints) expect(point.powerWatts).toBe(60);
  });

  test('runs of different models get one verdict each, the model named in each, never one headline for both', () => {
    const a = fixtureRun('cpu-only');
    // The same measurements, 1000× slower: this model fails a target the first one meets.
    const slow: RunDocument = {
      ...a,
      id: 'vgg-run',
      model: { ...a.model, name: 'vgg-small', sha256: 'f'.repeat(64) },
      configs: a.configs.map((c) => scaledConfig(c, 1000)),
    };
    const verdict = adviseAll([slow, a], { latency: p95At50ms, throughputRps: 100 });
    expect(verdict.models.map((m) => m.model)).toEqual(['vgg-small', 'resnet-mini']);
    const [vgg, resnet] = verdict.models as [ModelVerdict, ModelVerdict];
    expect(vgg.status).toBe('nothing-meets');
    expect(resnet.status).toBe('cpu-suffices');
    expect(vgg.runIds).toEqual(['vgg-run']);
    // Each answer weighs only its own model's setups and names the run it rests on.
    expect(verdict.rows.find((r) => r.id === resnet.cheapest)?.model).toBe('resnet-mini');
    expect(vgg.summary).not.toContain('resnet-mini');
    expect(resnet.basis).toMatchObject({ runId: a.id, model: 'resnet-mini', createdAt: a.createdAt });
    expect(resnet.basis?.text).toMatch(/^resnet-mini, CPU with 8 threads, batch 1, measured \d{4}-\d\d-\d\d \d\d:\d\d UTC \(run /);
    expect(vgg.basis?.model).toBe('vgg-small');
    // No caveat pretends the two models are alternatives for one deployment.
    expect([...vgg.caveats, ...resnet.caveats].join(' ')).not.toMatch(/different models/);
  });

  test('a newer run of the same setup wins over the older one, which is named as left out', () => {
    const older = fixtureRun('cpu-only');
    // A later capacity sweep of the same setups that says they sustain a third of what the first run did.
    const newer: RunDocument = {
      ...older,
      id: 'later-sweep',
      createdAt: new Date(Date.parse(older.createdAt) + 3_600_000).toISOString(),
      configs: older.configs.map((c) => scaledConfig(c, 3)),
    };
    const requirement = { latency: p95At50ms, throughputRps: 200 };
    const first = advise([older], requirement);
    // The order the runs are ticked in does not matter: the newest measurement of a setup wins.
    for (const runs of [
      [older, newer],
      [newer, older],
    ]) {
      const both = advise(runs, requirement);
      expect(both.rows.every((r) => r.runId === 'later-sweep')).toBe(true);
      const cheapest = row(both, both.cheapest);
      expect(cheapest.capacity.maxThroughputRps).toBeCloseTo(row(first, first.cheapest).capacity.maxThroughputRps! / 3, 6);
      expect(both.basis?.runId).toBe('later-sweep');
      expect(both.superseded.length).toBe(first.rows.length);
      expect(both.superseded.every((s) => s.runId === older.id && s.byRunId === 'later-sweep')).toBe(true);
      expect(both.superseded[0]?.text).toMatch(/was measured again in resnet-mini · .* UTC: the newer numbers are used/);
    }
    // A different setup in the newer run leaves the older one's other setups in play.
    const onlyOne: RunDocument = { ...newer, configs: newer.configs.filter((c) => c.threads === 8 && c.batch === 1) };
    const mixed = advise([older, onlyOne], requirement);
    expect(new Set(mixed.rows.map((r) => r.runId))).toEqual(new Set([older.id, 'later-sweep']));
    expect(mixed.rows.filter((r) => r.threads === 8 && r.batch === 1).map((r) => r.runId)).toEqual(['later-sweep']);
  });

  test('a throughput question answered from concurrency 1 alone is insufficient when it needs several instances', () => {
    const full = fixtureRun('cpu-only');
    const onlyC1: RunDocument = { ...full, configs: full.configs.filter((c) => c.concurrency === 1) };
    const heavy = advise([onlyC1], { latency: p95At50ms, throughputRps: 500 });
    expect(heavy.status).toBe('insufficient-data');
    expect(heavy.summary).toMatch(/only one concurrency level was measured/);
    expect(heavy.missing.join(' ')).toMatch(/“Parallel requests” \(e\.g\. 1,2,4,8\)/);
    expect(verdictRowsSingleLevel(heavy)).toBe(true);
    // A load one request at a time already serves needs no sweep to be answered.
    const light = advise([onlyC1], { latency: p95At50ms, throughputRps: 100 });
    expect(light.status).toBe('cpu-suffices');
    expect(row(light, light.cheapest).capacity.notes[0]).toMatch(/Only concurrency 1 was measured/);
  });

  test('batching counts only with an allowed delay, and only at loads that fill a batch in time', () => {
    const run = fixtureRun('cpu-only');
    // 350 req/s: batch 4 fills in 3/350 s ≈ 8.6 ms ≤ 10 ms, one machine; batch 1 needs two.
    const busy = advise([run], { latency: p95At50ms, throughputRps: 350, maxBatchDelayMs: 10 });
    const chosen = row(busy, busy.cheapest);
    expect(chosen.batch).toBe(4);
    expect(chosen.instances).toBe(1);
    expect(busy.status).toBe('cpu-suffices');
    // 200 req/s: a batch of 4 would wait 15 ms to fill — over the 10 ms allowed.
    const calm = advise([run], { latency: p95At50ms, throughputRps: 200, maxBatchDelayMs: 10 });
    const batch4 = calm.rows.find((r) => r.batch === 4)!;
    expect(batch4.eligible).toBe(true);
    expect(batch4.meetsRequirement).toBe(false);
    expect(batch4.issues.join(' ')).toMatch(/a batch of 4 takes 15 ms to fill/);
    expect(row(calm, calm.cheapest).batch).toBe(1);
  });

  test("a target inside the percentile's CI is borderline, and the verdict says so", () => {
    const rng = createRng(99);
    const samples = Array.from({ length: 300 }, () => Number((10 * Math.exp(0.1 * rng.normal())).toFixed(4)));
    const sorted = sortSamples(samples);
    const p95 = quantileSorted(sorted, 0.95);
    const ci = percentileConfidenceInterval(sorted, 0.95);
    expect(ci.high!).toBeGreaterThan(p95 * 1.002);
    const run = syntheticRun({
      id: 'borderline',
      machine: 'cpu-server',
      model: 'mlp',
      configs: [{ ep: 'cpu', threads: 4, seed: 1, samples, itemsPerSec: 100 }],
    });
    const verdict = advise([run], { latency: { percentile: 'p95', ms: p95 * 1.001 }, throughputRps: 50 });
    expect(verdict.status).toBe('cpu-suffices');
    expect(row(verdict, verdict.cheapest).targetStatus).toBe('borderline');
    expect(verdict.caveats[0]).toMatch(/^Borderline: CPU with 4 threads, batch 1 meets p95 ≤ [\d.]+ ms at 50 req\/s on the estimate/);
    // Well above the CI's upper end the same run clearly meets it.
    const clear = advise([run], { latency: { percentile: 'p95', ms: ci.high! * 1.01 }, throughputRps: 50 });
    expect(row(clear, clear.cheapest).targetStatus).toBe('meets');
  });

  test('a variant chosen as cheapest carries its accuracy as a caveat, next to the cheapest original', () => {
    const verdict = advise([fixtureRun('variants')], { latency: { percentile: 'p95', ms: 10 }, throughputRps: 500 });
    const chosen = row(verdict, verdict.cheapest);
    expect(chosen.variantLabel).toBe('int8 dynamic (per-channel)');
    expect(chosen.label).toBe('int8 dynamic (per-channel) on CPU with 8 threads, batch 1');
    const caveat = verdict.caveats.find((c) => c.startsWith('This runs the int8 dynamic (per-channel) variant'));
    expect(caveat).toMatch(/top-1 agreement 98\.4 %, SQNR 31\.4 dB/);
    expect(caveat).toMatch(
      /With the model as given, the cheapest setup is fp32 \(as given\) on CPU with 8 threads, batch 1 at \$0\.111 per million\./,
    );
  });

  test('runs from different machines are labelled by machine and priced as stated', () => {
    const verdict = adviseAll([fixtureRun('cpu-only'), fixtureRun('gpu-server')], {
      latency: p95At50ms,
      throughputRps: 200,
      prices: { gpuByName: { L4: 0.8 } },
    });
    expect(verdict.runs.map((r) => r.label)).toEqual([
      expect.stringMatching(/^resnet-mini · \d{4}-\d\d-\d\d \d\d:\d\d UTC on Intel Xeon Gold 6338 \(16 threads\)$/),
      expect.stringMatching(/^transformer-encoder · .* UTC on Intel Xeon Gold 6338 \(16 threads\) \+ NVIDIA L4$/),
    ]);
    // Two models: one verdict each, every row with its run (model, time and machine).
    expect(verdict.models.map((m) => m.model)).toEqual(['resnet-mini', 'transformer-encoder']);
    expect(verdict.rows.every((r) => verdict.runs.some((run) => run.id === r.runId && run.label === r.runLabel))).toBe(true);
    expect(verdict.rows.find((r) => r.ep === 'cuda')?.pricePerHour).toBe(0.8);
    expect(verdict.assumptions.some((a) => a.includes('different machines'))).toBe(true);
  });

  test('a throughput alone (no latency bound) lets batches fill as they need; a latency alone prices one instance fully loaded', () => {
    const offline = advise([fixtureRun('gpu-server')], { throughputRps: 5000 });
    expect(offline.status).toBe('gpu-worth-it');
    const gpu = row(offline, offline.cheapest);
    expect(gpu.batch).toBe(8);
    expect(gpu.instances).toBe(Math.ceil(5000 / gpu.capacity.maxThroughputRps!));
    expect(offline.summary).toMatch(/^A GPU is worth it: CUDA on NVIDIA L4, batch 8 serves up to /);
    expect(offline.assumptions).toContain('There is no latency bound: batches may wait as long as they need to fill.');

    const latencyOnly = advise([fixtureRun('cpu-only')], { latency: p95At50ms });
    const cpu = row(latencyOnly, latencyOnly.cheapest);
    expect(latencyOnly.status).toBe('cpu-suffices');
    expect(cpu.instances).toBe(1);
    expect(cpu.costPerMillion).toBeCloseTo(cpu.costPerMillionAtCapacity!, 12);
    expect(latencyOnly.summary).toMatch(/fully loaded, one instance costs \$[\d.]+ per million inferences\./);
    expect(latencyOnly.breakEven?.atTarget).toBeNull();
    expect(latencyOnly.assumptions.some((a) => a.startsWith('No throughput was given'))).toBe(true);
  });

  test('no finished configuration: insufficient data', () => {
    const run = syntheticRun({ id: 'failed', machine: 'cpu-server', model: 'mlp', configs: [{ ep: 'cpu', seed: 1, status: 'failed' }] });
    const verdict = advise([run], { latency: p95At50ms });
    expect(verdict.status).toBe('insufficient-data');
    expect(verdict.rows).toEqual([]);
  });
});

describe('break-even with hand-computed numbers', () => {
  // CPU, 4 threads: c1 at 100 req/s, c2 at 150 req/s, c4 at 160 req/s; samples evenly spaced
  // 0.01 ms apart (100 per level) so the p95 is base + 94.05 × 0.01 = base + 0.9405 ms.
  const run = syntheticRun({
    id: 'hand',
    machine: 'cpu-server',
    model: 'mlp',
    configs: [
      { ep: 'cpu', threads: 4, concurrency: 1, seed: 1, samples: evenSamples(19, 0.01), itemsPerSec: 100 },
      { ep: 'cpu', threads: 4, concurrency: 2, seed: 2, samples: evenSamples(29, 0.01), itemsPerSec: 150 },
      { ep: 'cpu', threads: 4, concurrency: 4, seed: 3, samples: evenSamples(49, 0.01), itemsPerSec: 160 },
    ],
  });
  // p95 ≤ 25 ms lies between c1 (19.9405 ms) and c2 (29.9405 ms): 100 + (25 − 19.9405) / 10 × 50.
  const capacity = 100 + ((25 - 19.9405) / 10) * 50;

  test('capacity is interpolated between the two levels around the target', () => {
    const verdict = advise([run], { latency: { percentile: 'p95', ms: 25 }, throughputRps: 300 });
    const cpu = row(verdict, verdict.cheapest);
    expect(cpu.points.map((p) => p.percentileMs)).toEqual([
      expect.closeTo(19.9405, 9),
      expect.closeTo(29.9405, 9),
      expect.closeTo(49.9405, 9),
    ]);
    expect(cpu.capacity.basis).toBe('interpolated');
    expect(cpu.capacity.concurrency).toEqual([1, 2]);
    expect(cpu.capacity.maxThroughputRps).toBeCloseTo(capacity, 9); // 125.2975
    expect(cpu.instances).toBe(3);
    expect(cpu.costPerMillion).toBeCloseTo(((3 * 0.1) / (300 * 3600)) * 1e6, 12); // $0.2778
    expect(cpu.costPerMillionAtCapacity).toBeCloseTo((0.1 / (capacity * 3600)) * 1e6, 12);
  });

  test('fully loaded and at the target load', () => {
    const light = advise([run], { latency: { percentile: 'p95', ms: 25 }, throughputRps: 300 });
    expect(light.breakEven?.speedup).toBeCloseTo(12, 12);
    expect(light.breakEven?.requiredGpuThroughputRps).toBeCloseTo(12 * capacity, 9); // 1503.57
    expect(light.breakEven?.atTarget).toMatchObject({ cpuInstances: 3, maxGpuInstances: 0, requiredGpuThroughputRps: null });
    expect(light.summary).toContain('At 300 req/s no GPU can cost less: 3 CPU instances cost $0.30/h');

    // 3000 req/s: 24 CPU machines ($2.40/h); one $1.20/h GPU is cheaper only if it serves all 3000.
    const heavy = advise([run], { latency: { percentile: 'p95', ms: 25 }, throughputRps: 3000 });
    expect(heavy.breakEven?.atTarget).toMatchObject({ cpuInstances: 24, maxGpuInstances: 1 });
    expect(heavy.breakEven?.atTarget?.requiredGpuThroughputRps).toBeCloseTo(3000, 9);
    expect(heavy.breakEven?.atTarget?.speedup).toBeCloseTo(3000 / capacity, 9); // 23.9×

    // With a $1.00/h GPU, two GPUs ($2.00/h) undercut the fleet: 1500 req/s each.
    const cheapGpu = advise([run], { latency: { percentile: 'p95', ms: 25 }, throughputRps: 3000, prices: { gpuPerHour: 1 } });
    expect(cheapGpu.breakEven?.speedup).toBeCloseTo(10, 12);
    expect(cheapGpu.breakEven?.atTarget?.maxGpuInstances).toBe(2);
    expect(cheapGpu.breakEven?.atTarget?.requiredGpuThroughputRps).toBeCloseTo(1500, 9);
  });

  test('when no CPU level meets the latency, the break-even is a latency speed-up', () => {
    const verdict = advise([run], { latency: { percentile: 'p95', ms: 10 }, throughputRps: 50 });
    expect(verdict.status).toBe('nothing-meets');
    expect(verdict.breakEven?.latency).toEqual({
      cpuPercentileMs: expect.closeTo(19.9405, 9),
      targetMs: 10,
      speedup: expect.closeTo(1.99405, 9),
    });
    expect(verdict.breakEven?.explanation).toMatch(/from 19\.9 ms .* down to 10 ms: at least 1\.99× faster per request/);
  });
});

function verdictRowsSingleLevel(verdict: Verdict): boolean {
  return verdict.rows.every((r) => r.capacity.singleLevel);
}
