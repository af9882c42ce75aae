/**
 * One configuration as the worker measures it (docs/measurement.md#one-configuration-step-by-step): what the
 * host asks for (BenchConfig), what the worker reports while it runs (BenchProgress)
 * and what it answers with (BenchMeasurement: every sample, statistics, resources,
 * placement). The plan that expands a user's choices into configurations lives beside
 * this, in the plan files; this is the unit of work one worker request carries.
 */
import { z } from 'zod';
import { LatencyStatsSchema } from '../../shared/stats/schema';
import { DEFAULT_CI_TARGET_REL, DEFAULT_MAX_TIME_MS, DEFAULT_MIN_ITERATIONS, DEFAULT_MIN_TIME_MS } from '../../shared/stats/constants';
import { DEFAULT_WARMUP_MAX_MS, GraphOptimizationLevelSchema } from '../../shared/domain/plan';
import { InputSourceSchema, InputValuesSchema } from '../../shared/domain/input-values';
import { PlacementSummarySchema } from './placement';
import { DEFAULT_INT_RANGE } from './inputs';

export { DEFAULT_WARMUP_MAX_MS };

/** Runs of the profiled placement pass (profiling distorts timing, so these are never samples). */
export const DEFAULT_PROFILE_RUNS = 10;
/** Unless told otherwise, symbolic dimensions other than the batch take this value (e.g. a sequence length of 1). */
export const DEFAULT_SYMBOLIC_DIM = 1;

/** ONNX Runtime execution provider options (device_id, precision switches, …). */
export const EpOptionsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type EpOptions = z.infer<typeof EpOptionsSchema>;

const Bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, { message: 'expected a Uint8Array' });

/** A tensor the user supplied (decoded from .npy / TensorProto / an image by the host): raw little-endian elements. */
export const UserTensorSchema = z.object({
  name: z.string(),
  type: z.string(),
  dims: z.array(z.number().int().nonnegative()),
  data: Bytes,
});
export type UserTensor = z.infer<typeof UserTensorSchema>;

export const InputSpecSchema = z.object({
  /** Seed of the random inputs; the same seed gives the same tensors for every configuration. */
  seed: z.number().int().default(0),
  /** Values of symbolic dimensions by name (the batch dimension is set by `batch`). */
  dims: z.record(z.string(), z.number().int().positive()).default({}),
  /** Value of symbolic dimensions that neither `batch` nor `dims` sets. */
  defaultDim: z.number().int().positive().default(DEFAULT_SYMBOLIC_DIM),
  /** Inclusive range of random integer inputs (token ids, class ids). */
  intRange: z
    .object({ min: z.number().int(), max: z.number().int() })
    .refine((r) => r.min <= r.max, 'min must not exceed max')
    .default(DEFAULT_INT_RANGE),
  /** The user's own tensors, by input name; the other inputs are generated. */
  tensors: z.array(UserTensorSchema).default([]),
  /** Data for named inputs (numbers, zeros, ones, ranges; `file` ones arrive as `tensors`); well-known names get defaults. */
  values: InputValuesSchema.default({}),
});
export type InputSpec = z.infer<typeof InputSpecSchema>;

export const BenchConfigSchema = z
  .object({
    modelPath: z.string().min(1),
    ep: z.string().min(1),
    epOptions: EpOptionsSchema.default({}),
    /** Sets the leading dimension of every input whose leading dimension is symbolic. */
    batch: z.number().int().positive().default(1),
    /** intraOpNumThreads; 0 = ONNX Runtime's default (one per physical core). */
    threads: z.number().int().nonnegative().default(0),
    /**
     * Requests in flight at once. onnxruntime-node runs a session synchronously on the
     * calling JS thread, so concurrent run() calls on one session only queue; concurrency N
     * therefore means N sessions, each on its own thread inside the worker process, each
     * running back to back. Per-request latency is every thread's samples; throughput is
     * all runs over the common measuring time.
     */
    concurrency: z.number().int().positive().default(1),
    inputs: InputSpecSchema.default({
      seed: 0,
      dims: {},
      defaultDim: DEFAULT_SYMBOLIC_DIM,
      intRange: DEFAULT_INT_RANGE,
      tensors: [],
      values: {},
    }),
    graphOptimizationLevel: GraphOptimizationLevelSchema.default('all'),
    minIterations: z.number().int().positive().default(DEFAULT_MIN_ITERATIONS),
    minTimeMs: z.number().nonnegative().default(DEFAULT_MIN_TIME_MS),
    maxTimeMs: z.number().positive().default(DEFAULT_MAX_TIME_MS),
    /** Cap on samples, for very fast models whose maxTimeMs would hold millions. */
    maxIterations: z.number().int().positive().optional(),
    warmupMaxMs: z.number().nonnegative().default(DEFAULT_WARMUP_MAX_MS),
    /** Stop once the 95 % CI of the median lies within ±ciTargetRel of it. */
    ciTargetRel: z.number().positive().default(DEFAULT_CI_TARGET_REL),
    /** Run the profiled placement pass (step 8). */
    profile: z.boolean().default(true),
    profileRuns: z.number().int().positive().default(DEFAULT_PROFILE_RUNS),
    /** Where to keep the profiled pass's trace (Perfetto / chrome://tracing JSON); not kept when absent. */
    traceFile: z.string().min(1).optional(),
  })
  .refine((c) => c.minTimeMs <= c.maxTimeMs, { message: 'minTimeMs must not exceed maxTimeMs', path: ['minTimeMs'] });
/** A configuration with every default filled in (what the worker works with). */
export type BenchConfig = z.infer<typeof BenchConfigSchema>;
/** A configuration as a caller may write it (defaults optional). */
export type BenchConfigInput = z.input<typeof BenchConfigSchema>;

export const BenchPhaseSchema = z.enum(['load', 'session-create', 'first-run', 'warmup', 'measure', 'profile']);
export type BenchPhase = z.infer<typeof BenchPhaseSchema>;

export const BenchProgressSchema = z.object({
  phase: BenchPhaseSchema,
  /** Runs so far in this phase (all threads). */
  iterations: z.number().int().nonnegative(),
  /** Time spent in this phase so far. */
  elapsedMs: z.number().nonnegative(),
  /** Median of the samples so far (measure) or of the last warm-up window. */
  medianMs: z.number().nonnegative().nullable(),
  /** Measure: the CI half-width reached at the last stop check. */
  ciHalfWidthRel: z.number().nonnegative().nullable(),
  /** Measure: the samples taken since the previous progress message (for live charts). */
  recentSamplesMs: z.array(z.number().nonnegative()).default([]),
});
export type BenchProgress = z.infer<typeof BenchProgressSchema>;

export const ResolvedInputSchema = z.object({
  name: z.string(),
  type: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  source: InputSourceSchema,
  /** The value given or the stated default ("16000", "zeros (a recurrent state starts at zero)"). */
  value: z.string().optional(),
  /** The run's batch size set this input's first axis (symbolic, not a named dim): its fed size is the items one run answers. */
  batchAxis: z.boolean(),
});

export const BenchMeasurementSchema = z.object({
  ep: z.string(),
  /** Provider name as ONNX Runtime reports it (CPUExecutionProvider, WebGpuExecutionProvider, …). */
  provider: z.string(),
  modelBytes: z.number().int().nonnegative(),
  inputs: z.array(ResolvedInputSchema),
  outputs: z.array(z.string()),
  /** Step 1: reading the model file into memory. */
  loadMs: z.number().nonnegative(),
  /** Step 2: InferenceSession.create (parse, optimize, EP compile: TensorRT engines, WebGPU shaders). */
  sessionCreateMs: z.number().nonnegative(),
  /** Step 3: the first run, on its own. */
  firstRunMs: z.number().nonnegative(),
  warmup: z.object({
    iterations: z.number().int().nonnegative(),
    ms: z.number().nonnegative(),
    /** False when warmupMaxMs ran out before the last window medians agreed. */
    stable: z.boolean(),
    windowMedians: z.array(z.number()),
    /** Why warm-up was cut short of its cap: one run is a large share of the maximum measuring time (docs/measurement.md#warm-up). */
    cut: z.enum(['shortened', 'skipped']).nullable().default(null),
  }),
  /** Step 5: every sample in ms, in the order measured (with concurrency: thread by thread). */
  samplesMs: z.array(z.number().nonnegative()),
  /** With concurrency > 1: how many of samplesMs each thread took, in order. */
  samplesPerThread: z.array(z.number().int().nonnegative()),
  measureMs: z.number().nonnegative(),
  stopReason: z.enum(['ci-reached', 'max-time', 'max-iterations']),
  stats: LatencyStatsSchema,
  /** Median of the last quarter of samples over the first quarter's (thermal throttling above 1.05). */
  trendRatio: z.number().nullable(),
  throughput: z.object({ runsPerSec: z.number().nonnegative(), itemsPerSec: z.number().nonnegative() }),
  resources: z.object({
    rssBeforeCreateBytes: z.number().nonnegative(),
    rssAfterCreateBytes: z.number().nonnegative(),
    /** Highest RSS seen, sampled between runs, from before session create to the end of measurement. */
    rssPeakBytes: z.number().nonnegative(),
    rssAfterMeasureBytes: z.number().nonnegative(),
    /** The worker process's CPU time during measurement. */
    cpuUserMs: z.number().nonnegative(),
    cpuSystemMs: z.number().nonnegative(),
    /** (user + system CPU time) / measuring wall time: how many cores were busy on average. */
    avgCoresBusy: z.number().nonnegative(),
    /** Share of the machine's CPU other processes used during measurement (null where the OS does not say). */
    otherLoadShare: z.number().min(0).max(1).nullable(),
    /** CPU package energy (RAPL) during measurement, whole package: null where not readable. */
    cpuEnergyJ: z.number().nonnegative().nullable().default(null),
  }),
  /** Step 8; null when profiling was not asked for or failed. */
  placement: PlacementSummarySchema.nullable(),
  /** Why the profiled pass failed (the measurement itself stands). */
  placementError: z.string().nullable(),
});
export type BenchMeasurement = z.infer<typeof BenchMeasurementSchema>;

/** An input as it was fed: its concrete shape, and whether the run's batch size set its first axis. */
export interface FedShape {
  shape: readonly number[];
  /** The first fed dimension is the batch (absent in documents from before it was kept). */
  batchAxis?: boolean;
}

/**
 * Items one run answers: the first fed dimension of the inputs whose first axis the batch set, never
 * the batch asked for (a model with its batch fixed at 1 runs batch 1 whatever the plan says; a user's
 * tensor brings its own batch). Should they disagree, the smallest, so throughput is never overstated.
 * A model with no batch axis answers one item per run.
 */
export function itemsPerRun(fed: readonly FedShape[]): number {
  const batches = fed.filter((input) => input.batchAxis === true && input.shape.length > 0).map((input) => input.shape[0] as number);
  return batches.length > 0 ? Math.min(...batches) : 1;
}

/** Runs and items per second over the measuring time, items counted from the shapes fed. */
export function throughputOf(runs: number, measureMs: number, fed: readonly FedShape[]): { runsPerSec: number; itemsPerSec: number } {
  const runsPerSec = measureMs > 0 ? (runs / measureMs) * 1000 : 0;
  return { runsPerSec, itemsPerSec: runsPerSec * itemsPerRun(fed) };
}
