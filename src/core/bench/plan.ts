import type { ModelInfo } from '../../shared/domain/model';
import { plannedConcurrency, type BenchPlan } from '../../shared/domain/plan';
import { batchRefusal, type NamedDims } from '../../shared/domain/batch';
import { InferscopeError, toErrorInfo } from '../../shared/errors';
import { inputSetting, setting } from '../../shared/settings';
import { assertFits, tensorNeed } from '../budget';
import { chooseInputValue, formatInputValue, inputRequiredMessage } from '../../shared/domain/input-values';
import { unnamedDimName } from '../onnx/inspect';
import { dimsRequired, resolveInputShape, type MissingDim } from './inputs';
import { DEFAULT_SYMBOLIC_DIM, type UserTensor } from './measurement';

export interface PlannedConfig {
  id: string;
  variant: string;
  ep: string;
  batch: number;
  threads: number;
  concurrency: number;
}

export const ORIGINAL = 'original';

export function configId(c: Omit<PlannedConfig, 'id'>): string {
  const base = `${c.ep}/b${c.batch}/t${c.threads}/c${c.concurrency}`;
  return c.variant === ORIGINAL ? base : `${c.variant}/${base}`;
}

/**
 * Model × EP × batch × threads × concurrency, in that order: each model on every provider
 * in turn, so variants compare provider by provider under the same conditions.
 */
export function expandPlan(plan: BenchPlan, eps: readonly string[]): PlannedConfig[] {
  const models = [...(plan.includeOriginal ? [ORIGINAL] : []), ...plan.variants];
  const configs: PlannedConfig[] = [];
  for (const variant of models) {
    for (const ep of eps) {
      for (const batch of plan.batches) {
        for (const threads of plan.threads) {
          // A sweep starts every setup at concurrency 1 and adds levels as the measurements decide; levels the
          // provider cannot take (WebGPU beyond one request at a time) are not planned at all.
          for (const concurrency of plan.sweep ? [1] : plannedConcurrency(ep, plan.concurrency)) {
            const c = { variant, ep, batch, threads, concurrency };
            configs.push({ id: configId(c), ...c });
          }
        }
      }
    }
  }
  return configs;
}

/**
 * Refuses a plan asking for batch sizes above 1 that no input's first axis takes, before anything
 * runs (it would run the model's own batch and misreport items per second): BATCH_UNSUPPORTED when
 * the model fixes those axes (naming the input, its shape and the axis), PLAN_INVALID when the plan's
 * own dimensions set them. `dims` are the run's named dimensions, as the worker gets them.
 */
export function assertBatchesSupported(info: Pick<ModelInfo, 'inputs'>, batches: readonly number[], dims: NamedDims): void {
  const refusal = batchRefusal(info.inputs, batches, dims);
  if (refusal) throw new InferscopeError(refusal.code, refusal.message);
}

/** The most configurations one plan may expand to: beyond this a plan is a mistake, not a benchmark. */
export const MAX_CONFIGS = 256;

/**
 * Refuses a plan whose inputs this machine cannot hold (MODEL_TOO_LARGE, naming the input and
 * its size) before any worker makes them: each configuration's inputs at its batch, once per
 * request in flight (every concurrent session has its own). Symbolic sizes are the run's: the
 * inspection's values and defaults, then the plan's; `tensors` are the user's own inputs.
 */
export function checkPlanMemory(
  info: Pick<ModelInfo, 'inputs' | 'dims'>,
  plan: Pick<BenchPlan, 'dims'>,
  planned: readonly PlannedConfig[],
  tensors: readonly UserTensor[] = [],
): void {
  const dims: Record<string, number> = {};
  for (const d of info.dims) if (d.value !== null && d.source !== 'batch-default') dims[d.name] = d.value;
  Object.assign(dims, plan.dims);
  const given = new Map(tensors.map((t) => [t.name, t]));
  const checked = new Set<string>();
  for (const { batch, concurrency } of planned) {
    const key = `${batch}/${concurrency}`;
    if (checked.has(key)) continue;
    checked.add(key);
    const needs = info.inputs.map((input) => {
      const user = given.get(input.name);
      const shape = user ? user.dims : resolveInputShape(input.shape ?? [], { batch, dims, defaultDim: DEFAULT_SYMBOLIC_DIM }, input.name);
      const spec = { name: input.name, type: user?.type ?? input.type, dims: shape };
      return concurrency === 1 ? tensorNeed(spec) : tensorNeed(spec, concurrency, 'requests in flight');
    });
    assertFits(needs, `Benchmarking at batch ${batch}`);
  }
}

/**
 * Refuses, before anything runs, inputs the run would have to invent: a symbolic dimension other
 * than a leading batch with no value (DIMS_REQUIRED, naming each and how to set it), an integer
 * scalar without a value or a stated default (INPUT_REQUIRED), a value for an input the model lacks.
 * Inputs the user's tensors give are exempt: their shapes are the tensors'.
 */
export function assertInputsResolvable(
  info: Pick<ModelInfo, 'inputs' | 'dims'>,
  plan: Pick<BenchPlan, 'dims' | 'inputs'>,
  givenTensors: readonly string[],
): void {
  const names = new Set(info.inputs.map((i) => i.name));
  for (const name of Object.keys(plan.inputs.values)) {
    if (!names.has(name)) {
      const list = [...names].join(', ');
      throw new InferscopeError(
        'INPUT_INVALID',
        `The model has no input named ${name} (inputs: ${list}), so ${inputSetting(name)} cannot be used.`,
      );
    }
  }
  const given = new Set(givenTensors);
  const unset = new Set(info.dims.filter((d) => d.source === 'unset' && plan.dims[d.name] === undefined).map((d) => d.name));
  const missing: MissingDim[] = [];
  const required: string[] = [];
  for (const input of info.inputs) {
    if (given.has(input.name)) continue;
    (input.shape ?? []).forEach((d, axis) => {
      const name = typeof d === 'number' ? null : d === '?' || d === '' ? unnamedDimName(input.name, axis) : d;
      if (name !== null && unset.has(name)) missing.push({ name, input: input.name, axis });
    });
    const chosen = chooseInputValue(input.name, input.type, input.shape ? input.shape.length : null, plan.inputs.values);
    if ('required' in chosen) required.push(input.name);
  }
  if (missing.length > 0) throw dimsRequired(missing);
  if (required.length > 0) throw new InferscopeError('INPUT_REQUIRED', inputRequiredMessage(required), { detail: required.join(',') });
}

/**
 * A run that onnxruntime refused on inputs Inferscope made up says which inputs were generated and how
 * to give them: a wrong sample rate or a random flag fails deep inside the graph with a message about a node.
 * Benchmarks and quantization jobs (whose evaluation inputs are generated unless the user's data is given) both use it.
 */
export function explainGeneratedInputs(
  error: unknown,
  inputs: readonly { name: string; type: string; shape: readonly (number | string)[] | null }[],
  plan: { inputs: Pick<BenchPlan['inputs'], 'values'> },
  givenTensors: readonly string[],
): unknown {
  const info = toErrorInfo(error);
  const failedRun = (info.code === 'SESSION_FAILED' || info.code === 'QUANTIZE_FAILED') && /\bRunning\b|\brun\b/i.test(info.message);
  if (!failedRun || /could not (create|load)/.test(info.message)) return error;
  const generated = inputs
    .filter((i) => !givenTensors.includes(i.name))
    .map((i) => {
      const given = plan.inputs.values[i.name];
      if (given) return `${i.name} (${formatInputValue(given)}, as given)`;
      const chosen = chooseInputValue(i.name, i.type, i.shape ? i.shape.length : null, {});
      return 'value' in chosen && chosen.value ? `${i.name} (${formatInputValue(chosen.value)}, a stated default)` : `${i.name} (random)`;
    });
  if (generated.length === 0) return error;
  return new InferscopeError(
    info.code,
    `${info.message.replace(/\.?$/, '.')} Inputs generated by Inferscope: ${generated.join(', ')}. If one needs real values, give ` +
      `them with ${setting('inputValues')} (a number, zeros, ones, range, LO..HI or a .npy/.pb file) or tensor files with ` +
      `${setting('inputTensors')}.`,
    info.detail !== undefined ? { detail: info.detail } : undefined,
  );
}
