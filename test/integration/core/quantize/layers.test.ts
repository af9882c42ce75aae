/**
 * Per-layer SQNR through the real job pipeline (quantizeFile, as the worker runs it): which layers
 * lost the most, and that excluding the worst one and quantizing again leaves it in float.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModelProto } from '../../../../src/core/onnx/codec';
import { readModel } from '../../../../src/core/onnx/read';
import { writeModel } from '../../../../src/core/onnx/write';
import { QUANTIZE_WORKER_ENV, runQuantizeJob } from '../../../../src/core/quantize/job';
import { quantizeFile, type QuantizeFileResult } from '../../../../src/core/quantize/file';
import { layerBadness, measureLayers, planLayers } from '../../../../src/core/quantize/layers';
import { int8Dynamic } from '../../../../src/core/quantize';
import { describeSource, VariantStore } from '../../../../src/core/quantize/variants';
import { buildSampleModel, ensureSample } from '../../../../src/core/zoo';
import type { LayerQuality, QuantizeOptions } from '../../../../src/shared/domain/quantize';
import { VariantSchema } from '../../../../src/shared/domain/variant';
import { readFileSync } from 'node:fs';
import { scratchDir, startSupervisor, type TestSupervisor } from '../../../support/worker';
import { sampleInputs } from './helpers';

const scratch = scratchDir();
const samples = path.join(scratch.dir, 'samples');
const SEQUENCE = { batch: 1, sequence: 16 };
let made = 0;

async function quantize(
  sample: string,
  options: QuantizeOptions,
  dims?: Record<string, number>,
): Promise<QuantizeFileResult & { path: string }> {
  const modelPath = await ensureSample(sample, samples);
  const outputPath = path.join(scratch.dir, `${sample}-${options.mode}-${++made}.onnx`);
  const result = await quantizeFile({
    modelPath,
    outputPath,
    options,
    calibration: { kind: 'random', samples: 4, seed: 1 },
    evaluationSamples: 4,
    dims,
  });
  return { ...result, path: outputPath };
}

function minSqnr(result: QuantizeFileResult): number {
  return Math.min(...result.report.quality.map((q) => q.sqnrDb ?? Infinity));
}

function expectWorstFirst(layers: readonly LayerQuality[]): void {
  const badness = layers.map(layerBadness);
  for (let i = 1; i < badness.length; i++) expect(badness[i]).toBeGreaterThanOrEqual(badness[i - 1]!);
}

function nodesOf(file: string) {
  return decodeModelProto(readFileSync(file)).graph!.node!;
}

afterAll(() => scratch.remove());

describe('per-layer SQNR in the quantization job', () => {
  it(
    'transformer-encoder int8-dynamic: every quantized MatMul measured, worst first; excluding the worst leaves it float and ' + 'helps',
    async () => {
      const first = await quantize('transformer-encoder', { mode: 'int8-dynamic' }, SEQUENCE);
      const layers = first.report.layers ?? [];
      expect(first.report.layersNote).toMatch(/4 evaluation inputs/);
      expect(first.report.layersNote).toMatch(/[Cc]umulative/);
      expectWorstFirst(layers);

      // Names, op types and outputs map back to the original's nodes.
      const original = (await readModel(await ensureSample('transformer-encoder', samples))).model.graph!.node!;
      const byName = new Map(original.map((n) => [n.name, n]));
      for (const layer of layers) {
        const node = byName.get(layer.node);
        expect(node?.op_type).toBe(layer.opType);
        expect(node?.output?.[0]).toBe(layer.output);
        expect(Number.isFinite(layer.sqnrDb)).toBe(true);
        expect(layer.nonFinite).toBe(0);
        expect(layer.cosine).toBeGreaterThan(0.99);
      }
      // Every node the transformation changed is there as quantized; the attention products (B computed
      // at run time) are measured but reported as left alone.
      const skipped = new Set(first.report.skipped.map((s) => s.node));
      const quantized = layers.filter((l) => l.quantized);
      expect(quantized).toHaveLength(first.report.nodesQuantized);
      expect(quantized.map((l) => l.opType).sort()).toEqual([...Array(2).fill('Gather'), 'Gemm', ...Array(12).fill('MatMul')]);
      for (const layer of layers) expect(layer.quantized).toBe(!skipped.has(layer.node));
      expect(
        layers
          .filter((l) => !l.quantized)
          .map((l) => l.node)
          .sort(),
      ).toEqual([...skipped].sort());
      // Cumulative: the last encoder layer's projections lost more than the first layer's.
      const sqnrOf = (node: string) => layers.find((l) => l.node === node)!.sqnrDb!;
      expect(sqnrOf('/encoder/layer.1/output/MatMul')).toBeLessThan(sqnrOf('/encoder/layer.0/attention/self/query/MatMul'));

      // Exclude the worst transformed layer and quantize again with otherwise the same options.
      const worst = quantized[0]!;
      const second = await quantize('transformer-encoder', { mode: 'int8-dynamic', exclude: [worst.node] }, SEQUENCE);
      expect(second.report.skipped).toContainEqual({ node: worst.node, opType: worst.opType, reason: 'excluded by the user' });
      expect(second.report.nodesQuantized).toBe(first.report.nodesQuantized - 1);
      const again = second.report.layers!.find((l) => l.node === worst.node)!;
      expect(again.quantized).toBe(false);
      // The node itself is back in the variant as a float MatMul reading its float weight.
      const kept = nodesOf(second.path).find((n) => n.name === worst.node);
      expect(kept?.op_type).toBe('MatMul');
      expect(nodesOf(first.path).some((n) => n.name === worst.node)).toBe(false);
      expect(minSqnr(second)).toBeGreaterThanOrEqual(minSqnr(first));
      console.log(
        `transformer-encoder int8-dynamic worst layers: ${layers
          .slice(0, 5)
          .map((l) => `${l.node} ${l.sqnrDb!.toFixed(2)} dB${l.quantized ? '' : ' (float)'}`)
          .join('; ')}; output SQNR ${minSqnr(first).toFixed(2)} → ${minSqnr(second).toFixed(2)} dB without ${worst.node}`,
      );
    },
  );

  it(
    'resnet-mini int8-static: Convs compared where the pre-processing folded BatchNormalization into them, and excludable by ' + 'name',
    async () => {
      const first = await quantize('resnet-mini', { mode: 'int8-static' });
      const layers = first.report.layers ?? [];
      expectWorstFirst(layers);
      const convs = layers.filter((l) => l.opType === 'Conv');
      expect(convs.length).toBeGreaterThan(5);
      expect(convs.every((l) => l.quantized)).toBe(true);
      expect(convs.some((l) => l.output.endsWith('BatchNormalization_output_0'))).toBe(true);
      const worstConv = convs[0]!;
      const second = await quantize('resnet-mini', { mode: 'int8-static', exclude: [worstConv.node] });
      expect(second.report.skipped).toContainEqual(expect.objectContaining({ node: worstConv.node, reason: 'excluded by the user' }));
      expect(second.report.layers!.find((l) => l.node === worstConv.node)?.quantized).toBe(false);
    },
  );

  it('fp16 of a model with external data: every float node measured from the external weights, in fp16', async () => {
    const dir = path.join(scratch.dir, 'external');
    const modelPath = path.join(dir, 'mlp.onnx');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeModel(modelPath, buildSampleModel('mlp'), { externalDataThresholdBytes: 1024 });
    const result = await quantizeFile({
      modelPath,
      outputPath: path.join(dir, 'fp16.onnx'),
      options: { mode: 'fp16' },
      calibration: { kind: 'random', samples: 1, seed: 1 },
      evaluationSamples: 2,
      dims: { batch: 2 },
    });
    const layers = result.report.layers ?? [];
    // Gemm, Relu, Gemm, Relu, Gemm: the logits' producer runs in fp16 and a Cast writes the float32 output.
    expect(layers.map((l) => l.opType).sort()).toEqual(['Gemm', 'Gemm', 'Gemm', 'Relu', 'Relu']);
    expect(layers.every((l) => l.quantized && l.sqnrDb !== null && l.sqnrDb > 50)).toBe(true);
  });

  it('keeps to its memory budget with fewer inputs, then fewer layers, and says so', async () => {
    const model = buildSampleModel('mlp');
    const modelPath = await ensureSample('mlp', samples);
    const variantPath = path.join(scratch.dir, 'mlp-budget.onnx');
    const { model: variant, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    await writeModel(variantPath, variant);
    const plan = planLayers(model, variant, report, 'int8-dynamic');
    const records = sampleInputs('mlp', model, 3, 7, { batch: 4 });
    // One record's layer outputs: 4×512 + 4×256 + 4×10 floats.
    const perRecord = 4 * (512 + 256 + 10) * 4;
    const fewer = await measureLayers({ modelPath, variantPath, plan, records, budgetBytes: perRecord * 2 });
    expect(fewer.layers).toHaveLength(3);
    expect(fewer.note).toMatch(/on 2 evaluation inputs/);
    expect(fewer.note).toMatch(/1 of the 3 evaluation inputs were left out/);
    const trimmed = await measureLayers({ modelPath, variantPath, plan, records, budgetBytes: 4 * 512 * 4 + 1 });
    expect(trimmed.layers.map((l) => l.output)).toEqual(['/fc1/Gemm_output_0']);
    expect(trimmed.note).toMatch(/2 layer outputs further along the graph left out/);
  });
});

describe('per-layer SQNR through the worker and the variant store', () => {
  let s: TestSupervisor;

  beforeAll(async () => {
    s = await startSupervisor(scratch.dir, { hooks: false, env: { ...QUANTIZE_WORKER_ENV } });
  });

  afterAll(async () => {
    await s?.supervisor.dispose();
  });

  it('the layers travel in the job result and are kept in variant.json', async () => {
    const store = new VariantStore(path.join(scratch.dir, 'data', 'variants'));
    const file = await ensureSample('mlp', samples);
    const source = await describeSource(file, 'mlp');
    const variant = await runQuantizeJob({
      supervisor: s.supervisor,
      store,
      request: { source: { kind: 'sample', name: 'mlp' }, options: { mode: 'int8-dynamic' }, evaluationSamples: 2, jobId: 'layers-1' },
      source,
    });
    expect(VariantSchema.parse(variant)).toEqual(variant);
    expect(variant.report.layers?.map((l) => l.node).sort()).toEqual(['/fc1/Gemm', '/fc2/Gemm', '/fc3/Gemm']);
    expect(variant.report.layers?.every((l) => l.quantized)).toBe(true);
    expect((await store.get(variant.id))?.report.layers).toEqual(variant.report.layers);
    const requantized = await runQuantizeJob({
      supervisor: s.supervisor,
      store,
      request: {
        source: { kind: 'sample', name: 'mlp' },
        options: { mode: 'int8-dynamic', exclude: [variant.report.layers![0]!.node] },
        evaluationSamples: 2,
        jobId: 'layers-2',
      },
      source,
    });
    expect(requantized.id).not.toBe(variant.id);
    expect(requantized.report.layers?.filter((l) => !l.quantized).map((l) => l.node)).toEqual([variant.report.layers![0]!.node]);
    expect((await store.list(source.sha256)).map((v) => v.id).sort()).toEqual([variant.id, requantized.id].sort());
  });
});
