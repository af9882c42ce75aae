/**
 * The remedy for a verdict the measurements were too uncertain to carry: which runs to measure
 * again, and the plan that measures their setups again, at their own levels, for longer. The
 * Decide view starts it with one click; `inferscope advise` prints it as a command.
 */
import type { Verdict } from '../domain/advice';
import type { BenchPlanInput } from '../domain/plan';
import type { RunDocument } from '../domain/run';
import { ciWithinVerdict } from './rows';

/** A measurement too uncertain for a verdict is repeated this many times longer ... */
export const REMEASURE_FACTOR = 2;
/** ... and at least this long per configuration (minimum, maximum time), ... */
export const REMEASURE_MIN_TIME_MS = 1000;
export const REMEASURE_MAX_TIME_MS = 4000;
/** ... but never longer than this per configuration. */
export const REMEASURE_TIME_CAP_MS = 60_000;

/**
 * The runs whose measurements kept a setup from carrying the verdict: a level that never became
 * stable during warm-up, or whose median's 95 % CI is wider than the verdict accepts. Measuring
 * them again for longer (on a quieter machine) is what settles it; in the verdict's order, no repeats.
 */
export function noisyRuns(verdict: Pick<Verdict, 'rows'>): string[] {
  const runs: string[] = [];
  for (const row of verdict.rows) {
    if (!row.eligible || row.reliable || runs.includes(row.runId)) continue;
    if (row.points.some((point) => !point.stable || !ciWithinVerdict(point.ciHalfWidthRel))) runs.push(row.runId);
  }
  return runs;
}

/** What a run measured: the finished configurations, or all of them when none finished. */
export function measuredSetups(
  doc: Pick<RunDocument, 'configs'>,
): Pick<BenchPlanInput, 'variants' | 'includeOriginal' | 'eps' | 'batches' | 'threads'> & { concurrency: number[] } {
  const done = doc.configs.filter((config) => config.status === 'done');
  const measured = done.length > 0 ? done : doc.configs;
  const unique = <T>(values: T[]) => [...new Set(values)];
  const variants = unique(measured.map((config) => config.variant).filter((variant) => variant !== 'original'));
  return {
    variants,
    includeOriginal: measured.some((config) => config.variant === 'original') || variants.length === 0,
    // Only providers that worked: one that failed in the run would fail again.
    eps: unique(measured.map((config) => config.ep)),
    batches: unique(measured.map((config) => config.batch)),
    threads: unique(measured.map((config) => config.threads)),
    concurrency: unique(measured.map((config) => config.concurrency)).sort((a, b) => a - b),
  };
}

/** The run's setups at its own concurrency levels again, each measured REMEASURE_FACTOR times longer. */
export function remeasurePlan(doc: Pick<RunDocument, 'plan' | 'configs'>): BenchPlanInput {
  const { plan } = doc;
  const longer = (ms: number, floor: number) => Math.min(REMEASURE_TIME_CAP_MS, Math.max(floor, Math.round(ms * REMEASURE_FACTOR)));
  const minTimeMs = longer(plan.minTimeMs, REMEASURE_MIN_TIME_MS);
  return {
    model: plan.model,
    ...measuredSetups(doc),
    epOptions: plan.epOptions,
    dims: plan.dims,
    inputs: plan.inputs,
    graphOptimizationLevel: plan.graphOptimizationLevel,
    minIterations: plan.minIterations,
    minTimeMs,
    maxTimeMs: Math.max(minTimeMs, longer(plan.maxTimeMs, REMEASURE_MAX_TIME_MS)),
    ciTargetRel: plan.ciTargetRel,
    warmupMaxMs: Math.min(REMEASURE_TIME_CAP_MS, Math.round(plan.warmupMaxMs * REMEASURE_FACTOR)),
    // As many fresh processes as the run had (or chosen by cost again).
    repetitions: plan.repetitions,
    profile: false,
  };
}
