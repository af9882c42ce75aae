import type { BenchPlan } from '../../shared/domain/plan';

export interface PlannedConfig {
  id: string;
  ep: string;
  batch: number;
  threads: number;
  concurrency: number;
}

export function configId(c: Omit<PlannedConfig, 'id'>): string {
  return `${c.ep}/b${c.batch}/t${c.threads}/c${c.concurrency}`;
}

/** EP × batch × threads × concurrency, in that order (all of one provider first: fewer cold caches). */
export function expandPlan(plan: BenchPlan, eps: readonly string[]): PlannedConfig[] {
  const configs: PlannedConfig[] = [];
  for (const ep of eps) {
    for (const batch of plan.batches) {
      for (const threads of plan.threads) {
        for (const concurrency of plan.concurrency) {
          configs.push({ id: configId({ ep, batch, threads, concurrency }), ep, batch, threads, concurrency });
        }
      }
    }
  }
  return configs;
}

/** The most configurations one plan may expand to: beyond this a plan is a mistake, not a benchmark. */
export const MAX_CONFIGS = 256;
