/**
 * The conversion check's figures: per output, the original's values (from its framework) against
 * the converted model's (from onnxruntime) on the same inputs, and the verdict against
 * CONVERT_TOLERANCE. Pure, so the worker computes them and the tests read them the same way.
 */
import { z } from 'zod';
import { CONVERT_TOLERANCE, type ConversionCheck, type OutputAgreement } from '../domain/convert';

/** What the conversion script writes beside the converted model: the inputs and the original's outputs. */
export const CheckTensorSchema = z.object({
  name: z.string().min(1),
  dtype: z.enum(['float32', 'float16', 'float64', 'int64', 'int32', 'bool', 'uint8', 'int8', 'int16', 'uint16', 'uint32', 'uint64']),
  shape: z.array(z.number().int().nonnegative()).max(16),
  /** A plain file name in the manifest's folder, raw little-endian values. */
  file: z.string().regex(/^[A-Za-z0-9_.-]+$/),
});
export type CheckTensor = z.infer<typeof CheckTensorSchema>;

export const CheckManifestSchema = z.object({
  seed: z.number().int(),
  samples: z
    .array(z.object({ inputs: z.array(CheckTensorSchema), outputs: z.array(CheckTensorSchema).min(1) }))
    .min(1)
    .max(8),
});
export type CheckManifest = z.infer<typeof CheckManifestSchema>;

export type Tolerance = { abs: number; rel: number; minCosine: number };

/** A difference past every finite one: NaN or ±Inf in one output where the other has a number. */
export const NOT_FINITE_DIFF = Number.MAX_VALUE;

/** One output of one input set. */
export function agreementOf(
  name: string,
  shape: number[],
  original: ArrayLike<number>,
  converted: ArrayLike<number>,
  tolerance: Tolerance = CONVERT_TOLERANCE,
): OutputAgreement {
  let maxAbsDiff = original.length === converted.length ? 0 : NOT_FINITE_DIFF;
  let maxAbsOriginal = 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  const n = Math.min(original.length, converted.length);
  for (let i = 0; i < n; i++) {
    const a = original[i] as number;
    const b = converted[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      // Both NaN, or the same infinity, is agreement; anything else is as far apart as it gets.
      if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) maxAbsDiff = NOT_FINITE_DIFF;
      continue;
    }
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - b));
    maxAbsOriginal = Math.max(maxAbsOriginal, Math.abs(a));
    dot += a * b;
    normA += a * a;
    normB += b * b;
  }
  const cosine = normA === 0 && normB === 0 ? 1 : normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
  return { name, shape, maxAbsDiff, maxAbsOriginal, cosine, ok: withinTolerance(maxAbsDiff, maxAbsOriginal, cosine, tolerance) };
}

export function withinTolerance(maxAbsDiff: number, maxAbsOriginal: number, cosine: number, tolerance: Tolerance): boolean {
  return maxAbsDiff <= tolerance.abs + tolerance.rel * maxAbsOriginal && cosine >= tolerance.minCosine;
}

/** The same output over several input sets: the worst of each figure, judged again. */
export function mergeAgreements(a: OutputAgreement, b: OutputAgreement, tolerance: Tolerance = CONVERT_TOLERANCE): OutputAgreement {
  const maxAbsDiff = Math.max(a.maxAbsDiff, b.maxAbsDiff);
  const maxAbsOriginal = Math.max(a.maxAbsOriginal, b.maxAbsOriginal);
  const cosine = Math.min(a.cosine, b.cosine);
  const ok = a.ok && b.ok && withinTolerance(maxAbsDiff, maxAbsOriginal, cosine, tolerance);
  return { name: a.name, shape: a.shape, maxAbsDiff, maxAbsOriginal, cosine, ok };
}

/** The check from each input set's agreements (outputs in the same order in every set). */
export function conversionCheck(
  manifest: CheckManifest,
  perSample: OutputAgreement[][],
  runtime: string,
  tolerance: Tolerance = CONVERT_TOLERANCE,
): ConversionCheck {
  const outputs: OutputAgreement[] = [];
  for (const sample of perSample) {
    for (const agreement of sample) {
      const at = outputs.findIndex((o) => o.name === agreement.name);
      if (at < 0) outputs.push(agreement);
      else outputs[at] = mergeAgreements(outputs[at] as OutputAgreement, agreement, tolerance);
    }
  }
  const first = manifest.samples[0];
  return {
    inputs: (first?.inputs ?? []).map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    seed: manifest.seed,
    samples: manifest.samples.length,
    outputs,
    maxAbsDiff: Math.max(0, ...outputs.map((o) => o.maxAbsDiff)),
    minCosine: Math.min(1, ...outputs.map((o) => o.cosine)),
    tolerance: { ...tolerance },
    passed: outputs.length > 0 && outputs.every((o) => o.ok),
    runtime,
  };
}

const figure = (value: number): string => (value === NOT_FINITE_DIFF ? 'not finite' : value.toPrecision(3));

/** "output: max |Δ| 0.75 (max |original| 1.9), cosine 0.9812" for each output out of tolerance. */
export function describeAgreement(check: ConversionCheck): string {
  const shown = check.passed ? check.outputs : check.outputs.filter((o) => !o.ok);
  return shown
    .map((o) => `${o.name}: max |Δ| ${figure(o.maxAbsDiff)} (max |original| ${figure(o.maxAbsOriginal)}), cosine ${o.cosine.toFixed(6)}`)
    .join('; ');
}

export function toleranceText(tolerance: Tolerance): string {
  return `max |Δ| ≤ ${tolerance.abs} + ${tolerance.rel} × max |original| and cosine ≥ ${tolerance.minCosine}`;
}
