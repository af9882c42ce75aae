import { parseInputValues } from '../../../shared/domain/input-values';
import type { ModelSource } from '../../../shared/domain/app';
import { fp16Refusal, isHalfPrecision, type ProviderStatus } from '../../../shared/domain/hardware';
import { batchRefusal, fixedBatchReason, takesBatches, type DeclaredInput } from '../../../shared/domain/batch';
import type { SymbolicDim } from '../../../shared/domain/model';
import { plannedConcurrency, unplannedConcurrency, type BenchPlanInput, type GraphOptimizationLevel } from '../../../shared/domain/plan';
import {
  DEFAULT_CI_TARGET_REL,
  DEFAULT_MAX_TIME_MS,
  DEFAULT_MIN_ITERATIONS,
  DEFAULT_MIN_TIME_MS,
  DEFAULT_WARMUP_MAX_MS,
  MAX_REPETITIONS,
} from '../../../shared/stats/constants';
import { estimatePlanDuration, type PlanDuration } from '../../../shared/domain/plan-duration';
import { DEFAULT_THREADS_TEXT, parseIntList, type ListParse } from '../../../shared/parse/lists';

/**
 * The plan form as typed. Lists and numbers stay text so a half-typed value ("1, 2,") survives
 * re-renders; {@link buildPlan} turns the whole form into a plan or names every bad field.
 */
export interface BenchDraft {
  batches: string;
  /** "default" (or 0) is onnxruntime's own choice, one thread per physical core. */
  threads: string;
  concurrency: string;
  /** Symbolic dims other than the batch, as typed (the model's input profile until changed); empty = not set. */
  dims: Record<string, string>;
  minTimeS: string;
  maxTimeS: string;
  minIterations: string;
  /** Half-width of the 95 % CI of the median, in percent of the median. */
  ciTargetPct: string;
  /** Fresh worker processes per configuration; empty = decided by cost (3 when one takes under 5 s, else 1). */
  repetitions: string;
  /** Empty = the services' default cap. */
  warmupMaxS: string;
  seed: string;
  intMin: string;
  intMax: string;
  /** A folder on the machine that runs the models, not in this browser. */
  inputsDir: string;
  /** "sr=16000, state=zeros": data for named inputs, as `--input NAME=VALUE` takes it. */
  inputValues: string;
  graphOptimizationLevel: GraphOptimizationLevel;
  profile: boolean;
}

export type DraftField = Exclude<keyof BenchDraft, 'dims' | 'graphOptimizationLevel' | 'profile'> | `dim:${string}` | 'eps' | 'model';

export { DEFAULT_THREADS_TEXT };

export function defaultDraft(): BenchDraft {
  return {
    batches: '1',
    threads: DEFAULT_THREADS_TEXT,
    concurrency: '1',
    dims: {},
    minTimeS: String(DEFAULT_MIN_TIME_MS / 1000),
    maxTimeS: String(DEFAULT_MAX_TIME_MS / 1000),
    minIterations: String(DEFAULT_MIN_ITERATIONS),
    ciTargetPct: String(DEFAULT_CI_TARGET_REL * 100),
    repetitions: '',
    warmupMaxS: '',
    seed: '0',
    intMin: '',
    intMax: '',
    inputsDir: '',
    inputValues: '',
    graphOptimizationLevel: 'all',
    profile: true,
  };
}

export { parseIntList, type ListParse };

/** A threads value as the person reads it: 0 is onnxruntime's default. */
export function threadsLabel(threads: number): string {
  return threads === 0 ? 'default threads' : `${threads} thread${threads === 1 ? '' : 's'}`;
}

/** The symbolic dims the plan form offers: batch-like dims come from the batch sizes instead. */
export function planDims(dims: readonly SymbolicDim[]): SymbolicDim[] {
  return dims.filter((dim) => dim.source !== 'batch-default');
}

export function dimsDraft(dims: readonly SymbolicDim[]): Record<string, string> {
  return Object.fromEntries(planDims(dims).map((dim) => [dim.name, dim.value === null ? '' : String(dim.value)]));
}

/** Providers a plan can use right now, in detection order. */
export function readyProviders(providers: readonly ProviderStatus[]): string[] {
  return providers.filter((provider) => provider.status === 'ready').map((provider) => provider.name);
}

/**
 * Before starting: which ticked providers cannot run the float16 models chosen (their probe found no float16, e.g.
 * WebGPU on an adapter without shader-f16), in words; null when none. Those configurations are skipped, not run.
 */
export function fp16Warning(
  providers: readonly ProviderStatus[],
  eps: readonly string[],
  models: readonly { label: string; mode: string | null; precision?: string | null }[],
): string | null {
  const half = models.filter((model) => isHalfPrecision(model)).map((model) => model.label);
  if (half.length === 0) return null;
  const refusals = providers.filter((p) => eps.includes(p.name)).flatMap((p) => fp16Refusal(p) ?? []);
  if (refusals.length === 0) return null;
  return `${refusals.join(' ')} Skipped there: ${half.join(', ')}.`;
}

/** A model source as one string, for a <select> value; {@link sourceFromKey} reads it back. */
export function sourceKey(source: ModelSource): string {
  return source.kind === 'sample' ? `sample:${source.name}` : `path:${source.path}`;
}

export function sourceFromKey(key: string): ModelSource | null {
  if (key.startsWith('sample:') && key.length > 7) return { kind: 'sample', name: key.slice(7) };
  if (key.startsWith('path:') && key.length > 5) return { kind: 'path', path: key.slice(5) };
  return null;
}

export type PlanBuild =
  | {
      ok: true;
      plan: BenchPlanInput;
      /** Configurations the host will measure (levels a provider cannot take left out). */
      configCount: number;
      /** Configurations left out of the plan, and why (WebGPU above one request in flight). */
      leftOut: { count: number; reason: string } | null;
    }
  | { ok: false; errors: Partial<Record<DraftField, string>> };

/** The batch field's hint for a model with no batch axis ("… this model takes batch 1 only"); null when it takes any batch. */
export function fixedBatchHint(inputs: readonly DeclaredInput[] | null): string | null {
  if (!inputs || takesBatches(inputs)) return null;
  const reason = fixedBatchReason(inputs);
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/**
 * The whole form as a plan for 'bench.start'. Every provider is listed explicitly (never the
 * schema's "empty = every ready one"), so the plan says exactly what the person ticked. `inputs`
 * (the chosen model's, once inspected) refuse batch sizes the model cannot take, as the host would.
 */
export function buildPlan(
  draft: BenchDraft,
  model: ModelSource | null,
  eps: readonly string[],
  inputs: readonly DeclaredInput[] | null = null,
): PlanBuild {
  const errors: Partial<Record<DraftField, string>> = {};
  if (!model) errors.model = 'Choose a model to measure';
  if (eps.length === 0) errors.eps = 'Tick at least one execution provider';

  const list = (field: 'batches' | 'threads' | 'concurrency', allowDefault = false): number[] => {
    const parsed = parseIntList(draft[field], { allowDefault });
    if (parsed.ok) return parsed.values;
    errors[field] = parsed.error;
    return [];
  };
  const batches = list('batches');
  const threads = list('threads', true);
  const concurrency = list('concurrency');

  const dims = parseDims(draft, errors);

  const seconds = (field: 'minTimeS' | 'maxTimeS' | 'warmupMaxS', allowZero: boolean): number | null => {
    const text = draft[field].trim();
    if (text === '') return null;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      errors[field] = allowZero ? 'Enter seconds, 0 or more' : 'Enter seconds, more than 0';
      return null;
    }
    return Math.round(value * 1000);
  };
  const minTimeMs = seconds('minTimeS', true);
  const maxTimeMs = seconds('maxTimeS', false);
  const warmupMaxMs = seconds('warmupMaxS', true);
  if (minTimeMs !== null && maxTimeMs !== null && minTimeMs > maxTimeMs) errors.maxTimeS = 'Must not be below the minimum time';

  let minIterations: number | null = null;
  if (draft.minIterations.trim() !== '') {
    minIterations = wholeNumber(draft.minIterations.trim());
    if (minIterations === null || minIterations < 1) {
      errors.minIterations = 'Enter a whole number of 1 or more';
      minIterations = null;
    }
  }

  let ciTargetRel: number | null = null;
  if (draft.ciTargetPct.trim() !== '') {
    const pct = Number(draft.ciTargetPct.trim());
    if (!Number.isFinite(pct) || pct <= 0 || pct >= 100) errors.ciTargetPct = 'Enter a percentage above 0 and below 100';
    else ciTargetRel = pct / 100;
  }

  let repetitions: number | null = null;
  const repetitionsText = (draft.repetitions ?? '').trim();
  if (repetitionsText !== '') {
    repetitions = wholeNumber(repetitionsText);
    if (repetitions === null || repetitions < 1 || repetitions > MAX_REPETITIONS) {
      errors.repetitions = `Enter a whole number from 1 to ${MAX_REPETITIONS}, or leave empty`;
      repetitions = null;
    }
  }

  let seed = 0;
  if (draft.seed.trim() !== '') {
    const value = integer(draft.seed.trim());
    if (value === null) errors.seed = 'Enter a whole number';
    else seed = value;
  }

  let intRange: { min: number; max: number } | null = null;
  const intMin = draft.intMin.trim();
  const intMax = draft.intMax.trim();
  if (intMin !== '' || intMax !== '') {
    const min = integer(intMin);
    const max = integer(intMax);
    if (min === null) errors.intMin = intMin === '' ? 'Give both ends of the range' : 'Enter a whole number';
    if (max === null) errors.intMax = intMax === '' ? 'Give both ends of the range' : 'Enter a whole number';
    if (min !== null && max !== null) {
      if (min > max) errors.intMax = 'Must not be below the lower end';
      else intRange = { min, max };
    }
  }

  const values = parseInputValues(draft.inputValues ?? '');
  if (!values.ok) errors.inputValues = values.error;

  const refusal = inputs && !errors.batches ? batchRefusal(inputs, batches, dims) : null;
  if (refusal) errors.batches = refusal.code === 'BATCH_UNSUPPORTED' ? `${fixedBatchHint(inputs)}. Enter 1` : refusal.message;

  if (Object.keys(errors).length > 0 || !model) return { ok: false, errors };

  const inputsDir = draft.inputsDir.trim();
  const plan: BenchPlanInput = {
    model,
    eps: [...eps],
    batches,
    threads,
    concurrency,
    dims,
    inputs: {
      seed,
      ...(intRange ? { intRange } : {}),
      ...(inputsDir ? { dir: inputsDir } : {}),
      ...(values.ok && Object.keys(values.values).length > 0 ? { values: values.values } : {}),
    },
    graphOptimizationLevel: draft.graphOptimizationLevel,
    profile: draft.profile,
    ...(minTimeMs !== null ? { minTimeMs } : {}),
    ...(maxTimeMs !== null ? { maxTimeMs } : {}),
    ...(warmupMaxMs !== null ? { warmupMaxMs } : {}),
    ...(minIterations !== null ? { minIterations } : {}),
    ...(ciTargetRel !== null ? { ciTargetRel } : {}),
    ...(repetitions !== null ? { repetitions } : {}),
  };
  const [unplanned, setups] = [unplannedConcurrency(eps, concurrency), batches.length * threads.length]; // WebGPU: one at a time
  const left = unplanned.reduce((n, u) => n + u.levels.length, 0) * setups;
  const configCount = eps.reduce((n, ep) => n + plannedConcurrency(ep, concurrency).length, 0) * setups;
  return { ok: true, plan, configCount, leftOut: unplanned[0] ? { count: left, reason: unplanned[0].reason } : null };
}

/** The plan's duration range before it starts (only the configurations it measures); `runMs` from an earlier run. */
export function planDuration(build: PlanBuild, runMs: number | null): PlanDuration | null {
  if (!build.ok) return null;
  const p = build.plan;
  return estimatePlanDuration(
    {
      configs: build.configCount,
      minTimeMs: p.minTimeMs ?? DEFAULT_MIN_TIME_MS,
      maxTimeMs: p.maxTimeMs ?? DEFAULT_MAX_TIME_MS,
      warmupMaxMs: p.warmupMaxMs ?? DEFAULT_WARMUP_MAX_MS,
      minIterations: p.minIterations ?? DEFAULT_MIN_ITERATIONS,
      profile: p.profile ?? true,
      repetitions: p.repetitions ?? null,
    },
    runMs,
  );
}

/** The symbolic dims as typed; an empty one is required unless tensors from a folder bring their own shapes. */
function parseDims(draft: BenchDraft, errors: Partial<Record<DraftField, string>>): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const [name, raw] of Object.entries(draft.dims)) {
    const text = raw.trim();
    if (text === '') {
      // Tensors from a folder bring their own shapes; generated ones need every size.
      if (draft.inputsDir.trim() === '') errors[`dim:${name}`] = 'Required: the model leaves this size open';
      continue;
    }
    const value = wholeNumber(text);
    if (value === null || value < 1) errors[`dim:${name}`] = 'Enter a whole number of 1 or more';
    else dims[name] = value;
  }
  return dims;
}

function wholeNumber(text: string): number | null {
  const value = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(value) ? value : null;
}

function integer(text: string): number | null {
  const value = Number(text);
  return /^-?\d+$/.test(text) && Number.isSafeInteger(value) ? value : null;
}
