/**
 * Everything a run needs before the worker measures anything: the plan checked, the model and
 * its variants resolved, the configurations expanded (skipped where they cannot run here), and
 * the run's first document with what the machine's state already warns about.
 */
import { fp16Refusal, isHalfPrecision, type HardwareProfile } from '../../shared/domain/hardware';
import type { ModelInfo } from '../../shared/domain/model';
import { profileIsEmpty, withProfile, type InputProfile } from '../../shared/domain/profile';
import { BenchPlanSchema, concurrencyRefusal, unplannedConcurrency, type BenchPlan, type BenchPlanInput } from '../../shared/domain/plan';
import {
  RUN_SCHEMA,
  RUN_SCHEMA_VERSION,
  type ConfigResult,
  type RunDocument,
  type RunEnvironment,
  type RunModel,
  type RunVariant,
  type RunWarning,
} from '../../shared/domain/run';
import { InferscopeError } from '../../shared/errors';
import { DEFAULT_QUICK_REPETITIONS, formatPercent, PERCENTILE_METHOD, QUICK_REPETITION_MAX_MS, RUN_TO_RUN_FLOOR } from '../../shared/stats';
import { readNoiseSnapshot, type NoiseSnapshot } from '../hardware/noise';
import { newRunId } from '../store/runs';
import type { UserTensor } from './measurement';
import {
  MAX_CONFIGS,
  ORIGINAL,
  assertBatchesSupported,
  assertInputsResolvable,
  checkPlanMemory,
  expandPlan,
  type PlannedConfig,
} from './plan';
import { pendingConfig } from './results';
import { readTensorFile, readTensorFolder } from './tensor-files';

/** What preparing a run asks of the host: the model, its inspection, the machine, the variants. */
export interface PrepareDeps {
  resolveModel: (source: BenchPlan['model']) => Promise<{ path: string; sample: string | null }>;
  inspect: (path: string, dims: Record<string, number>) => Promise<ModelInfo>;
  /** The model file's sha256 and the input profile saved for it. */
  profile: (path: string, sample: string | null) => Promise<{ sha256: string; profile: InputProfile | null }>;
  hardware: () => Promise<HardwareProfile>;
  /** A variant made by the Quantize view, by id; it must come from this model. */
  variant: (id: string) => Promise<RunVariant & { sourceSha256: string }>;
  environment: Omit<RunEnvironment, 'hardware'>;
}

export interface PreparedRun {
  /** The first document: status running, every configuration pending or skipped. */
  doc: RunDocument;
  /** The configurations in the document's order (a sweep inserts more as it goes). */
  planned: PlannedConfig[];
  tensors: UserTensor[];
}

type ResolvedModel = Awaited<ReturnType<PrepareDeps['resolveModel']>>;

/** How many fresh worker processes measure each configuration, in words. */
function repetitionText(plan: BenchPlan): string {
  if (plan.repetitions === null) {
    return (
      `Each configuration is measured in ${DEFAULT_QUICK_REPETITIONS} fresh worker processes (repetitions) when one takes under ` +
      `${seconds(QUICK_REPETITION_MAX_MS)}, else in one.`
    );
  }
  return plan.repetitions === 1
    ? 'Each configuration is measured in one worker process (1 repetition).'
    : `Each configuration is measured in ${plan.repetitions} fresh worker processes (repetitions).`;
}

/** "2 s", "0.5 s", "1.25 s": seconds without trailing zeros. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

export const METHOD_TEXT = (plan: BenchPlan): RunDocument['method'] => ({
  warmup:
    `Warm-up runs the measuring loop unrecorded until the medians of the last 3 windows agree within ±2 % (Triton ` +
    `perf_analyzer's rule), or for at most ${seconds(plan.warmupMaxMs)} — then the result says "not stable".`,
  stopping:
    `Measurement keeps every sample and stops once it has at least ${plan.minIterations} runs, ` +
    `${seconds(plan.minTimeMs)}, and a 95 % confidence interval of the median within ±${(plan.ciTargetRel * 100).toFixed(1)} % ` +
    `of it — or at ${seconds(plan.maxTimeMs)}, reporting the interval reached.`,
  statistics:
    `One sample = one awaited session.run, timed with process.hrtime. Percentiles: ${PERCENTILE_METHOD}. ` +
    `${repetitionText(plan)} With two or more repetitions the median is the geometric mean of the repetitions' medians and ` +
    `its 95 % CI a Student t interval over their logarithms (t with R − 1 degrees of freedom), so it includes ` +
    `process-to-process variation; with one, the CI comes from order statistics within that process only (exact ` +
    `binomial ranks; normal approximation above 1000 samples). Comparisons: Welch's t over the repetitions' medians ` +
    `(a bootstrap of the samples when both sides ran once), and no difference under ${formatPercent(RUN_TO_RUN_FLOOR, { digits: 0 })} is ` +
    `claimed. Outliers: beyond 3·IQR from the quartiles.`,
  concurrency:
    'Concurrency N = N sessions, each on its own thread in the worker, running back to back: latency is per request, throughput ' +
    'is all runs over the measuring time.',
});

/** Validates the plan and prepares the run; refusals (PLAN_INVALID, BATCH_UNSUPPORTED, EP_UNAVAILABLE, …) come before anything is saved. */
export async function prepareRun(planInput: BenchPlanInput, deps: PrepareDeps): Promise<PreparedRun> {
  const asked = parsePlan(planInput);
  const model = await deps.resolveModel(asked.model);
  // The model's saved profile fills what the plan leaves open; the plan's own dims and values win.
  const { sha256, profile } = await deps.profile(model.path, model.sample);
  const merged = withProfile(profile, { dims: asked.dims, values: asked.inputs.values });
  const plan: BenchPlan = { ...asked, dims: merged.dims, inputs: { ...asked.inputs, values: merged.values } };
  const info = await deps.inspect(model.path, plan.dims);
  const hardware = await deps.hardware();
  const tensors = await readUserTensors(plan, info);
  assertInputsResolvable(
    info,
    plan,
    tensors.map((t) => t.name),
  );
  const planned = planConfigs(plan, hardware, info, tensors);
  const runModelInfo = runModel(model, info, sha256);
  const variants = await collectVariants(plan, model, info, runModelInfo, deps);

  const doc: RunDocument = {
    schema: RUN_SCHEMA,
    schemaVersion: RUN_SCHEMA_VERSION,
    id: newRunId(),
    createdAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    plan,
    model: runModelInfo,
    variants,
    environment: { ...deps.environment, hardware },
    method: METHOD_TEXT(plan),
    configs: planned.map((c) => pendingConfig(c)),
    warnings: [],
    importedFrom: null,
    error: null,
    inputProfile: profileIsEmpty(profile) ? null : profile,
  };
  const half = new Set(variants.filter((v) => isHalfPrecision(v)).map((v) => v.id));
  for (const config of doc.configs) skipIfUnrunnable(config, hardware, half.has(config.variant));
  // Levels a provider cannot take were not planned (expandPlan): the run says which, and why.
  if (!plan.sweep) {
    const eps = [...new Set(planned.map((c) => c.ep))];
    for (const left of unplannedConcurrency(eps, plan.concurrency)) {
      const levels = left.levels.join(', ');
      doc.warnings.push({ code: 'sweep-limited', configId: null, message: `${left.reason} Not planned: ${levels} requests in flight.` });
    }
  }
  doc.warnings.push(...noiseWarnings(await readNoiseSnapshot()));
  return { doc, planned, tensors };
}

/** The inputs folder's tensors, then the tensor files given as values (--input state=state.npy), which replace them. */
async function readUserTensors(plan: BenchPlan, info: ModelInfo): Promise<UserTensor[]> {
  const names = info.inputs.map((i) => i.name);
  const folder = plan.inputs.dir ? await readTensorFolder(plan.inputs.dir, names) : [];
  const files: UserTensor[] = [];
  for (const [name, value] of Object.entries(plan.inputs.values)) {
    if (value.kind === 'file' && names.includes(name)) files.push(await readTensorFile(value.path, name));
  }
  return [...folder.filter((t) => !files.some((f) => f.name === t.name)), ...files];
}

function parsePlan(planInput: BenchPlanInput): BenchPlan {
  const parsed = BenchPlanSchema.safeParse(planInput);
  if (!parsed.success) {
    throw new InferscopeError('PLAN_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const plan = parsed.data;
  if (plan.minTimeMs > plan.maxTimeMs) throw new InferscopeError('PLAN_INVALID', 'The minimum time must not exceed the maximum time.');
  return plan;
}

/** The plan's configurations on the providers asked for (default: every ready one), refused when too many or too big. */
function planConfigs(plan: BenchPlan, hardware: HardwareProfile, info: ModelInfo, tensors: UserTensor[]): PlannedConfig[] {
  const ready = hardware.providers.filter((p) => p.status === 'ready').map((p) => p.name);
  const eps = plan.eps.length > 0 ? plan.eps : ready;
  if (eps.length === 0) throw new InferscopeError('EP_UNAVAILABLE', 'No execution provider is ready on this machine.');
  // A batch the model cannot take would run its own batch and misreport items per second: refused before anything runs.
  assertBatchesSupported(info, plan.batches, { ...runDims(info), ...plan.dims });
  const planned = expandPlan(plan, eps);
  if (planned.length > MAX_CONFIGS) {
    throw new InferscopeError('PLAN_INVALID', `This plan expands to ${planned.length} configurations; at most ${MAX_CONFIGS} are allowed.`);
  }
  // Inputs × requests in flight for every configuration must fit the free memory: refused here, before the worker makes them.
  checkPlanMemory(info, plan, planned, tensors);
  return planned;
}

/** The model as given (where the plan includes it) and the variants asked for, each checked to come from this model. */
async function collectVariants(
  plan: BenchPlan,
  model: ResolvedModel,
  info: ModelInfo,
  runModelInfo: RunModel,
  deps: PrepareDeps,
): Promise<RunVariant[]> {
  const variants: RunVariant[] = [];
  if (plan.includeOriginal) {
    variants.push({
      id: ORIGINAL,
      label: `${info.precision} (as given)`,
      mode: null,
      path: model.path,
      sizeBytes: runModelInfo.sizeBytes,
      precision: info.precision,
      quality: [],
      warnings: [],
    });
  }
  for (const id of plan.variants) {
    const { sourceSha256, ...variant } = await deps.variant(id);
    if (sourceSha256 !== runModelInfo.sha256) {
      throw new InferscopeError(
        'PLAN_INVALID',
        `The variant ${variant.label} was made from another model (or the model changed since); make it again.`,
      );
    }
    variants.push(variant);
  }
  if (variants.length === 0) throw new InferscopeError('PLAN_INVALID', 'Nothing to measure: pick the model, a variant, or both.');
  return variants;
}

/**
 * A configuration whose provider is not ready here, or which that provider cannot run (too many requests in flight,
 * a float16 model where the probe found no float16), is skipped with the reason.
 */
export function skipIfUnrunnable(config: ConfigResult, hardware: HardwareProfile, halfPrecision: boolean): void {
  const provider = hardware.providers.find((p) => p.name === config.ep);
  const refusal = concurrencyRefusal(config.ep, config.concurrency);
  const noHalf = halfPrecision ? fp16Refusal(provider) : null;
  if (!provider || provider.status !== 'ready') {
    config.status = 'skipped';
    config.error = {
      code: 'EP_UNAVAILABLE',
      message: provider
        ? `${provider.displayName} is ${provider.status}: ${provider.detail}`
        : `"${config.ep}" is not an execution provider on this machine.`,
    };
  } else if (refusal) {
    config.status = 'skipped';
    config.error = { code: 'NOT_SUPPORTED', message: refusal };
  } else if (noHalf) {
    config.status = 'skipped';
    config.error = { code: 'FP16_UNSUPPORTED', message: noHalf };
  }
}

function noiseWarnings(noise: NoiseSnapshot): RunWarning[] {
  const warnings: RunWarning[] = [];
  if (noise.governor && noise.governor !== 'performance') {
    warnings.push({
      code: 'governor',
      configId: null,
      message: `The CPU frequency governor is "${noise.governor}", not "performance": clocks may change during the run.`,
    });
  }
  if (noise.onBattery)
    warnings.push({ code: 'battery', configId: null, message: 'This machine runs on battery: it may slow its CPU and GPU to save power.' });
  return warnings;
}

function runModel(model: ResolvedModel, info: ModelInfo, sha256: string): RunModel {
  return {
    name: model.sample ?? info.name,
    path: model.path,
    sample: model.sample,
    sizeBytes: info.sizeBytes + info.externalDataBytes,
    sha256,
    inputs: info.inputs,
    outputs: info.outputs,
    opsets: info.opsets,
    precision: info.precision,
    parameters: info.parameters.total,
    macs: info.macs,
    nodeCount: info.nodeCount,
    dims: runDims(info),
    variant: 'fp32',
    ...(info.convertedFrom ? { convertedFrom: info.convertedFrom } : {}),
  };
}

/** Symbolic dims the run sets by name: the user's and the stated defaults, never the batch (each configuration sets that). */
function runDims(info: ModelInfo): Record<string, number> {
  return Object.fromEntries(
    info.dims.filter((d) => d.value !== null && d.source !== 'batch-default').map((d) => [d.name, d.value as number]),
  );
}
