/**
 * Calibration statistics (ORT's calibrate.py, docs/quantization.md#int8-static-qdq): running min/max, and
 * histograms that grow with fixed bin width as larger values arrive, from which the
 * percentile and entropy (KL divergence) methods pick a range.
 */

export interface TensorRange {
  min: number;
  max: number;
}

export class MinMaxCollector {
  min = Infinity;
  max = -Infinity;

  add(values: ArrayLike<number>): void {
    let { min, max } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      // NaN and ±Inf say nothing useful about the range a quantized tensor must cover.
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.min = min;
    this.max = max;
  }

  range(): TensorRange {
    return this.min <= this.max ? { min: this.min, max: this.max } : { min: 0, max: 0 };
  }
}

/**
 * MinMax with moving average (ORT's CalibMovingAverage over one pass of the data): the range is
 * the mean of the batches' own minima and maxima.
 */
export class MovingAverageMinMaxCollector {
  private minSum = 0;
  private maxSum = 0;
  private batches = 0;

  add(values: ArrayLike<number>): void {
    const batch = new MinMaxCollector();
    batch.add(values);
    // A batch with no finite value has no range to average in.
    if (batch.min > batch.max) return;
    this.minSum += batch.min;
    this.maxSum += batch.max;
    this.batches++;
  }

  range(): TensorRange {
    return this.batches > 0 ? { min: this.minSum / this.batches, max: this.maxSum / this.batches } : { min: 0, max: 0 };
  }
}

/** Bins a histogram may reach by growing (2 MiB of counts per calibrated tensor) before its bins get wider. */
export const MAX_HISTOGRAM_BINS = 1 << 18;

/**
 * A histogram over [-limit, limit] (values) or [0, limit] (magnitudes). The first batch fixes
 * the bin width (2·limit/bins, or limit/bins); a batch beyond the limit adds bins of the same
 * width, so earlier counts are never re-binned, as ORT's collector does — up to maxBins: a value
 * far beyond the range so far widens the bins instead (ORT would run out of memory there).
 */
export class Histogram {
  counts: Float64Array = new Float64Array(0);
  step = 0;
  limit = 0;
  /** Values seen while the histogram was still empty of range (all zeros so far). */
  private zeros = 0;
  readonly minMax = new MinMaxCollector();

  constructor(
    readonly bins: number,
    readonly magnitudes: boolean,
  ) {}

  get total(): number {
    let sum = this.zeros;
    for (const c of this.counts) sum += c;
    return sum;
  }

  /** Lower edge of bin i. */
  edge(i: number): number {
    return (this.magnitudes ? 0 : -this.limit) + i * this.step;
  }

  add(values: ArrayLike<number>): void {
    this.minMax.add(values);
    let absMax = 0;
    for (let i = 0; i < values.length; i++) {
      const v = Math.abs(values[i] as number);
      if (Number.isFinite(v) && v > absMax) absMax = v;
    }
    if (this.step === 0) {
      if (absMax === 0) {
        this.zeros += countFinite(values);
        return;
      }
      this.limit = absMax;
      this.step = (this.magnitudes ? absMax : 2 * absMax) / this.bins;
      this.counts = new Float64Array(this.bins);
      if (this.zeros > 0) {
        this.counts[this.binOf(0)] = (this.counts[this.binOf(0)] as number) + this.zeros;
        this.zeros = 0;
      }
    } else if (absMax > this.limit) {
      this.grow(absMax);
    }
    const last = this.counts.length - 1;
    const origin = this.magnitudes ? 0 : -this.limit;
    for (let i = 0; i < values.length; i++) {
      let v = values[i] as number;
      if (!Number.isFinite(v)) continue;
      if (this.magnitudes) v = Math.abs(v);
      const bin = Math.min(last, Math.max(0, Math.floor((v - origin) / this.step)));
      this.counts[bin] = (this.counts[bin] as number) + 1;
    }
  }

  private binOf(v: number): number {
    const origin = this.magnitudes ? 0 : -this.limit;
    return Math.min(this.counts.length - 1, Math.max(0, Math.floor((v - origin) / this.step)));
  }

  /** Most bins this histogram keeps: four times its own count, and at least MAX_HISTOGRAM_BINS. */
  private get maxBins(): number {
    return Math.max(MAX_HISTOGRAM_BINS, 4 * this.bins);
  }

  private grow(absMax: number): void {
    const sides = this.magnitudes ? 1 : 2;
    // A value far past the range so far (1e30 after values near 1) would need more bins than
    // memory holds: wider bins first, then growth by whole bins of the new width.
    if (this.counts.length + sides * ((absMax - this.limit) / this.step + 1) > this.maxBins) this.coarsen(absMax);
    if (absMax <= this.limit) return;
    const extra = Math.floor((absMax - this.limit) / this.step) + 1;
    const grown = new Float64Array(this.counts.length + sides * extra);
    grown.set(this.counts, this.magnitudes ? 0 : extra);
    this.counts = grown;
    this.limit += extra * this.step;
  }

  /**
   * Merges every `factor` neighbouring bins into one, factor chosen so that the range out to
   * `absMax` takes at most half of maxBins. Zero stays on a bin edge (values) or at the origin
   * (magnitudes), so counts move whole into the wider bins and none is split.
   */
  private coarsen(absMax: number): void {
    const sides = this.magnitudes ? 1 : 2;
    const perSide = this.counts.length / sides;
    const target = Math.floor(this.maxBins / (2 * sides));
    // Finite: values are float32 (≤ 3.4e38) and the first width is at least a float32's smallest step.
    const factor = Math.max(2, Math.ceil(Math.max(perSide, absMax / this.step) / target));
    const newPerSide = Math.ceil(perSide / factor);
    const merged = new Float64Array(newPerSide * sides);
    for (let j = 0; j < this.counts.length; j++) {
      // Counted from zero (values) or the origin (magnitudes), so a huge factor keeps small offsets exact.
      const into = this.magnitudes ? Math.floor(j / factor) : newPerSide + Math.floor((j - perSide) / factor);
      merged[into] = (merged[into] as number) + (this.counts[j] as number);
    }
    this.counts = merged;
    this.step *= factor;
    this.limit = newPerSide * this.step;
  }

  /** Index of the first bin where the cumulative share reaches `fraction` (numpy searchsorted, left). */
  private cdfIndex(fraction: number): number {
    const total = this.total;
    let running = 0;
    for (let i = 0; i < this.counts.length; i++) {
      running += this.counts[i] as number;
      if (running / total >= fraction) return i;
    }
    return this.counts.length - 1;
  }

  /**
   * Percentile range. On magnitudes: ±(edge where `percentile`% of |x| lies below). On values:
   * the (100 − percentile)/2 % tails cut on each side.
   */
  percentileRange(percentile: number): TensorRange {
    if (this.step === 0) return { min: 0, max: 0 };
    if (this.magnitudes) {
      const t = this.edge(this.cdfIndex(percentile / 100));
      return { min: -t, max: t };
    }
    const cut = (100 - percentile) / 200;
    return { min: this.edge(this.cdfIndex(cut)), max: this.edge(this.cdfIndex(1 - cut)) };
  }

  /**
   * The threshold pair whose clipped-and-requantized distribution is closest (KL divergence) to
   * the observed one, over candidate windows of the histogram centred on zero, each folding the
   * outliers into its edge bins; clipped to the values actually seen.
   */
  entropyRange(quantizedBins = 128): TensorRange {
    const seen = this.minMax.range();
    if (this.step === 0 || this.magnitudes) return seen;
    const hist = this.counts;
    const bins = hist.length;
    const zero = Math.floor(bins / 2);
    const halfQuantized = Math.floor(quantizedBins / 2);
    let bestKl = Infinity;
    let best: TensorRange = seen;
    // Prefix sums make the outlier counts O(1) per candidate.
    const prefix = new Float64Array(bins + 1);
    for (let i = 0; i < bins; i++) prefix[i + 1] = (prefix[i] as number) + (hist[i] as number);
    for (let i = halfQuantized; i <= zero; i++) {
      const start = zero - i;
      const end = Math.min(zero + i + 1, bins);
      const kl = klForWindow(hist, prefix, start, end, quantizedBins);
      if (kl < bestKl) {
        bestKl = kl;
        best = { min: this.edge(start), max: this.edge(end) };
      }
    }
    return { min: Math.max(best.min, seen.min), max: Math.min(best.max, seen.max) };
  }
}

function countFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i] as number)) n++;
  return n;
}

const SMOOTHING = 0.0001;

function klForWindow(hist: Float64Array, prefix: Float64Array, start: number, end: number, quantizedBins: number): number {
  const length = end - start;
  const total = prefix[prefix.length - 1] as number;
  // Reference distribution p: the window with everything outside folded into its edge bins.
  const p = hist.slice(start, end);
  p[0] = (p[0] as number) + (prefix[start] as number);
  p[length - 1] = (p[length - 1] as number) + (total - (prefix[end] as number));
  // Candidate q: the window (without outliers) merged into quantizedBins bins, spread back
  // evenly over the bins that were non-zero in p.
  const merged = Math.floor(length / quantizedBins);
  if (merged === 0) return Infinity;
  const q = new Float64Array(length);
  for (let b = 0; b < quantizedBins; b++) {
    const from = b * merged;
    const to = b === quantizedBins - 1 ? length : from + merged;
    let sum = 0;
    let nonZero = 0;
    for (let j = from; j < to; j++) {
      sum += hist[start + j] as number;
      if ((p[j] as number) !== 0) nonZero++;
    }
    if (nonZero === 0) continue;
    const share = sum / nonZero;
    for (let j = from; j < to; j++) if ((p[j] as number) !== 0) q[j] = share;
  }
  const ps = smooth(p);
  const qs = smooth(q);
  if (!ps || !qs) return Infinity;
  return klDivergence(ps, qs);
}

/** Moves a little mass onto empty bins so the divergence stays finite (TensorRT's smoothing). */
function smooth(counts: Float64Array): Float64Array | undefined {
  let zeros = 0;
  for (const c of counts) if (c === 0) zeros++;
  const nonZeros = counts.length - zeros;
  if (nonZeros === 0) return undefined;
  const take = (SMOOTHING * zeros) / nonZeros;
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    out[i] = c === 0 ? SMOOTHING : c - take;
    if ((out[i] as number) <= 0) return undefined;
  }
  return out;
}

/** KL(p‖q) of two unnormalized histograms (scipy.stats.entropy normalizes both first). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i] as number;
    sq += q[i] as number;
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / sp;
    const qi = (q[i] as number) / sq;
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}
