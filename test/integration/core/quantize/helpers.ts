/** Shared by the quantization integration tests: inputs, sessions, optimized-model inspection. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createRng } from '../../../../src/shared/stats/random';
import { decodeModelProto, encodeModelProto, DataType } from '../../../../src/core/onnx/codec';
import type { ModelProto, NodeProto } from '../../../../src/core/onnx/codec';
import { dtypeName } from '../../../../src/core/onnx/dtypes';
import { evaluateQuality } from '../../../../src/core/quantize/session';
import { allGraphs } from '../../../../src/core/quantize/graph';
import type { InputRecord } from '../../../../src/core/quantize/types';
import { getSampleInfo } from '../../../../src/core/zoo';

export function bytesOf(model: ModelProto): Uint8Array {
  return encodeModelProto(model);
}

export async function load(model: ModelProto, optimization: 'disabled' | 'all' = 'all'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytesOf(model), { graphOptimizationLevel: optimization, logSeverityLevel: 3 });
}

/** Op types (domain-qualified for contrib ops) of the model ORT runs after level-'all' optimization. */
export async function optimizedOps(model: ModelProto): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'inferscope-quant-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytesOf(model), {
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: path,
      logSeverityLevel: 3,
    });
    await session.release();
    const optimized = decodeModelProto(readFileSync(path));
    return allGraphs(optimized).flatMap(({ graph }) => (graph.node ?? []).map((n) => n.op_type ?? ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function nodes(model: ModelProto): NodeProto[] {
  return allGraphs(model).flatMap(({ graph }) => graph.node ?? []);
}

export function opCounts(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of nodes(model)) counts[n.op_type ?? ''] = (counts[n.op_type ?? ''] ?? 0) + 1;
  return counts;
}

/** Seeded inputs from the model's declared inputs: normal floats, int64 inside `ranges`, symbolic dims from `dims`. */
export function randomInputs(
  model: ModelProto,
  count: number,
  options: { seed?: number; dims?: Record<string, number>; ranges?: Record<string, { min: number; max: number }> } = {},
): InputRecord[] {
  const rng = createRng(options.seed ?? 1234);
  const records: InputRecord[] = [];
  const initializers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  for (let r = 0; r < count; r++) {
    const record: InputRecord = {};
    for (const input of model.graph?.input ?? []) {
      if (!input.name || initializers.has(input.name)) continue;
      const tensorType = input.type?.tensor_type;
      const shape = (tensorType?.shape?.dim ?? []).map((d, axis) => {
        if (d.dim_value !== undefined && d.dim_value !== null && Number(d.dim_value) > 0) return Number(d.dim_value);
        const named = d.dim_param ? options.dims?.[d.dim_param] : undefined;
        return named ?? (axis === 0 ? 2 : 8);
      });
      const n = shape.reduce((a, b) => a * b, 1);
      const type = tensorType?.elem_type ?? DataType.FLOAT;
      if (type === DataType.FLOAT) {
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = rng.normal();
        record[input.name] = { type: 'float32', data, dims: shape };
      } else if (type === DataType.INT64) {
        const range = options.ranges?.[input.name] ?? { min: 0, max: 9 };
        const data = new BigInt64Array(n);
        for (let i = 0; i < n; i++) data[i] = BigInt(rng.nextInt(range.min, range.max + 1));
        record[input.name] = { type: 'int64', data, dims: shape };
      } else if (type === DataType.BOOL) {
        const data = new Uint8Array(n);
        for (let i = 0; i < n; i++) data[i] = rng.nextInt(0, 2);
        record[input.name] = { type: 'bool', data, dims: shape };
      } else {
        throw new Error(`test inputs of type ${dtypeName(type)} are not generated`);
      }
    }
    records.push(record);
  }
  return records;
}

/** randomInputs with a sample's documented value ranges (token ids inside the vocabulary, masks 0/1). */
export function sampleInputs(
  name: string,
  model: ModelProto,
  count: number,
  seed: number,
  dims: Record<string, number> = {},
): InputRecord[] {
  const info = getSampleInfo(name);
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const t of info.inputs) if (t.valueRange) ranges[t.name] = t.valueRange;
  return randomInputs(model, count, { seed, dims, ranges });
}

/** Quality of `candidate` against `reference` over `inputs`, by output name. */
export async function quality(reference: ModelProto, candidate: ModelProto, inputs: InputRecord[]) {
  const results = await evaluateQuality(bytesOf(reference), bytesOf(candidate), inputs);
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

export function initializerNames(model: ModelProto): string[] {
  return allGraphs(model).flatMap(({ graph }) => (graph.initializer ?? []).map((t) => t.name ?? ''));
}
