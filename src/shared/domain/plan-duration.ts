/**
 * How long a plan will take, said before it starts. Each configuration loads the model, warms up
 * (at most the warm-up cap), measures between the minimum and the maximum time (the maximum always
 * wins), and profiles placement within a share of the maximum time. A run of the same model measured
 * before tells how long one inference takes, which narrows the range: a slow model needs its
 * minimum runs, a fast one only the minimum time.
 */
import { DEFAULT_QUICK_REPETITIONS, PROFILE_MAX_TIME_SHARE, QUICK_REPETITION_MAX_MS } from '../stats/constants';

export interface PlanTimes {
  configs: number;
  minTimeMs: number;
  maxTimeMs: number;
  warmupMaxMs: number;
  minIterations: number;
  profile: boolean;
  /** Fresh processes per configuration; null or absent = decided by cost (3 when one takes under 5 s, else 1). */
  repetitions?: number | null;
}

export interface PlanDuration {
  /** Measuring alone, when every configuration reaches its CI target at the earliest moment. */
  lowMs: number;
  /** Every configuration using its warm-up cap, its maximum time and its profiling share. */
  highMs: number;
  /** What the range rests on, in words. */
  basis: string;
}

/** `runMs`: one inference of this model measured before (the median of an earlier run), when known. */
export function estimatePlanDuration(plan: PlanTimes, runMs: number | null = null): PlanDuration {
  const known = runMs !== null && Number.isFinite(runMs) && runMs > 0;
  // The stopping rule needs both the minimum time and the minimum runs, and never more than the maximum time.
  const measureLow = Math.min(plan.maxTimeMs, Math.max(plan.minTimeMs, known ? plan.minIterations * runMs : 0));
  // With a known run time: at least a session's first run and one profiled run besides the measuring.
  const extraLow = known ? runMs * (plan.profile ? 2 : 1) : 0;
  const perHigh = plan.warmupMaxMs + plan.maxTimeMs + (plan.profile ? PROFILE_MAX_TIME_SHARE * plan.maxTimeMs + (known ? runMs : 0) : 0);
  // Later repetitions skip the profiled pass; without a count, a repetition under the quick limit gets company.
  const perLow = measureLow + extraLow;
  const repeatLow = measureLow + (known ? runMs : 0);
  const repetitions = plan.repetitions ?? null;
  const low =
    repetitions !== null
      ? perLow + (repetitions - 1) * repeatLow
      : perLow < QUICK_REPETITION_MAX_MS
        ? perLow + (DEFAULT_QUICK_REPETITIONS - 1) * repeatLow
        : perLow;
  const high =
    repetitions !== null
      ? perHigh + (repetitions - 1) * (perHigh - (plan.profile ? PROFILE_MAX_TIME_SHARE * plan.maxTimeMs : 0))
      : Math.max(perHigh, DEFAULT_QUICK_REPETITIONS * QUICK_REPETITION_MAX_MS);
  return {
    lowMs: plan.configs * low,
    highMs: plan.configs * (high + (known ? runMs : 0)),
    basis: known
      ? `one run took ${formatShort(runMs)} when this model was measured before; loading the model adds to each configuration`
      : 'the plan’s times; loading the model adds to each configuration',
  };
}

/** "850 ms", "12 s", "3 min 20 s", "1 h 5 min". */
export function formatShort(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
