/**
 * Statistics over repetitions: one configuration measured in R fresh worker processes
 * (docs/measurement.md#repetitions). A process's median carries both levels of noise — where
 * that process's memory landed, its thread placement and the clock it ran at (the process
 * level), and the sampling noise of its own samples (the sample level) — so the spread of the
 * R medians estimates the two together (for a nested design, Var(process median) =
 * σ²_process + σ²_sample-median). The interval is a Student t interval over the logarithms
 * of the R medians:
 *
 *     centre = mean(ln m_r),  half-width = t(1 − α/2, R − 1) · sd(ln m_r) / √R
 *
 * exponentiated, so it is a ratio-scale interval around the geometric mean of the
 * repetitions' medians. A two-level bootstrap (resample processes, then samples) cannot reach
 * its nominal coverage with three processes: its interval can never extend beyond the three
 * medians, which happens to hold the true median only 75 % of the time. The t quantile is what
 * makes three repetitions honest (4.30 rather than 1.96). Coverage is checked against simulated
 * runs with known process and sample variance in test/unit/shared/stats/repetitions.test.ts.
 */
import { InferscopeError } from '../errors';
import { CI_CONFIDENCE, REPETITION_OUTLIER_MAD_FACTOR, REPETITION_OUTLIER_MIN_REL } from './constants';
import { quantileSorted, sortSamples } from './quantile';
import { studentTQuantile } from './student-t';

export interface RepetitionInterval {
  /** Geometric mean of the repetitions' medians: each process weighs the same however many samples it took. */
  median: number;
  low: number;
  high: number;
  confidence: number;
  repetitions: number;
  /** Standard deviation of ln(median) across repetitions: 0.02 ≈ the medians vary by 2 % from process to process. */
  logSd: number;
  /** (largest − smallest repetition median) / median. */
  spreadRel: number;
  /** Repetitions (0-based) whose median is an outlier among the others (see isOutlierRepetition). */
  outliers: number[];
}

function logsOf(medians: readonly number[], what: string): number[] {
  return medians.map((m, i) => {
    if (!Number.isFinite(m) || m <= 0) {
      throw new InferscopeError('INTERNAL', `${what}: repetition ${i + 1}'s median is ${m}, not a positive time.`);
    }
    return Math.log(m);
  });
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function sampleVariance(values: readonly number[], mean: number): number {
  if (values.length < 2) return 0;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return squares / (values.length - 1);
}

/** The CI of the median across R ≥ 2 repetitions, from their medians (any order). */
export function medianAcrossRepetitions(medians: readonly number[], confidence: number = CI_CONFIDENCE): RepetitionInterval {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const r = medians.length;
  if (r < 2) throw new InferscopeError('INTERNAL', `An interval across repetitions needs at least 2 repetitions, got ${r}.`);
  const logs = logsOf(medians, 'Median across repetitions');
  const centre = meanOf(logs);
  const logSd = Math.sqrt(sampleVariance(logs, centre));
  const half = studentTQuantile(1 - (1 - confidence) / 2, r - 1) * (logSd / Math.sqrt(r));
  const median = Math.exp(centre);
  return {
    median,
    low: Math.exp(centre - half),
    high: Math.exp(centre + half),
    confidence,
    repetitions: r,
    logSd,
    spreadRel: (Math.max(...medians) - Math.min(...medians)) / median,
    outliers: outlierRepetitions(medians),
  };
}

/**
 * Repetitions whose median stands apart from the others': with R ≥ 3, repetition r is an outlier
 * when |ln m_r − median of the others' ln m| exceeds both REPETITION_OUTLIER_MIN_REL and
 * REPETITION_OUTLIER_MAD_FACTOR × 1.4826 × MAD of the others' ln m (a robust 3-sigma rule with a
 * floor, so that two repetitions agreeing to 0.1 % do not make a third 1 % away an outlier).
 * With two repetitions neither can be told to be the odd one out.
 */
export function outlierRepetitions(medians: readonly number[]): number[] {
  if (medians.length < 3) return [];
  const logs = logsOf(medians, 'Repetition outliers');
  const flagged: number[] = [];
  logs.forEach((value, index) => {
    const others = sortSamples(logs.filter((_, i) => i !== index));
    const centre = quantileSorted(others, 0.5);
    const mad = quantileSorted(sortSamples(Array.from(others, (x) => Math.abs(x - centre))), 0.5);
    const threshold = Math.max(Math.log1p(REPETITION_OUTLIER_MIN_REL), REPETITION_OUTLIER_MAD_FACTOR * 1.4826 * mad);
    if (Math.abs(value - centre) > threshold) flagged.push(index);
  });
  return flagged;
}

export interface RepetitionRatio {
  /** Geometric-mean median of B over that of A: below 1 means B takes less time. */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  confidence: number;
  /** Degrees of freedom of the t quantile (Welch–Satterthwaite, or R − 1 of the side that has repetitions). */
  df: number;
}

/**
 * Ratio of medians across repetitions of two configurations: Welch's t interval for the
 * difference of mean ln(median), exponentiated. When one side has a single repetition its
 * process-to-process variance is unknown and taken to be the other side's (df = that side's R − 1).
 * Needs R ≥ 2 on at least one side.
 */
export function compareAcrossRepetitions(a: readonly number[], b: readonly number[], confidence: number = CI_CONFIDENCE): RepetitionRatio {
  if (a.length === 0 || b.length === 0 || (a.length < 2 && b.length < 2)) {
    throw new InferscopeError('INTERNAL', 'A comparison across repetitions needs repetitions on both sides and 2 or more on one.');
  }
  const la = logsOf(a, 'Comparison (A)');
  const lb = logsOf(b, 'Comparison (B)');
  const ma = meanOf(la);
  const mb = meanOf(lb);
  let va = sampleVariance(la, ma);
  let vb = sampleVariance(lb, mb);
  let df: number;
  if (la.length < 2) {
    va = vb;
    df = lb.length - 1;
  } else if (lb.length < 2) {
    vb = va;
    df = la.length - 1;
  } else {
    const wa = va / la.length;
    const wb = vb / lb.length;
    const denominator = (wa * wa) / (la.length - 1) + (wb * wb) / (lb.length - 1);
    // Both sides without any spread: the smallest df of the two keeps the t quantile honest.
    df = denominator > 0 ? ((wa + wb) * (wa + wb)) / denominator : Math.min(la.length, lb.length) - 1;
  }
  const se = Math.sqrt(va / la.length + vb / lb.length);
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * se;
  const diff = mb - ma;
  return { ratio: Math.exp(diff), ciLow: Math.exp(diff - half), ciHigh: Math.exp(diff + half), confidence, df };
}

/**
 * The process-to-process part of the uncertainty of any statistic (a p95, say) measured in R ≥ 2 repetitions: the t
 * half-width of its per-repetition values on the log scale, around `centre` (the statistic over all samples pooled).
 * Callers join it with the within-sample interval, so the result is never narrower than either.
 */
export function acrossRepetitionsAround(
  perRepetition: readonly number[],
  centre: number,
  confidence: number = CI_CONFIDENCE,
): { low: number; high: number } | null {
  if (perRepetition.length < 2 || !(centre > 0)) return null;
  const logs = logsOf(perRepetition, 'Statistic across repetitions');
  const mean = meanOf(logs);
  const half = studentTQuantile(1 - (1 - confidence) / 2, logs.length - 1) * Math.sqrt(sampleVariance(logs, mean) / logs.length);
  return { low: centre * Math.exp(-half), high: centre * Math.exp(half) };
}
