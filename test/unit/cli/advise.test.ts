import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InvalidArgumentError } from 'commander';
import {
  collectPrices,
  parseElectricity,
  parseLatencyTarget,
  parseMilliseconds,
  parseThroughput,
  requirementFromOptions,
  runAdvise,
  runCompare,
} from '../../../src/cli/advise';
import { RunStore } from '../../../src/core/store/runs';
import { benchCommand } from '../../../src/cli/bench';
import { VerdictSchema, ComparisonSchema } from '../../../src/shared/domain/advice';
import { InferscopeError } from '../../../src/shared/errors';
import { fixtureRun } from '../shared/advice/helpers';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/runs');
const file = (name: string): string => path.join(fixtures, `${name}.json`);

describe('argument parsers', () => {
  test('latency targets', () => {
    expect(parseLatencyTarget('p95=50ms')).toEqual({ percentile: 'p95', ms: 50 });
    expect(parseLatencyTarget('P99<=0.2s')).toEqual({ percentile: 'p99', ms: 200 });
    expect(parseLatencyTarget('p50:800us')).toEqual({ percentile: 'p50', ms: 0.8 });
    expect(parseLatencyTarget('p90=12')).toEqual({ percentile: 'p90', ms: 12 });
    expect(() => parseLatencyTarget('p97=50ms')).toThrow(InvalidArgumentError);
    expect(() => parseLatencyTarget('50ms')).toThrow(InvalidArgumentError);
    expect(() => parseLatencyTarget('p95=0ms')).toThrow(InvalidArgumentError);
    expect(parseMilliseconds('10ms')).toBe(10);
    expect(() => parseMilliseconds('ten')).toThrow(InvalidArgumentError);
  });

  test('throughput, prices and electricity', () => {
    expect(parseThroughput('200')).toBe(200);
    expect(parseThroughput('1.5k')).toBe(1500);
    expect(parseThroughput('200/s')).toBe(200);
    expect(parseThroughput('80rps')).toBe(80);
    expect(() => parseThroughput('0')).toThrow(InvalidArgumentError);
    expect(collectPrices('cpu=0.10/h,gpu=1.20/h')).toEqual({ cpuPerHour: 0.1, gpuPerHour: 1.2, gpuByName: {} });
    expect(collectPrices('gpu:H100=3.5/h', collectPrices('cpu=$0.2'))).toEqual({ cpuPerHour: 0.2, gpuByName: { H100: 3.5 } });
    expect(() => collectPrices('tpu=1/h')).toThrow(InvalidArgumentError);
    expect(() => collectPrices('cpu=0/h')).toThrow(InvalidArgumentError);
    expect(parseElectricity('0.15')).toBe(0.15);
    expect(parseElectricity('$0.31/kWh')).toBe(0.31);
  });

  test('a requirement needs a latency target or a throughput', () => {
    expect(requirementFromOptions({})).toBeNull();
    expect(requirementFromOptions({ throughput: 10, electricity: 0.2, price: { cpuPerHour: 0.3 } })).toEqual({
      latency: null,
      throughputRps: 10,
      maxBatchDelayMs: 0,
      prices: { cpuPerHour: 0.3, electricityPerKwh: 0.2 },
    });
  });
});

describe('advise and compare from files and the run store', () => {
  let dir: string;
  const stored = (id: string) => new RunStore(dir).get(id);
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-advise-'));
    await new RunStore(dir).save(fixtureRun('gpu-server'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('advise prints the verdict with the setups table; --json prints the Verdict', async () => {
    const text = await runAdvise([file('cpu-only')], { latency: { percentile: 'p95', ms: 50 }, throughput: 200 }, stored);
    expect(text.split('\n')[0]).toBe('Verdict for resnet-mini: CPU suffices');
    expect(text).toContain('A GPU is not necessary: CPU with 8 threads, batch 1 meets p95 ≤ 50 ms');
    expect(text).toMatch(/^Rests on: resnet-mini, CPU with 8 threads, batch 1, measured \d{4}-\d\d-\d\d \d\d:\d\d UTC \(run /m);
    // Every row names its run: the model and when it was measured.
    expect(text).toMatch(/\* CPU with 8 threads, batch 1\s+resnet-mini · \d{4}-\d\d-\d\d \d\d:\d\d UTC\s+meets/);
    expect(text).toContain('Assumptions');
    const json = JSON.parse(
      await runAdvise(['fixture-gpu-server'], { latency: { percentile: 'p95', ms: 20 }, throughput: 200, json: true }, stored),
    );
    expect(VerdictSchema.parse(json).models.map((m) => [m.model, m.status])).toEqual([['transformer-encoder', 'gpu-needed']]);
  });

  test('advise on runs of two models prints one verdict per model, each headline naming its model', async () => {
    const text = await runAdvise(
      [file('cpu-only'), 'fixture-gpu-server'],
      { latency: { percentile: 'p95', ms: 20 }, throughput: 200 },
      stored,
    );
    const headlines = text.split('\n').filter((line) => line.startsWith('Verdict'));
    expect(headlines).toEqual([expect.stringMatching(/^Verdict for resnet-mini: /), 'Verdict for transformer-encoder: GPU needed']);
    // The assumptions they share come once, at the end.
    expect(text.match(/^Assumptions$/gm)).toHaveLength(1);
  });

  test('advise on a run too noisy for a verdict prints the command that measures it again, longer', async () => {
    const text = await runAdvise([file('unstable')], { latency: { percentile: 'p95', ms: 50 }, throughput: 100 }, stored);
    expect(text.split('\n')[0]).toMatch(/^Verdict for .+: not enough data$/);
    const lines = text.split('\n');
    const heading = lines.indexOf('Measure again, 2× longer, with the machine otherwise idle:');
    expect(heading).toBeGreaterThan(0);
    // The same setups and levels (CPU, 2 threads, 1 and 2 in flight), 2 s → 4 s and 20 s → 40 s.
    expect(lines[heading + 1]).toBe(
      '  npx inferscope bench sample:mlp --ep cpu --threads 2 --concurrency 1,2 --min-time 4s --max-time 40s --no-profile',
    );
    // A verdict that stands has nothing to measure again.
    expect(await runAdvise([file('cpu-only')], { latency: { percentile: 'p95', ms: 50 }, throughput: 200 }, stored)).not.toContain(
      'Measure again, 2×',
    );
  });

  test('benchCommand quotes what the shell would split, and states every non-default setting', () => {
    expect(
      benchCommand({
        model: { kind: 'path', path: "/models/my model's.onnx" },
        eps: ['cpu', 'webgpu'],
        variants: ['int8-dynamic-abc'],
        batches: [1, 8],
        dims: { sequence: 64 },
        inputs: { seed: 3, intRange: { min: 0, max: 30521 } },
        graphOptimizationLevel: 'basic',
        minIterations: 50,
        minTimeMs: 1500,
        maxTimeMs: 10_000,
        ciTargetRel: 0.02,
      }),
    ).toBe(
      "npx inferscope bench '/models/my model'\\''s.onnx' --ep cpu,webgpu --variants int8-dynamic-abc --batch 1,8 --dim " +
        'sequence=64 --seed 3 --int-range 0..30521 --optimization basic --min-iterations 50 --min-time 1.5s --max-time 10s ' +
        '--ci-target 0.02',
    );
  });

  test('advise without a requirement, or with an unknown run, fails with a code', async () => {
    await expect(runAdvise([file('cpu-only')], {}, stored)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(runAdvise(['no-such-run'], { throughput: 1 }, stored)).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(runAdvise([path.join(dir, 'missing.json')], { throughput: 1 }, stored)).rejects.toBeInstanceOf(InferscopeError);
  });

  test('compare takes whole runs, or RUN#CONFIG picks', async () => {
    const runs = await runCompare([file('cpu-only'), 'fixture-gpu-server'], {}, stored);
    expect(runs).toContain('cpu/b1/t8/c1');
    expect(runs).toContain('different machines');
    const picks = JSON.parse(
      await runCompare([`${file('gpu-server')}#cpu/b1/t8/c1`, `${file('gpu-server')}#cuda/b1/t0/c1`], { json: true }, stored),
    );
    const [comparison] = picks.map((c: unknown) => ComparisonSchema.parse(c));
    expect(comparison.entries[1].vsBaseline.verdict).toBe('faster');
    expect(comparison.entries[1].statement).toMatch(/^\d+(\.\d+)?× faster than the baseline/);
    await expect(runCompare([`${file('gpu-server')}#cpu/b1/t8/c1`, file('cpu-only')], {}, stored)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(runCompare([`${file('gpu-server')}#nope`, `${file('gpu-server')}#cpu/b1/t8/c1`], {}, stored)).rejects.toThrow(
      /has no configuration nope/,
    );
  });
});
