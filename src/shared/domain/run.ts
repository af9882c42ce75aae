/**
 * The run document: everything one benchmark run measured, with the environment it was
 * measured in. Saved as versioned JSON (the same document the CLI's --json writes), so a
 * run opened a year later or imported from another machine still renders and compares.
 */
import { z } from 'zod';
import { InputProfileSchema } from './profile';
import { DifferenceSchema, QualityVerdictSchema } from './quantize';
import { PlainFileNameSchema } from './file-name';
import { LatencyStatsSchema } from '../stats/schema';
import { ErrorInfoSchema } from '../contract/error';
import { HardwareProfileSchema } from './hardware';
import { TensorInfoSchema, PrecisionSchema } from './model';
import { BenchPlanSchema } from './plan';
import { InputSourceSchema } from './input-values';
import { ConvertedFromSchema } from './convert';
import { MachineRefSchema } from './machine';

export const RUN_SCHEMA = 'inferscope.run';
export const RUN_SCHEMA_VERSION = 1;

export const RunStatusSchema = z.enum(['running', 'completed', 'cancelled', 'failed', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const ConfigStatusSchema = z.enum(['pending', 'running', 'done', 'failed', 'cancelled', 'skipped']);
export type ConfigStatus = z.infer<typeof ConfigStatusSchema>;

/** Where the operators of one configuration ran, from the profiled pass. */
export const PlacementSchema = z.object({
  requestedProvider: z.string(),
  /** Profiled runs the numbers below add up over. */
  runs: z.number().int().nonnegative(),
  /** provider → number of nodes it ran. */
  nodesByEp: z.record(z.string(), z.number().int().nonnegative()),
  /** provider → share (0–1) of the node time in the profiled pass. */
  timeShareByEp: z.record(z.string(), z.number().min(0).max(1)),
  /** Nodes that ran elsewhere than on the requested provider. */
  fallbackNodes: z.array(z.object({ node: z.string(), op: z.string(), provider: z.string() })),
  topOps: z.array(
    z.object({
      op: z.string(),
      provider: z.string(),
      nodes: z.number().int().nonnegative(),
      timeUs: z.number().nonnegative(),
      timeShare: z.number().min(0).max(1),
    }),
  ),
  nodes: z.array(
    z.object({
      node: z.string(),
      op: z.string(),
      provider: z.string(),
      runs: z.number().int().nonnegative(),
      totalUs: z.number().nonnegative(),
    }),
  ),
  /** File name of the Perfetto / chrome://tracing trace saved beside the run, if kept. */
  traceFile: PlainFileNameSchema.nullable(),
});
export type Placement = z.infer<typeof PlacementSchema>;

/**
 * One repetition of a configuration: a fresh worker process with its own session, warm-up and measuring
 * (docs/measurement.md#repetitions). Its samples are configs[].samples[firstSample, firstSample + sampleCount).
 */
export const RepetitionSchema = z.object({
  /** 1-based, in the order measured. */
  index: z.number().int().positive(),
  status: z.enum(['done', 'failed', 'cancelled']),
  error: ErrorInfoSchema.nullable(),
  firstSample: z.number().int().nonnegative(),
  sampleCount: z.number().int().nonnegative(),
  latencyMs: LatencyStatsSchema.nullable(),
  throughput: z.object({ runsPerSec: z.number().nonnegative(), itemsPerSec: z.number().nonnegative() }).nullable(),
  measureMs: z.number().nonnegative().nullable(),
  stopReason: z.enum(['ci-reached', 'max-time', 'max-iterations']).nullable(),
  /** The worker process that measured it (each repetition has its own). */
  pid: z.number().int().nullable().default(null),
  /** Worker start to result: what one repetition costs (decides how many a plan without a count gets). */
  wallMs: z.number().nonnegative(),
  warmupStable: z.boolean().nullable(),
  /** Share of the machine other processes used while this repetition measured; null where unreadable. */
  otherLoadShare: z.number().nonnegative().nullable(),
  trendRatio: z.number().nullable(),
  /** Its median stands apart from the other repetitions' (outlierRepetitions): kept in the CI, which widens, and flagged. */
  outlier: z.boolean(),
});
export type Repetition = z.infer<typeof RepetitionSchema>;

/** How far the headline median's CI reaches: one process, or several fresh ones. */
export const UncertaintySchema = z.object({
  scope: z.enum(['within-process', 'across-processes']),
  repetitions: z.number().int().nonnegative(),
  /** Standard deviation of ln(median) across repetitions (≈ relative process-to-process spread); null with one. */
  betweenLogSd: z.number().nonnegative().nullable(),
  /** (largest − smallest repetition median) / median; null with one. */
  betweenSpreadRel: z.number().nonnegative().nullable(),
  /** Why the scope is what it is, in words ("one repetition took 12 s: run-to-run variation was not sampled"). */
  note: z.string().nullable(),
});
export type Uncertainty = z.infer<typeof UncertaintySchema>;

export const ConfigResultSchema = z.object({
  /** Stable within a run: "cpu/b1/t0/c1" for the model as given, "<variant id>/cpu/b1/t0/c1" for a variant. */
  id: z.string(),
  /** "original" or a variant id (see RunDocument.variants). */
  variant: z.string().default('original'),
  ep: z.string(),
  batch: z.number().int().positive(),
  threads: z.number().int().nonnegative(),
  concurrency: z.number().int().positive(),
  status: ConfigStatusSchema,
  error: ErrorInfoSchema.nullable(),
  /** Provider name as onnxruntime reports it (CPUExecutionProvider, …). */
  provider: z.string().nullable(),
  loadMs: z.number().nonnegative().nullable(),
  sessionCreateMs: z.number().nonnegative().nullable(),
  firstRunMs: z.number().nonnegative().nullable(),
  warmup: z
    .object({
      iterations: z.number().int().nonnegative(),
      ms: z.number().nonnegative(),
      stable: z.boolean(),
      windowMedians: z.array(z.number()),
      /** Why warm-up was cut short of its cap (one run is a large share of the maximum time); absent in older documents. */
      cut: z.enum(['shortened', 'skipped']).nullable().default(null),
    })
    .nullable(),
  /** Warm-up reached the stability rule (and the run was not cut short). */
  stable: z.boolean(),
  stopReason: z.enum(['ci-reached', 'max-time', 'max-iterations']).nullable(),
  measureMs: z.number().nonnegative().nullable(),
  latencyMs: LatencyStatsSchema.nullable(),
  throughput: z.object({ runsPerSec: z.number().nonnegative(), itemsPerSec: z.number().nonnegative() }).nullable(),
  /** Every measured sample in ms, in the order measured (thread by thread with concurrency). */
  samples: z.array(z.number().nonnegative()),
  samplesPerThread: z.array(z.number().int().nonnegative()),
  trendRatio: z.number().nullable(),
  memory: z
    .object({
      rssBeforeCreateBytes: z.number().nonnegative(),
      rssAfterCreateBytes: z.number().nonnegative(),
      rssPeakBytes: z.number().nonnegative(),
      rssAfterMeasureBytes: z.number().nonnegative(),
    })
    .nullable(),
  cpu: z
    .object({
      userMs: z.number().nonnegative(),
      systemMs: z.number().nonnegative(),
      avgCoresBusy: z.number().nonnegative(),
      /** Average CPU package power during measurement from RAPL counters (Linux, where readable); null elsewhere. */
      packagePowerWatts: z.number().nonnegative().nullable().default(null),
    })
    .nullable(),
  /** nvidia-smi during measurement, where present. */
  gpu: z
    .object({
      memoryUsedBytes: z.number().nonnegative().nullable(),
      utilizationPercent: z.number().nonnegative().nullable(),
      powerDrawWatts: z.number().nonnegative().nullable(),
    })
    .nullable(),
  /** The inputs as fed: items per second counts the first dimension of those with a batch axis (one item per run if none). */
  inputs: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      shape: z.array(z.number().int().nonnegative()),
      /** random, user (the inputs folder), or the value given or stated: number, zeros, ones, range, uniform, file. */
      source: InputSourceSchema,
      /** The value given or the stated default, e.g. "16000", "zeros (a recurrent state starts at zero)". */
      value: z.string().optional(),
      /** The run's batch size set this input's first axis, so it counts the items (absent in documents from before it was kept). */
      batchAxis: z.boolean().optional(),
    }),
  ),
  placement: PlacementSchema.nullable(),
  placementError: z.string().nullable(),
  warnings: z.array(z.string()),
  /** Every repetition measured, in order (empty in documents from before repetitions: one process). */
  repetitions: z.array(RepetitionSchema).default([]),
  /** What the headline CI covers; absent in documents from before repetitions (within one process). */
  uncertainty: UncertaintySchema.nullable().default(null),
});
export type ConfigResult = z.infer<typeof ConfigResultSchema>;

/**
 * Each finished repetition's median, in order: what comparisons across repetitions rest on. A document from
 * before repetitions (or a configuration measured once) gives its one median.
 */
export function repetitionMedians(config: Pick<ConfigResult, 'repetitions' | 'latencyMs' | 'status'>): number[] {
  const medians = config.repetitions.flatMap((r) => (r.status === 'done' && r.latencyMs ? [r.latencyMs.median] : []));
  if (medians.length > 0) return medians;
  return config.status === 'done' && config.latencyMs ? [config.latencyMs.median] : [];
}

export const RunWarningSchema = z.object({
  code: z.enum([
    'governor',
    'battery',
    'other-load',
    'throttling',
    'not-stable',
    'software-adapter',
    'ci-not-reached',
    'too-few-runs',
    'warmup-shortened',
    'fallback-nodes',
    'debug-build',
    'sweep-limited',
    'repetition-outlier',
  ]),
  message: z.string(),
  /** The configuration it concerns, if one. */
  configId: z.string().nullable(),
});
export type RunWarning = z.infer<typeof RunWarningSchema>;

export const RunModelSchema = z.object({
  name: z.string(),
  path: z.string(),
  sample: z.string().nullable(),
  sizeBytes: z.number().nonnegative(),
  sha256: z.string(),
  inputs: z.array(TensorInfoSchema),
  outputs: z.array(TensorInfoSchema),
  opsets: z.array(z.object({ domain: z.string(), version: z.number() })),
  precision: PrecisionSchema,
  parameters: z.number().nonnegative(),
  macs: z.number().nullable(),
  nodeCount: z.number().nonnegative(),
  /** Symbolic dimensions other than the batch, with the values the run used (the user's or the stated defaults). */
  dims: z.record(z.string(), z.number()).default({}),
  /** Variant label once quantized variants are measured ("fp32" for the model as given). */
  variant: z.string().default('fp32'),
  /** The PyTorch / TensorFlow file the model was converted from (docs/conversion.md); absent for any other model. */
  convertedFrom: ConvertedFromSchema.nullable().optional(),
});
export type RunModel = z.infer<typeof RunModelSchema>;

/** A model measured in the run: the original or one of its variants, with what it costs on disk and in accuracy. */
export const RunVariantSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** null for the original. */
  mode: z.string().nullable(),
  path: z.string(),
  sizeBytes: z.number().nonnegative(),
  precision: z.string(),
  /** Per output, against the original on the same inputs (empty for the original). */
  quality: z.array(
    z.object({
      name: z.string(),
      /** Infinity (null in JSON) when the variant's output is broken (NaN/Inf where the original is finite). */
      maxAbsDiff: DifferenceSchema,
      meanAbsDiff: DifferenceSchema,
      sqnrDb: z.number().nullable(),
      cosine: z.number(),
      nanCount: z.number().int().nonnegative().default(0),
      infCount: z.number().int().nonnegative().default(0),
      top1Agreement: z.number().optional(),
      top5Overlap: z.number().optional(),
      broken: z.boolean().optional(),
      verdict: QualityVerdictSchema.optional(),
    }),
  ),
  warnings: z.array(z.string()).default([]),
  /** The variant's own verdict when it was made (docs/quantization.md#verdicts); absent for the original and older runs. */
  verdict: QualityVerdictSchema.optional(),
  verdictReason: z.string().optional(),
});
export type RunVariant = z.infer<typeof RunVariantSchema>;

export const RunEnvironmentSchema = z.object({
  hardware: HardwareProfileSchema,
  host: z.enum(['electron', 'browser', 'cli']),
  app: z.object({ version: z.string() }),
  versions: z.object({ node: z.string(), onnxruntime: z.string(), electron: z.string().nullable(), chromium: z.string().nullable() }),
});
export type RunEnvironment = z.infer<typeof RunEnvironmentSchema>;

export const RunDocumentSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  id: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  status: RunStatusSchema,
  plan: BenchPlanSchema,
  model: RunModelSchema,
  environment: RunEnvironmentSchema,
  /** How the numbers were made, printed beside them. */
  method: z.object({
    warmup: z.string(),
    stopping: z.string(),
    statistics: z.string(),
    concurrency: z.string(),
  }),
  /** The models measured: the original (id "original") and any variants, in plan order. */
  variants: z.array(RunVariantSchema).default([]),
  configs: z.array(ConfigResultSchema),
  warnings: z.array(RunWarningSchema),
  /** Set when the run was imported from a file (another machine, the CLI). */
  importedFrom: z.string().nullable().default(null),
  /** The input profile saved for the model that filled dims and values the plan left open (absent: none). */
  inputProfile: InputProfileSchema.nullable().optional(),
  /**
   * Why the run stopped before measuring all it planned, where no configuration's own error says
   * it: DISK_FULL (with the path) when the document could not be saved.
   */
  error: ErrorInfoSchema.nullable().default(null),
  /**
   * The other machine that measured it (`inferscope serve` reached from this app: docs/machines.md); absent or null
   * for this machine. `environment` describes that machine's hardware and versions.
   */
  machine: MachineRefSchema.nullable().optional(),
});
export type RunDocument = z.infer<typeof RunDocumentSchema>;

export const RunSummarySchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  status: RunStatusSchema,
  model: z.string(),
  variant: z.string(),
  machine: z.string(),
  /** What it measured: "CPU, WebGPU · batch 1, 8 · 1–8 parallel requests" (absent from older hosts). */
  setup: z.string().optional(),
  configs: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  /** The fastest median among finished configurations, with its label. */
  best: z.object({ configId: z.string(), medianMs: z.number() }).nullable(),
  imported: z.boolean(),
  /** The other machine that measured it (`machine` above starts with its name then); absent or null for this machine. */
  remote: MachineRefSchema.nullable().optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** Live progress of a running benchmark, at most one event per 50 ms. */
export const BenchProgressEventSchema = z.object({
  runId: z.string(),
  configId: z.string(),
  configIndex: z.number().int().nonnegative(),
  configCount: z.number().int().positive(),
  phase: z.enum(['load', 'session-create', 'first-run', 'warmup', 'measure', 'profile']),
  iterations: z.number().int().nonnegative(),
  elapsedMs: z.number().nonnegative(),
  medianMs: z.number().nullable(),
  ciHalfWidthRel: z.number().nullable(),
  /** Samples measured since the previous progress event (for the live charts). */
  samplesMs: z.array(z.number()),
  /** The repetition (fresh worker process) measuring now, 1-based, and how many are planned (null: decided after the first). */
  repetition: z.number().int().positive().optional(),
  repetitions: z.number().int().positive().nullable().optional(),
  /** Whole run: share done (0–1) and an estimate of the time left. */
  fraction: z.number().min(0).max(1),
  etaMs: z.number().nonnegative().nullable(),
});
export type BenchProgressEvent = z.infer<typeof BenchProgressEventSchema>;
