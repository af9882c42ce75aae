import { z } from 'zod';

/**
 * Summary of one configuration's latency samples, as stored in a result and
 * printed in the report. Every value is in the samples' unit (milliseconds in
 * Inferscope) unless it says otherwise; percentiles use PERCENTILE_METHOD.
 */
const LatencyStatsObject = z.object({
  count: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  median: z.number(),
  /** First and third quartiles (25th and 75th percentiles). */
  q1: z.number(),
  q3: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  /** Sample standard deviation (n − 1 denominator); 0 for a single sample. */
  stdev: z.number().nonnegative(),
  /** Coefficient of variation, stdev / mean (a fraction, not a percentage); 0 when the mean is 0. */
  cv: z.number().nonnegative(),
  /**
   * Confidence interval of the median from order statistics (see median-ci.ts); null when there are too few
   * samples for one (ciMethod 'too-few-samples': n < 6 at 95 %). Never a zero-width or min–max stand-in.
   */
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  /** The confidence level asked for, e.g. 0.95. */
  ciConfidence: z.number().gt(0).lt(1),
  /**
   * The coverage the reported interval really has. With 'too-few-samples' (no interval reported) it is what [min, max]
   * would be worth, below ciConfidence.
   */
  ciCoverage: z.number().min(0).max(1),
  /**
   * 'repetitions-t': a t interval over the medians of R ≥ 2 fresh worker processes (repetitions.ts), which includes
   * process-to-process variation; the others are order-statistic intervals within one process (median-ci.ts).
   */
  ciMethod: z.enum(['exact-binomial', 'normal-approximation', 'too-few-samples', 'repetitions-t']),
  /** max(median − ciLow, ciHigh − median) / median: 0.01 means the interval lies within ±1 % of the median; null without an interval. */
  ciHalfWidthRel: z.number().nonnegative().nullable(),
  /** Samples below Q1 − 3·IQR and above Q3 + 3·IQR. */
  outliersLow: z.number().int().nonnegative(),
  outliersHigh: z.number().int().nonnegative(),
});

/** Documents written before the CI became nullable held [min, max] for 'too-few-samples'; it reads back as no interval. */
export const LatencyStatsSchema = LatencyStatsObject.transform((s) =>
  s.ciMethod === 'too-few-samples' ? { ...s, ciLow: null, ciHigh: null, ciHalfWidthRel: null } : s,
);

export type LatencyStats = z.infer<typeof LatencyStatsSchema>;

/** Verdict about B relative to A ("B is faster than A"). */
export const ComparisonVerdictSchema = z.enum(['faster', 'slower', 'no-measurable-difference']);
export type ComparisonVerdict = z.infer<typeof ComparisonVerdictSchema>;

export const MedianComparisonSchema = z.object({
  /** median(B) / median(A): below 1 means B takes less time. */
  ratio: z.number().positive(),
  /** Bootstrap percentile interval of the ratio. */
  ciLow: z.number().positive(),
  ciHigh: z.number().positive(),
  confidence: z.number().gt(0).lt(1),
  /** Bootstrap resamples (0 when the interval comes from repetitions). */
  resamples: z.number().int().nonnegative(),
  /** Fewer than COMPARE_MIN_SAMPLES samples on a side: no difference is claimed whatever the interval says. */
  tooFewSamples: z.boolean(),
  verdict: ComparisonVerdictSchema,
  /**
   * 'repetitions': a Welch t interval over the repetitions' medians (process-to-process variation included);
   * 'within-process': a bootstrap of the samples of single processes, which cannot see run-to-run variation.
   * Absent in documents from before repetitions: within-process.
   */
  basis: z.enum(['repetitions', 'within-process']).optional(),
  /** Repetitions behind each side (A, then B). */
  repetitions: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /** The interval excludes 1 but the difference is smaller than the run-to-run floor, so none is claimed. */
  belowFloor: z.boolean().optional(),
});

export type MedianComparison = z.infer<typeof MedianComparisonSchema>;

export const HistogramSchema = z.object({
  /** counts.length + 1 ascending bin edges; bin i is [edges[i], edges[i+1]), the last bin also includes its right edge. */
  edges: z.array(z.number()),
  counts: z.array(z.number().int().nonnegative()),
});

export type Histogram = z.infer<typeof HistogramSchema>;
