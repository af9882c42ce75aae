/**
 * One model measured on this machine and on another (`inferscope serve` on gpu-box): one verdict over both, each
 * machine priced as given, each provider on each machine said side by side, and the break-even set against the GPU
 * that was measured rather than a guessed one.
 */
import { describe, expect, test } from 'vitest';
import {
  adviseDeployment,
  compareRuns,
  costPerMillion,
  formatRps,
  instancePrice,
  machineNames,
  resolvePrices,
  runLabels,
} from '../../../../src/shared/advice';
import {
  RequirementSchema,
  VerdictSchema,
  type ModelVerdict,
  type RequirementInput,
  type Verdict,
  type VerdictRow,
} from '../../../../src/shared/domain/advice';
import type { RunDocument } from '../../../../src/shared/domain/run';
import { gpuBoxRun, laptopRun } from './machine-runs';

function advise(runs: RunDocument[], requirement: RequirementInput): Verdict & ModelVerdict {
  const verdict = adviseDeployment(runs, requirement);
  expect(VerdictSchema.parse(verdict)).toEqual(verdict);
  expect(verdict.models).toHaveLength(1);
  return { ...verdict, ...(verdict.models[0] as ModelVerdict) };
}

function rowOf(verdict: Verdict, match: (row: VerdictRow) => boolean): VerdictRow {
  const found = verdict.rows.find(match);
  if (!found) throw new Error('no such row');
  return found;
}

const strict = { latency: { percentile: 'p95', ms: 20 }, throughputRps: 200 } as const;

describe('one verdict over this machine and gpu-box', () => {
  test('each setup carries its machine, priced as given for that machine, and the runs are named by machine', () => {
    const verdict = advise([laptopRun(), gpuBoxRun()], { ...strict, prices: { byMachine: { local: 0.15, 'gpu-box': 0.9 } } });
    const laptopCpu = rowOf(verdict, (r) => r.runId === 'laptop');
    const boxCpu = rowOf(verdict, (r) => r.runId === 'gpu-box-run' && r.ep === 'cpu');
    const cuda = rowOf(verdict, (r) => r.ep === 'cuda');
    expect([laptopCpu.machineName, laptopCpu.machineId, laptopCpu.pricePerHour]).toEqual(['this machine', 'local', 0.15]);
    // A machine's price covers every setup measured there, the CPU one included.
    expect([boxCpu.machineName, boxCpu.machineId, boxCpu.pricePerHour]).toEqual(['gpu-box', 'gpu-box', 0.9]);
    expect(cuda).toMatchObject({ machineName: 'gpu-box', pricePerHour: 0.9, priceLabel: 'price of gpu-box', gpuName: 'NVIDIA L4' });
    expect(verdict.runs.map((r) => [r.machineName, r.label])).toEqual([
      ['this machine', expect.stringMatching(/^encoder · 2026-11-20 09:00 UTC on this machine$/)],
      ['gpu-box', expect.stringMatching(/^encoder · 2026-11-20 09:05 UTC on gpu-box$/)],
    ]);
    expect(verdict.assumptions).toContain('Every setup measured on this machine is priced as a machine like it: $0.15 per hour (given).');
    expect(verdict.assumptions).toContain('Every setup measured on gpu-box is priced as a machine like it: $0.90 per hour (given).');
    expect(verdict.assumptions).toContain('The runs come from different machines, each priced as given for it.');
  });

  test('the verdict says how each provider did on each machine: the CPU here fails, CUDA on gpu-box meets it', () => {
    const verdict = advise([laptopRun(), gpuBoxRun()], { ...strict, prices: { byMachine: { local: 0.15, 'gpu-box': 0.9 } } });
    expect(verdict.status).toBe('gpu-needed');
    const cuda = rowOf(verdict, (r) => r.id === verdict.cheapest);
    expect(cuda.ep).toBe('cuda');
    expect(cuda.instances).toBe(1);
    expect(cuda.costPerMillion).toBeCloseTo(costPerMillion(0.9, 1, 200), 12);

    expect(verdict.machines.map((m) => [m.label, m.status])).toEqual([
      ['CPU on this machine', 'fails'],
      ['CPU on gpu-box', 'fails'],
      ['CUDA (NVIDIA L4) on gpu-box', 'meets'],
    ]);
    const [here, , gpu] = verdict.machines;
    const laptopBest = Math.min(...rowOf(verdict, (r) => r.runId === 'laptop').points.map((p) => p.percentileMs));
    expect(here?.text).toBe(`CPU on this machine: fails p95 ≤ 20 ms at 200 req/s (p95 ${laptopBest.toPrecision(3)} ms at best)`);
    expect(gpu).toMatchObject({ machineId: 'gpu-box', rowId: cuda.id, pricePerHour: 0.9, capacityRps: cuda.capacity.maxThroughputRps });
    expect(gpu?.costPerMillion).toBeCloseTo(costPerMillion(0.9, 1, 200), 12);
    // $0.90/h ÷ (200 req/s × 3600 s) × 10⁶ = $1.25 per million inferences.
    expect(gpu?.text).toBe(
      `CUDA (NVIDIA L4) on gpu-box: meets it up to ${formatRps(cuda.capacity.maxThroughputRps!)} at $1.25 per million`,
    );
    expect(verdict.summary).toMatch(/^A GPU is needed: /);
    expect(verdict.summary).toContain(
      `Machine by machine: CPU on this machine: fails p95 ≤ 20 ms at 200 req/s (p95 ${laptopBest.toPrecision(3)} ms at best); ` +
        'CPU on gpu-box: fails it',
    );
    expect(verdict.summary).toContain(`; ${gpu?.text}.`);
  });

  test('the price of each machine decides between them: a dear gpu-box loses to a fleet of laptops', () => {
    const loose = { latency: { percentile: 'p95', ms: 60 }, throughputRps: 600 } as const;
    const cheapBox = advise([laptopRun(), gpuBoxRun()], { ...loose, prices: { byMachine: { local: 0.1, 'gpu-box': 0.9 } } });
    const laptop = rowOf(cheapBox, (r) => r.runId === 'laptop' && r.meetsRequirement);
    expect(laptop.instances! * 0.1).toBeGreaterThan(0.9);
    expect(cheapBox.status).toBe('gpu-worth-it');
    expect(rowOf(cheapBox, (r) => r.id === cheapBox.cheapest).machineName).toBe('gpu-box');

    // The same measurements with gpu-box at $20/h: the laptops' fleet is cheaper, and the CUDA alternative is named.
    const dearBox = advise([laptopRun(), gpuBoxRun()], { ...loose, prices: { byMachine: { local: 0.1, 'GPU-BOX': 20 } } });
    expect(dearBox.status).toBe('cpu-suffices');
    const chosen = rowOf(dearBox, (r) => r.id === dearBox.cheapest);
    expect(chosen.costPerMillion).toBeCloseTo(costPerMillion(0.1, chosen.instances!, 600), 12);
    const cuda = rowOf(dearBox, (r) => r.ep === 'cuda' && r.meetsRequirement);
    expect(cuda.pricePerHour).toBe(20);
    expect(dearBox.summary).toContain(`The cheapest GPU setup, ${cuda.label}, would cost `);
  });

  test('the break-even rests on the measured GPU and its machine’s price, not on a guessed GPU machine', () => {
    const easy = { latency: { percentile: 'p95', ms: 50 }, throughputRps: 20 } as const;
    const verdict = advise([laptopRun(), gpuBoxRun()], { ...easy, prices: { byMachine: { local: 0.1, 'gpu-box': 0.9 } } });
    expect(verdict.status).toBe('cpu-suffices');
    const cpu = rowOf(verdict, (r) => r.id === verdict.cheapest);
    const cuda = verdict.rows.filter((r) => r.ep === 'cuda').sort((a, b) => a.costPerMillionAtCapacity! - b.costPerMillionAtCapacity!)[0]!;
    const breakEven = verdict.breakEven!;
    expect(breakEven.cpuRowId).toBe(cpu.id);
    expect(breakEven.gpuPerHour).toBe(0.9);
    expect(breakEven.speedup).toBeCloseTo(0.9 / cpu.pricePerHour, 12);
    expect(breakEven.requiredGpuThroughputRps).toBeCloseTo(cpu.capacity.maxThroughputRps! * (0.9 / cpu.pricePerHour), 9);
    const gpuT = cuda.capacity.maxThroughputRps!;
    expect(breakEven.gpu).toMatchObject({ rowId: cuda.id, machineName: 'gpu-box', perHour: 0.9, throughputRps: gpuT });
    expect(breakEven.gpu?.clears).toBe(gpuT >= breakEven.requiredGpuThroughputRps!);
    expect(breakEven.explanation).toMatch(
      new RegExp(
        String.raw`^Fully loaded, CUDA on NVIDIA L4, batch 1 on gpu-box \(\$0\.90/h\) would have to serve [\d,.]+ req/s ` +
          String.raw`\([\d.]+× CPU with 8 threads, batch 1 on (this machine|gpu-box)\) to cost less per inference; ` +
          String.raw`it was measured at [\d,.]+ req/s`,
      ),
    );
    expect(breakEven.explanation).not.toContain('No hardware GPU');
  });

  test('where no CPU meets the latency, the speed-up needed is set against the measured GPU’s own latency', () => {
    const verdict = advise([laptopRun(), gpuBoxRun()], { latency: { percentile: 'p95', ms: 1 }, throughputRps: 10 });
    expect(verdict.status).toBe('nothing-meets');
    const latency = verdict.breakEven!.latency!;
    const gpuBest = Math.min(...verdict.rows.filter((r) => r.ep === 'cuda').flatMap((r) => r.points.map((p) => p.percentileMs)));
    expect(verdict.breakEven?.gpu?.percentileMs).toBeCloseTo(gpuBest, 12);
    expect(verdict.breakEven?.gpu?.clears).toBe(false);
    expect(verdict.breakEven?.explanation).toMatch(
      new RegExp(
        String.raw`^To meet p95 ≤ 1 ms a GPU would have to bring the p95 from [\d.]+ ms \(CPU with 8 threads, batch 1 on .+\) down to ` +
          String.raw`1 ms: at least ${latency.speedup.toFixed(1)}\d*× faster per request\. CUDA on NVIDIA L4, batch 1 on gpu-box was ` +
          String.raw`measured at [\d.]+ ms: [\d.]+× faster, not enough\.$`,
      ),
    );
    expect(verdict.summary).toContain(verdict.breakEven!.explanation);
  });
});

describe('machines without a price of their own', () => {
  test('fall back to the CPU and GPU machine prices, and the assumptions say how to weigh them apart', () => {
    const verdict = advise([laptopRun(), gpuBoxRun()], strict);
    expect(rowOf(verdict, (r) => r.ep === 'cuda').pricePerHour).toBe(1.2);
    expect(rowOf(verdict, (r) => r.runId === 'laptop').pricePerHour).toBe(0.1);
    expect(verdict.assumptions.some((a) => a.includes('give each machine its price per hour'))).toBe(true);
  });

  test('a run imported from elsewhere has no machine key; a saved requirement without machine prices still parses', () => {
    const imported: RunDocument = { ...laptopRun(), id: 'imported', importedFrom: '/tmp/laptop.json' };
    const verdict = advise([imported, gpuBoxRun()], { ...strict, prices: { byMachine: { local: 5 } } });
    const row = rowOf(verdict, (r) => r.runId === 'imported');
    expect(row.machineId).toBeNull();
    expect(row.machineName).toBe('Intel Xeon Gold 6338 (16 threads)');
    expect(row.pricePerHour).toBe(0.1);
    const saved = RequirementSchema.parse({ latency: { percentile: 'p95', ms: 20 }, prices: { cpuPerHour: 0.2, gpuByName: {} } });
    expect(resolvePrices(saved.prices).byMachine).toEqual({});
  });

  test('a machine price wins over a GPU class price; by name or id, in any case', () => {
    const prices = resolvePrices({ gpuByName: { L4: 0.8 }, byMachine: { 'GPU box': 0.7 } });
    expect(instancePrice(prices, 'gpu', 'NVIDIA L4', { id: 'gpu-box', name: 'GPU box' })).toEqual({
      perHour: 0.7,
      label: 'price of GPU box',
      assumed: false,
    });
    expect(instancePrice(prices, 'gpu', 'NVIDIA L4', { id: 'other', name: 'other' }).perHour).toBe(0.8);
  });
});

describe('naming machines', () => {
  test('two hosts on one computer are two machines: neither run supersedes the other', () => {
    // The same hardware, measured here and through `inferscope serve` on the same computer (the e2e set-up).
    const here = { ...gpuBoxRun(), id: 'here', machine: null };
    const there = gpuBoxRun();
    expect(machineNames([here, there])).toEqual(['this machine', 'gpu-box']);
    expect(runLabels([here, there])[1]).toMatch(/ on gpu-box$/);
    const verdict = advise([here, there], strict);
    expect(verdict.superseded).toEqual([]);
    expect(new Set(verdict.rows.map((r) => r.machineName))).toEqual(new Set(['this machine', 'gpu-box']));
  });

  test('runs measured here on different hardware (a data folder moved) are told apart by their hardware', () => {
    const a = laptopRun();
    const b = { ...gpuBoxRun(), machine: null };
    expect(machineNames([a, b])).toEqual(['Intel Xeon Gold 6338 (16 threads)', 'Intel Xeon Gold 6338 (16 threads) + NVIDIA L4']);
  });

  test('this machine comes first side by side, whatever order the runs were ticked in', () => {
    const verdict = advise([gpuBoxRun(), laptopRun()], strict);
    expect(verdict.machines.map((m) => m.label)).toEqual(['CPU on this machine', 'CPU on gpu-box', 'CUDA (NVIDIA L4) on gpu-box']);
  });

  test('one machine only: no side-by-side sentence', () => {
    const verdict = advise([gpuBoxRun()], strict);
    expect(verdict.machines).toEqual([]);
    expect(verdict.summary).not.toContain('Machine by machine');
  });
});

describe('comparing across machines', () => {
  test('entries name each machine as the person does, and the difference names the saved machine with its hardware', () => {
    const [comparison] = compareRuns([laptopRun(), gpuBoxRun()]);
    expect(comparison?.title).toBe('cpu/b1/t8/c1');
    expect(comparison?.machinesDiffer).toBe(true);
    expect(comparison?.entries.map((e) => e.machine)).toEqual(['this machine', 'gpu-box']);
    expect(comparison?.entries[1]?.environment[0]).toBe(
      'different machines (Intel Xeon Gold 6338 (16 threads) / gpu-box: Intel Xeon Gold 6338 (16 threads) + NVIDIA L4)',
    );
  });
});
