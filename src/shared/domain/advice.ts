/**
 * The deployment decision (docs/measurement.md#verdict): what the user requires, and the
 * verdict Inferscope gives from measured runs — which configuration is cheapest while
 * meeting the requirement, whether that needs a GPU, and what the answer rests on.
 */
import { z } from 'zod';
import { MedianComparisonSchema } from '../stats/schema';

/** Prices nobody gave us are assumptions, and the verdict says so next to every cost. */
export const DEFAULT_CPU_MACHINE_PER_HOUR = 0.1;
export const DEFAULT_GPU_MACHINE_PER_HOUR = 1.2;
export const DEFAULT_ELECTRICITY_PER_KWH = 0.15;

export const LatencyPercentileSchema = z.enum(['p50', 'p90', 'p95', 'p99']);
export type LatencyPercentile = z.infer<typeof LatencyPercentileSchema>;

/** "p95 ≤ 50 ms per request". */
export const LatencyTargetSchema = z.object({
  percentile: LatencyPercentileSchema,
  ms: z.number().positive(),
});
export type LatencyTarget = z.infer<typeof LatencyTargetSchema>;

/**
 * Per-hour prices of one instance: a machine like the one measured, running one
 * configuration. Absent values take the defaults above and are reported as assumptions.
 */
export const PricesSchema = z.object({
  /** A CPU machine like the measured one (no GPU), $ per hour. */
  cpuPerHour: z.number().positive().optional(),
  /** A machine with one GPU, $ per hour, for any GPU without a price of its own. */
  gpuPerHour: z.number().positive().optional(),
  /** $ per GPU-hour by GPU class, matched case-insensitively against the GPU's name ("L4", "H100"). */
  gpuByName: z.record(z.string().min(1), z.number().positive()).default({}),
  /** $ per kWh, for the energy cost of inferences where the GPU's power draw was measured. */
  electricityPerKwh: z.number().nonnegative().optional(),
  /**
   * $ per hour of a machine like one the runs were measured on, by its id ('local' for this machine, a saved
   * machine's id for `inferscope serve` hosts: docs/machines.md). Every setup measured there is priced at it,
   * whatever provider it runs on; machines without one fall back to the CPU / GPU prices above.
   */
  byMachine: z.record(z.string().min(1), z.number().positive()).optional(),
});
export type Prices = z.infer<typeof PricesSchema>;
export type PricesInput = z.input<typeof PricesSchema>;

export const RequirementSchema = z
  .object({
    /** null: no latency bound (offline throughput, MLPerf's Offline scenario). */
    latency: LatencyTargetSchema.nullable().default(null),
    /** Sustained requests per second the deployment must serve; null: the latency question alone. */
    throughputRps: z.number().positive().nullable().default(null),
    /**
     * How long a request may wait for others to fill a batch. 0 = no batching: only batch-1
     * configurations are eligible (unless there is no latency bound).
     */
    maxBatchDelayMs: z.number().nonnegative().default(0),
    prices: PricesSchema.default({ gpuByName: {} }),
  })
  .refine((r) => r.latency !== null || r.throughputRps !== null, 'A requirement needs a latency target, a throughput, or both.');
export type Requirement = z.infer<typeof RequirementSchema>;
export type RequirementInput = z.input<typeof RequirementSchema>;

/** Prices with the defaults filled in, and which of them are defaults. */
export const ResolvedPricesSchema = z.object({
  cpuPerHour: z.number().positive(),
  gpuPerHour: z.number().positive(),
  gpuByName: z.record(z.string(), z.number().positive()),
  electricityPerKwh: z.number().nonnegative(),
  byMachine: z.record(z.string(), z.number().positive()).default({}),
  assumed: z.array(z.enum(['cpu', 'gpu', 'electricity'])),
});
export type ResolvedPrices = z.infer<typeof ResolvedPricesSchema>;

export const VerdictStatusSchema = z.enum(['cpu-suffices', 'gpu-needed', 'gpu-worth-it', 'nothing-meets', 'insufficient-data']);
export type VerdictStatus = z.infer<typeof VerdictStatusSchema>;

/**
 * meets: the percentile meets the target even at the upper end of its 95 % CI;
 * borderline: the estimate and the interval disagree; fails: not even the lower end meets it.
 */
export const TargetStatusSchema = z.enum(['meets', 'borderline', 'fails']);
export type TargetStatus = z.infer<typeof TargetStatusSchema>;

/** One measured concurrency level of a setup: a point of its latency–throughput curve. */
export const CapacityPointSchema = z.object({
  configId: z.string(),
  concurrency: z.number().int().positive(),
  /** Requests (items) per second, all requests in flight together. */
  throughputRps: z.number().nonnegative(),
  /** Per-request latency at the target percentile (the median when there is no latency target). */
  percentileMs: z.number().nonnegative(),
  /** Order-statistic 95 % CI of that percentile; null when the samples cannot bound it (too few). */
  percentileCiLowMs: z.number().nullable(),
  percentileCiHighMs: z.number().nullable(),
  /** The CI came from the samples (true) or was scaled from the median's CI (stored statistics only). */
  percentileCiFromSamples: z.boolean(),
  medianMs: z.number().nonnegative(),
  /** null when the samples are too few for a CI of the median. */
  medianCiLowMs: z.number().nullable(),
  medianCiHighMs: z.number().nullable(),
  /** Waiting for a batch to fill at this throughput: (batch − 1) / throughput. */
  batchWaitMs: z.number().nonnegative(),
  /** This level on its own against the latency target (percentile + batch wait). */
  status: TargetStatusSchema.nullable(),
  /** Cost per million inferences if the deployment ran at this level (null when it misses the target). */
  costPerMillion: z.number().nonnegative().nullable(),
  stable: z.boolean(),
  /** Relative half-width of the median's CI; null when the samples are too few for one. */
  ciHalfWidthRel: z.number().nonnegative().nullable(),
  /** GPU power draw during the measurement (nvidia-smi), W. */
  powerWatts: z.number().nonnegative().nullable(),
});
export type CapacityPoint = z.infer<typeof CapacityPointSchema>;

/** The largest throughput a setup sustains within the latency target, from its measured levels only. */
export const CapacitySchema = z.object({
  /** null when not even the lowest measured level meets the target. */
  maxThroughputRps: z.number().nonnegative().nullable(),
  /** measured: a measured level; interpolated: between two levels; none: nothing meets. */
  basis: z.enum(['measured', 'interpolated', 'none']),
  /** Levels bracketing the capacity (equal when it is a measured level). */
  concurrency: z.tuple([z.number().int().positive(), z.number().int().positive()]).nullable(),
  /** Capacity with the percentile at the upper / lower end of its CI (pessimistic, optimistic). */
  lowRps: z.number().nonnegative().nullable(),
  highRps: z.number().nonnegative().nullable(),
  /** Capacity is the highest level measured: the setup might sustain more, unmeasured. */
  atHighestLevel: z.boolean(),
  /** Only one concurrency level was measured, so capacity under load is unknown. */
  singleLevel: z.boolean(),
  notes: z.array(z.string()),
});
export type Capacity = z.infer<typeof CapacitySchema>;

export const DeviceClassSchema = z.enum(['cpu', 'gpu']);
export type DeviceClass = z.infer<typeof DeviceClassSchema>;

/** A setup: one run's configurations that differ only in concurrency. */
export const VerdictRowSchema = z.object({
  id: z.string(),
  /** "CPU, 2 threads, batch 1", prefixed with the run when several runs are advised on. */
  label: z.string(),
  runId: z.string(),
  runLabel: z.string(),
  /** The measured hardware: "Intel Xeon Gold 6338 (16 threads) + NVIDIA L4". */
  machine: z.string(),
  /** The machine as the person calls it: "this machine", "gpu-box" (a saved machine), or its hardware for an imported run. */
  machineName: z.string(),
  /** The key of its price in `prices.byMachine` ('local', a saved machine's id); null for a run imported from elsewhere. */
  machineId: z.string().nullable(),
  model: z.string(),
  /** "original" or a variant id of the run. */
  variant: z.string(),
  variantLabel: z.string(),
  /** How close a variant's outputs stay to the original's ("top-1 agreement 98.7 %, …"); null for the original or when unmeasured. */
  variantQuality: z.string().nullable(),
  ep: z.string(),
  /** What the price is for: a CPU machine, or a machine with this GPU. */
  deviceClass: DeviceClassSchema,
  gpuName: z.string().nullable(),
  /** WebGPU on a software adapter (SwiftShader …): runs on the CPU, never a GPU. */
  softwareAdapter: z.boolean(),
  batch: z.number().int().positive(),
  threads: z.number().int().nonnegative(),
  points: z.array(CapacityPointSchema),
  capacity: CapacitySchema,
  /** Batch > 1 is eligible only with an allowed batching delay. */
  eligible: z.boolean(),
  /** The requirement as a whole: latency at the per-instance load, batch filling, throughput. */
  meetsRequirement: z.boolean(),
  targetStatus: TargetStatusSchema,
  /** Instances for the target throughput (1 without one); the range follows the capacity's CI. */
  instances: z.number().int().positive().nullable(),
  instancesRange: z.tuple([z.number().int().positive(), z.number().int().positive().nullable()]).nullable(),
  pricePerHour: z.number().positive(),
  priceLabel: z.string(),
  /** Cost per million inferences at the target throughput (or at capacity without one). */
  costPerMillion: z.number().nonnegative().nullable(),
  /** One instance fully loaded at its capacity. */
  costPerMillionAtCapacity: z.number().nonnegative().nullable(),
  /** Joules per inference at the capacity level, where the GPU's power was measured. */
  energyPerInferenceJ: z.number().nonnegative().nullable(),
  electricityPerMillion: z.number().nonnegative().nullable(),
  /** Warm-up stable, median CI within VERDICT_MAX_CI_HALF_WIDTH and the percentile bounded. */
  reliable: z.boolean(),
  /** The percentile's CI reaches no further than PERCENTILE_STABLE_REL from it. */
  percentileStable: z.boolean(),
  issues: z.array(z.string()),
  /** Noise warnings of the run for these configurations. */
  warnings: z.array(z.string()),
});
export type VerdictRow = z.infer<typeof VerdictRowSchema>;

/** A GPU setup that was measured, set against the CPU setup: the break-even then rests on its numbers, not on a guess. */
export const MeasuredGpuSchema = z.object({
  rowId: z.string(),
  /** "CUDA on NVIDIA L4, batch 1 on gpu-box". */
  label: z.string(),
  machineName: z.string(),
  perHour: z.number().positive(),
  /** Its capacity within the latency target (null: it misses the target at every level measured). */
  throughputRps: z.number().nonnegative().nullable(),
  /** Its fastest per-request latency at the watched percentile (with batch wait). */
  percentileMs: z.number().nonnegative().nullable(),
  /**
   * Its measured numbers clear the break-even: fully loaded it serves at least the throughput that makes it cost less
   * per inference than the CPU setup, or (where no CPU setup meets the latency target) it is at least that much faster.
   */
  clears: z.boolean(),
});
export type MeasuredGpu = z.infer<typeof MeasuredGpuSchema>;

export const BreakEvenSchema = z.object({
  /** The CPU setup a GPU would have to beat. */
  cpuRowId: z.string(),
  cpuLabel: z.string(),
  cpuThroughputRps: z.number().positive().nullable(),
  cpuPerHour: z.number().positive(),
  gpuPerHour: z.number().positive(),
  /** gpuPerHour / cpuPerHour: fully loaded, a GPU must serve this many times the CPU's throughput. */
  speedup: z.number().positive().nullable(),
  requiredGpuThroughputRps: z.number().positive().nullable(),
  /** At the target throughput, where whole instances make the comparison coarser. */
  atTarget: z
    .object({
      targetRps: z.number().positive(),
      cpuInstances: z.number().int().positive(),
      cpuCostPerHour: z.number().positive(),
      /** Most GPU machines that still cost less than the CPU fleet; 0 = no GPU can be cheaper. */
      maxGpuInstances: z.number().int().nonnegative(),
      requiredGpuThroughputRps: z.number().positive().nullable(),
      speedup: z.number().positive().nullable(),
    })
    .nullable(),
  /** When no CPU setup meets the latency target: how much faster per request a GPU must be. */
  latency: z.object({ cpuPercentileMs: z.number().positive(), targetMs: z.number().positive(), speedup: z.number().positive() }).nullable(),
  /** The measured GPU setup the figures are set against (its machine's price as gpuPerHour); null when no GPU was measured. */
  gpu: MeasuredGpuSchema.nullable().default(null),
  explanation: z.string(),
});
export type BreakEven = z.infer<typeof BreakEvenSchema>;

export const AdvisedRunSchema = z.object({
  id: z.string(),
  label: z.string(),
  machine: z.string(),
  /** "this machine", "gpu-box", or the hardware of a run imported from elsewhere. */
  machineName: z.string(),
  model: z.string(),
  /** A configuration ran on a hardware GPU provider. */
  hardwareGpu: z.boolean(),
  /** "No GPU provider was usable: …" where there is none. */
  gpuNote: z.string().nullable(),
});
export type AdvisedRun = z.infer<typeof AdvisedRunSchema>;

/** The run a verdict rests on: the model, the setup and when it was measured. */
export const VerdictBasisSchema = z.object({
  runId: z.string(),
  /** "mnist-cnn · 2026-11-28 22:37 UTC". */
  runLabel: z.string(),
  model: z.string(),
  /** "CPU with 2 threads, batch 1". */
  setup: z.string(),
  createdAt: z.string(),
  /** "mnist-cnn, CPU with 2 threads, batch 1, measured 2026-11-28 22:37 UTC (run 2026-11-28T22-37-…)". */
  text: z.string(),
});
export type VerdictBasis = z.infer<typeof VerdictBasisSchema>;

/** A setup measured again by a newer run: the older numbers are left out of the verdict. */
export const SupersededSetupSchema = z.object({
  setup: z.string(),
  runId: z.string(),
  runLabel: z.string(),
  byRunId: z.string(),
  byRunLabel: z.string(),
  text: z.string(),
});
export type SupersededSetup = z.infer<typeof SupersededSetupSchema>;

/**
 * How one provider did on one machine, when a model was measured on several: "CPU on this machine: fails p95 ≤ 20 ms
 * (52 ms at best)", "CUDA on gpu-box: meets it up to 2,400 req/s at $0.21 per million".
 */
export const MachineOutcomeSchema = z.object({
  machineName: z.string(),
  machineId: z.string().nullable(),
  ep: z.string(),
  /** "CUDA (NVIDIA L4) on gpu-box". */
  label: z.string(),
  /** The setup it rests on: the cheapest meeting the requirement, else the fastest. */
  rowId: z.string(),
  /** uncertain: it might meet the requirement, but the measurement cannot carry a verdict. */
  status: z.enum(['meets', 'borderline', 'uncertain', 'fails']),
  capacityRps: z.number().nonnegative().nullable(),
  costPerMillion: z.number().nonnegative().nullable(),
  pricePerHour: z.number().positive(),
  text: z.string(),
});
export type MachineOutcome = z.infer<typeof MachineOutcomeSchema>;

/** The answer for one model: several models measured together get one verdict each. */
export const ModelVerdictSchema = z.object({
  /** The model's name, as in every headline. */
  model: z.string(),
  sha256: z.string(),
  /** The runs of this model the verdict weighed (newest first as given). */
  runIds: z.array(z.string()),
  status: VerdictStatusSchema,
  /** The plain-language answer. */
  summary: z.string(),
  /** id of the cheapest row meeting the requirement. */
  cheapest: z.string().nullable(),
  /** The run and setup the answer rests on; null when nothing was measured. */
  basis: VerdictBasisSchema.nullable(),
  /** The numbers the answer rests on, with their uncertainty. */
  evidence: z.array(z.string()),
  /** What would have to be measured for a (better) verdict. */
  missing: z.array(z.string()),
  /** Caveats: noise warnings and borderline results the answer depends on. */
  caveats: z.array(z.string()),
  breakEven: BreakEvenSchema.nullable(),
  /** Older measurements of a setup a newer run measured again, left out. */
  superseded: z.array(SupersededSetupSchema),
  /** Where the model was measured on more than one machine: each machine's providers side by side; empty otherwise. */
  machines: z.array(MachineOutcomeSchema).default([]),
});
export type ModelVerdict = z.infer<typeof ModelVerdictSchema>;

export const VerdictSchema = z.object({
  requirement: z.object({
    latency: LatencyTargetSchema.nullable(),
    throughputRps: z.number().positive().nullable(),
    maxBatchDelayMs: z.number().nonnegative(),
    prices: ResolvedPricesSchema,
  }),
  /** One answer per model, in the order the models first appear among the runs. */
  models: z.array(ModelVerdictSchema),
  /** Every setup the verdicts weigh (the newest measurement of each), all models together. */
  rows: z.array(VerdictRowSchema),
  runs: z.array(AdvisedRunSchema),
  assumptions: z.array(z.string()),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export const ComparisonEntrySchema = z.object({
  label: z.string(),
  runId: z.string(),
  configId: z.string(),
  machine: z.string(),
  variant: z.string(),
  medianMs: z.number().nullable(),
  ciLowMs: z.number().nullable(),
  ciHighMs: z.number().nullable(),
  p95Ms: z.number().nullable(),
  throughputRps: z.number().nullable(),
  /** median(this) / median(baseline) with its bootstrap CI; null for the baseline or without samples. */
  vsBaseline: MedianComparisonSchema.nullable(),
  /** items/s(this) ÷ items/s(baseline); null for the baseline or without a measured rate. */
  throughputRatio: z.number().nullable(),
  /** Why throughputRatio and the ratio of medians point different ways (batch, in flight, slow runs, gaps); null when they agree. */
  throughputNote: z.string().nullable().default(null),
  /** "1.82× faster than the baseline (95 % CI 1.75–1.90×)" or "no measurable difference …". */
  statement: z.string(),
  /** What differs from the baseline's run besides the configuration: "different machines (…)", "onnxruntime 1.20 / 1.22". */
  environment: z.array(z.string()).default([]),
});
export type ComparisonEntry = z.infer<typeof ComparisonEntrySchema>;

export const ComparisonSchema = z.object({
  title: z.string(),
  baseline: z.string(),
  /** The entries were measured on different machines: differences include the hardware. */
  machinesDiffer: z.boolean(),
  entries: z.array(ComparisonEntrySchema),
  notes: z.array(z.string()),
});
export type Comparison = z.infer<typeof ComparisonSchema>;
