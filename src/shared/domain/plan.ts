import { z } from 'zod';
import { ModelSourceSchema } from './app';
import { InputValuesSchema } from './input-values';
import {
  DEFAULT_CI_TARGET_REL,
  DEFAULT_MAX_TIME_MS,
  DEFAULT_MIN_ITERATIONS,
  DEFAULT_MIN_TIME_MS,
  DEFAULT_WARMUP_MAX_MS,
  MAX_REPETITIONS,
} from '../stats/constants';

export { DEFAULT_WARMUP_MAX_MS } from '../stats/constants';

export const GraphOptimizationLevelSchema = z.enum(['disabled', 'basic', 'extended', 'all']);
export type GraphOptimizationLevel = z.infer<typeof GraphOptimizationLevelSchema>;

const positiveInts = (fallback: number[]) =>
  z
    .array(z.number().int().positive())
    .min(1)
    .default(fallback)
    .transform((values) => [...new Set(values)].sort((a, b) => a - b));

/**
 * What the user asks to measure. Expanded into configurations (EP × batch × threads ×
 * concurrency) in src/core/bench/plan.ts; every configuration sees the same inputs.
 */
export const BenchPlanSchema = z.object({
  model: ModelSourceSchema,
  /** Quantized/fp16 variants of the model (ids from the Quantize view) measured side by side with it. */
  variants: z.array(z.string().min(1)).default([]),
  /** Measure the model as given too (the baseline the variants are compared with). */
  includeOriginal: z.boolean().default(true),
  /** Execution providers by onnxruntime-node name; empty = every provider that is ready here. */
  eps: z.array(z.string().min(1)).default([]),
  /** Options per provider, e.g. {cuda: {device_id: 0}}. */
  epOptions: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).default({}),
  batches: positiveInts([1]),
  /** intraOpNumThreads values; 0 = onnxruntime's default (one per physical core). */
  threads: z
    .array(z.number().int().nonnegative())
    .min(1)
    .default([0])
    .transform((values) => [...new Set(values)].sort((a, b) => a - b)),
  concurrency: positiveInts([1]),
  /** Values of symbolic dimensions other than the batch, e.g. {sequence: 128}. */
  dims: z.record(z.string(), z.number().int().positive()).default({}),
  inputs: z
    .object({
      seed: z.number().int().default(0),
      /** Range of random values for integer inputs (token ids, class ids), inclusive. */
      intRange: z
        .object({ min: z.number().int(), max: z.number().int() })
        .refine((r) => r.min <= r.max, 'min must not exceed max')
        .optional(),
      /** A folder of the user's own tensors (.npy or ONNX TensorProto .pb), named after the inputs. */
      dir: z.string().min(1).optional(),
      /** Data for named inputs (sr=16000, state=zeros); well-known names get stated defaults (docs/measurement.md#inputs). */
      values: InputValuesSchema.default({}),
    })
    .default({ seed: 0, values: {} }),
  graphOptimizationLevel: GraphOptimizationLevelSchema.default('all'),
  minIterations: z.number().int().positive().default(DEFAULT_MIN_ITERATIONS),
  minTimeMs: z.number().nonnegative().default(DEFAULT_MIN_TIME_MS),
  maxTimeMs: z.number().positive().default(DEFAULT_MAX_TIME_MS),
  warmupMaxMs: z.number().nonnegative().default(DEFAULT_WARMUP_MAX_MS),
  ciTargetRel: z.number().positive().default(DEFAULT_CI_TARGET_REL),
  /**
   * Fresh worker processes each configuration is measured in (docs/measurement.md#repetitions); null = decided by
   * cost: 3 when the first takes under 5 s, else 1.
   */
  repetitions: z.number().int().min(1).max(MAX_REPETITIONS).nullable().default(null),
  /** Run the short profiled pass that tells where every operator ran. */
  profile: z.boolean().default(true),
  /**
   * Capacity sweep: instead of the fixed concurrency list, each setup is measured at 1, 2, 4, …
   * requests in flight until the latency percentile breaks the target or throughput stops
   * growing (closed loop, as Triton perf_analyzer's concurrency range).
   */
  sweep: z
    .object({
      percentile: z.enum(['p50', 'p90', 'p95', 'p99']).default('p95'),
      /** Stop once the percentile exceeds this; without it, only saturation stops the sweep. */
      targetMs: z.number().positive().nullable().default(null),
      /** Stop once doubling the concurrency adds less than this share of throughput. */
      minGain: z.number().nonnegative().default(0.05),
      maxConcurrency: z.number().int().positive().max(256).default(64),
    })
    .nullable()
    .default(null),
});
export type BenchPlan = z.output<typeof BenchPlanSchema>;
export type BenchPlanInput = z.input<typeof BenchPlanSchema>;

/**
 * Why a provider cannot be measured with `concurrency` requests in flight, or null when it can.
 * WebGPU: onnxruntime-node runs a session on its JS thread, so N requests need N threads, and
 * parallel WebGPU sessions on threads of one process crash onnxruntime 1.30 (separate processes
 * do not). Such configurations are skipped with this reason rather than measured.
 */
export function concurrencyRefusal(ep: string, concurrency: number): string | null {
  if (ep === 'webgpu' && concurrency > 1) {
    return (
      'WebGPU is measured one request at a time: parallel WebGPU sessions in one process crash onnxruntime, so its ' +
      'capacity under load is not measured.'
    );
  }
  return null;
}

/**
 * The concurrency levels a plan measures on a provider: the levels it asked for that the provider
 * can take. A capacity sweep from the Decide view asks every provider for 1, 2, 4 and 8 requests
 * in flight; WebGPU takes one at a time, so its other levels are not planned (and not counted).
 * When the provider takes none of the levels asked for, they stay planned so that each is listed
 * as skipped, with the reason.
 */
export function plannedConcurrency(ep: string, levels: readonly number[]): number[] {
  const runnable = levels.filter((c) => concurrencyRefusal(ep, c) === null);
  return runnable.length > 0 ? runnable : [...levels];
}

/** Levels asked for that a provider cannot take, left out of the plan: { ep, levels, reason }, one per such provider. */
export function unplannedConcurrency(
  eps: readonly string[],
  levels: readonly number[],
): { ep: string; levels: number[]; reason: string }[] {
  return eps.flatMap((ep) => {
    const planned = plannedConcurrency(ep, levels);
    const left = levels.filter((c) => !planned.includes(c));
    const reason = left[0] === undefined ? null : concurrencyRefusal(ep, left[0]);
    return reason === null ? [] : [{ ep, levels: left, reason }];
  });
}
