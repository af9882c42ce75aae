import { InferscopeError } from '../errors';
import { BOOTSTRAP_RESAMPLES, CI_CONFIDENCE, COMPARE_MIN_SAMPLES, DEFAULT_BOOTSTRAP_SEED, RUN_TO_RUN_FLOOR } from './constants';
import { compareAcrossRepetitions } from './repetitions';
import { quantileSorted, sortSamples } from './quantile';
import { createRng, type Rng } from './random';
import type { ComparisonVerdict, MedianComparison } from './schema';

export interface CompareOptions {
  confidence?: number;
  resamples?: number;
  /** Same seed, same samples → same interval; defaults to DEFAULT_BOOTSTRAP_SEED. */
  seed?: number;
}

/**
 * "Is B faster than A?" (docs/measurement.md#comparisons). The ratio is
 * median(B) / median(A), so below 1 means B takes less time. Its CI is a
 * percentile bootstrap: resample A and B independently with replacement,
 * take the ratio of the resampled medians, and read the α/2 and 1 − α/2
 * quantiles of those ratios. A difference is claimed only when that interval
 * excludes 1, and never from fewer than COMPARE_MIN_SAMPLES samples per side
 * (a bootstrap of a handful of samples understates the uncertainty; the
 * interval is still reported and `tooFewSamples` says why there is no verdict).
 *
 * Cost: O(resamples · (n_A + n_B)) — each resampled median is found by
 * counting how often each sorted sample was drawn, without sorting.
 */
export function compareMedians(a: readonly number[], b: readonly number[], options: CompareOptions = {}): MedianComparison {
  const { confidence = CI_CONFIDENCE, resamples = BOOTSTRAP_RESAMPLES, seed = DEFAULT_BOOTSTRAP_SEED } = options;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  const sortedA = sortedPositiveSamples(a, 'A');
  const sortedB = sortedPositiveSamples(b, 'B');

  const rng = createRng(seed);
  const countsA = new Int32Array(sortedA.length);
  const countsB = new Int32Array(sortedB.length);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    ratios[r] = resampledMedian(sortedB, countsB, rng) / resampledMedian(sortedA, countsA, rng);
  }
  ratios.sort();

  const alpha = 1 - confidence;
  const ciLow = quantileSorted(ratios, alpha / 2);
  const ciHigh = quantileSorted(ratios, 1 - alpha / 2);
  const tooFewSamples = sortedA.length < COMPARE_MIN_SAMPLES || sortedB.length < COMPARE_MIN_SAMPLES;
  let verdict: ComparisonVerdict = 'no-measurable-difference';
  if (!tooFewSamples && ciHigh < 1) verdict = 'faster';
  else if (!tooFewSamples && ciLow > 1) verdict = 'slower';

  return {
    ratio: quantileSorted(sortedB, 0.5) / quantileSorted(sortedA, 0.5),
    ciLow,
    ciHigh,
    confidence,
    resamples,
    tooFewSamples,
    verdict,
  };
}

/** A ratio of medians needs medians above 0, so every sample must be a positive, finite time. */
function sortedPositiveSamples(samples: readonly number[], name: string): Float64Array {
  if (samples.length === 0) throw new InferscopeError('INTERNAL', `Cannot compare medians: sample set ${name} is empty.`);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i] as number;
    if (!Number.isFinite(x) || x <= 0) {
      throw new InferscopeError('INTERNAL', `Cannot compare medians: sample ${i} of ${name} is ${x}, not a positive time.`);
    }
  }
  return sortSamples(samples);
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Median of one bootstrap resample of `sorted`: draw n indices, count them,
 * and walk the counts in index order, which is the resample's sorted order.
 */
function resampledMedian(sorted: Float64Array, counts: Int32Array, rng: Rng): number {
  const n = sorted.length;
  counts.fill(0);
  // rng.nextInt(0, n) inlined: this loop is the whole cost of a comparison, and the
  // rejection limit only needs computing once per resample.
  const limit = TWO_POW_32 - (TWO_POW_32 % n);
  for (let i = 0; i < n; i++) {
    let u = rng.nextUint32();
    while (u >= limit) u = rng.nextUint32();
    const k = u % n;
    counts[k] = (counts[k] as number) + 1;
  }
  const lowPos = (n - 1) >> 1; // 0-based positions of the middle value(s)
  const highPos = n >> 1;
  let seen = 0;
  let low = Number.NaN;
  for (let i = 0; i < n; i++) {
    seen += counts[i] as number;
    if (Number.isNaN(low) && seen > lowPos) low = sorted[i] as number;
    if (seen > highPos) return (low + (sorted[i] as number)) / 2;
  }
  throw new InferscopeError('INTERNAL', 'Bootstrap resample lost samples.');
}

/** One side of a comparison: its samples (every repetition's, pooled) and each repetition's median. */
export interface MeasuredSide {
  samples: readonly number[];
  /** One median per repetition (fresh worker process); empty or one entry for a single process. */
  repetitionMedians: readonly number[];
}

/**
 * "Is B faster than A?" with the best uncertainty the two measurements allow: across repetitions
 * (Welch's t over the repetitions' log medians, repetitions.ts) when either side was measured in
 * two or more processes, else the within-process bootstrap of compareMedians. Either way no
 * difference smaller than RUN_TO_RUN_FLOOR is claimed (`belowFloor` says when that rule decided).
 */
export function compareMeasured(a: MeasuredSide, b: MeasuredSide, options: CompareOptions = {}): MedianComparison {
  const confidence = options.confidence ?? CI_CONFIDENCE;
  const ra = Math.max(1, a.repetitionMedians.length);
  const rb = Math.max(1, b.repetitionMedians.length);
  let comparison: MedianComparison;
  if ((ra >= 2 || rb >= 2) && a.repetitionMedians.length > 0 && b.repetitionMedians.length > 0) {
    const r = compareAcrossRepetitions(a.repetitionMedians, b.repetitionMedians, confidence);
    const verdict: ComparisonVerdict = r.ciHigh < 1 ? 'faster' : r.ciLow > 1 ? 'slower' : 'no-measurable-difference';
    const { ratio, ciLow, ciHigh } = r;
    comparison = {
      ratio,
      ciLow,
      ciHigh,
      confidence,
      resamples: 0,
      tooFewSamples: false,
      verdict,
      basis: 'repetitions',
      repetitions: [ra, rb],
    };
  } else {
    comparison = { ...compareMedians(a.samples, b.samples, options), basis: 'within-process', repetitions: [ra, rb] };
  }
  if (comparison.verdict !== 'no-measurable-difference' && Math.abs(Math.log(comparison.ratio)) < Math.log1p(RUN_TO_RUN_FLOOR)) {
    return { ...comparison, verdict: 'no-measurable-difference', belowFloor: true };
  }
  return comparison;
}
