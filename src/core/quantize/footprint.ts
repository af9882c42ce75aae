/**
 * What a quantization job will hold in memory, counted before any of it is made: the evaluation
 * inputs (every sample at once) and one calibration batch, the original model's outputs kept
 * for every evaluation sample, and the activations calibration fetches per batch. Counted from
 * the shapes the job feeds (the model's fixed sizes, the job's dims and the usual defaults);
 * values whose size depends on dims the job leaves open are not counted.
 */
import type { DimValues } from '../../shared/domain/app';
import { assertFits, tensorNeed, type Need } from '../budget';
import { DataType, int64ToNumber, type ModelProto } from '../onnx/codec';
import { isFloatType } from '../onnx/dtypes';
import { inferShapes, isKnownShape, type GraphShapes } from '../onnx/shapes';
import { chosenSize, graphInputs, resolveInputs, type ModelInput } from './data';

export interface JobCounts {
  evaluationSamples: number;
  /** int8-static: one calibration batch and its fetched activations at a time. */
  calibrate: boolean;
}

/** Shapes of every value with the symbolic sizes the job chooses (others stay open). */
function jobShapes(model: ModelProto, inputs: readonly ModelInput[], dims: DimValues): GraphShapes {
  const params = new Map<string, number>();
  for (const input of inputs) {
    (input.shape ?? []).forEach((d, axis) => {
      const size = typeof d === 'string' ? chosenSize(d, axis, dims) : undefined;
      if (typeof d === 'string' && size !== undefined && !params.has(d)) params.set(d, size);
    });
  }
  const opset = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  return inferShapes(model.graph ?? {}, {
    resolveParam: (name) => params.get(name) ?? dims[name] ?? name,
    resolveUnnamed: (_input, axis) => chosenSize(null, axis, dims) ?? null,
    ...(opset !== undefined && opset !== null ? { opset: int64ToNumber(opset) } : {}),
  });
}

/** The activations one calibration batch fetches: every float value a node makes, at most. */
function activationNeed(shapes: GraphShapes): Need | undefined {
  let bytes = 0n;
  let largest: Need | undefined;
  let count = 0;
  for (const record of shapes.nodes) {
    for (const value of record.outputs) {
      if (!value || !isFloatType(value.dtype) || !isKnownShape(value.shape)) continue;
      const need = tensorNeed({ name: '', type: value.dtype ?? DataType.FLOAT, dims: value.shape });
      bytes += need.bytes;
      if (!largest || need.elements > largest.elements) largest = need;
      count++;
    }
  }
  if (!largest) return undefined;
  const what = `the ${count} activations one calibration batch fetches`;
  return { what, bytes, elements: largest.elements, arrayBytes: largest.arrayBytes };
}

/**
 * Everything the job holds at once, each naming its tensor. MODEL_INVALID from the shapes
 * (a zero stride) comes out of here too, before any input is made.
 */
export function jobMemoryNeeds(model: ModelProto, counts: JobCounts, dims: DimValues = {}): Need[] {
  const inputs = graphInputs(model);
  const held = counts.evaluationSamples + (counts.calibrate ? 1 : 0);
  const why = counts.calibrate ? 'samples (evaluation and a calibration batch)' : 'evaluation samples';
  const needs = resolveInputs(inputs, dims).map((input) =>
    tensorNeed({ name: input.name, type: input.type, dims: input.shape }, held, why),
  );
  const shapes = jobShapes(model, inputs, dims);
  for (const output of model.graph?.output ?? []) {
    const value = output.name ? shapes.values.get(output.name) : undefined;
    if (!value || !isKnownShape(value.shape) || value.dtype === undefined) continue;
    // The original's outputs are kept for every sample, and the variant's of one sample beside them.
    const spec = { name: output.name ?? '', type: value.dtype, dims: value.shape, role: 'output' };
    needs.push(tensorNeed(spec, counts.evaluationSamples + 1, 'evaluation samples kept to compare'));
  }
  const activations = counts.calibrate ? activationNeed(shapes) : undefined;
  if (activations) needs.push(activations);
  return needs;
}

/** Refuses (MODEL_TOO_LARGE / MODEL_INVALID) a job this machine cannot hold, before its data is made. */
export function assertJobFits(model: ModelProto, counts: JobCounts, dims: DimValues = {}): void {
  assertFits(jobMemoryNeeds(model, counts, dims), 'Quantizing this model');
}
