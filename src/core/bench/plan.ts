import type { BenchPlan } from '../../shared/domain/plan';

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

/** The most configurations one plan may expand to: beyond this a plan is a mistake, not a benchmark. */
export const MAX_CONFIGS = 256;
