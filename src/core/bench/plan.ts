import type { ModelInfo } from '../../shared/domain/model';
import type { BenchPlan } from '../../shared/domain/plan';
import { batchRefusal, type NamedDims } from '../../shared/domain/batch';
import { InferscopeError } from '../../shared/errors';
import { assertFits, tensorNeed } from '../budget';
import { resolveInputShape } from './inputs';
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
          // A sweep starts every setup at concurrency 1 and adds levels as the measurements decide.
          for (const concurrency of plan.sweep ? [1] : plan.concurrency) {
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
      const shape = user ? user.dims : resolveInputShape(input.shape ?? [], { batch, dims, defaultDim: DEFAULT_SYMBOLIC_DIM });
      const spec = { name: input.name, type: user?.type ?? input.type, dims: shape };
      return concurrency === 1 ? tensorNeed(spec) : tensorNeed(spec, concurrency, 'requests in flight');
    });
    assertFits(needs, `Benchmarking at batch ${batch}`);
  }
}
