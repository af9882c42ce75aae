/**
 * How far a transformed model's outputs are from the fp32 model's on the same inputs
 * (docs/quantization.md#quality-metrics). Pure: arrays in, numbers out. Results accumulate over several
 * evaluation batches, so the figures describe all of them, not the last one.
 */
import type { OutputQuality } from '../../shared/domain/quantize';

/** Outputs with more classes than this are embeddings or feature maps, not class scores. */
export const MAX_CLASSES = 10_000;
export const TOP_K = 5;

export type NumericArray = ArrayLike<number> | ArrayLike<bigint>;

export interface OutputSample {
  data: NumericArray;
  dims: readonly number[];
}

/** Rank 2 with a last dimension of 2..10000: one row of class scores per item. */
export function isClassScores(dims: readonly number[]): boolean {
  if (dims.length !== 2) return false;
  const classes = dims[1] as number;
  return classes >= 2 && classes <= MAX_CLASSES;
}

function value(data: NumericArray, i: number): number {
  return Number(data[i]);
}

/** Indices of the k largest values of data[start, start+length), largest first; NaN never wins. */
export function topK(data: NumericArray, start: number, length: number, k: number): number[] {
  const picked: number[] = [];
  for (let i = 0; i < length; i++) {
    const v = value(data, start + i);
    if (Number.isNaN(v)) continue;
    let at = picked.length;
    while (at > 0 && v > value(data, start + (picked[at - 1] as number))) at--;
    if (at < k) {
      picked.splice(at, 0, i);
      if (picked.length > k) picked.pop();
    }
  }
  return picked;
}

/**
 * Every figure of one output over every element compared. Elements fall in four kinds:
 * - both finite: counted in every sum;
 * - the same non-finite value on both sides (both NaN, or the same infinity): equal;
 * - NaN or ±Inf in the variant where the original has a finite (or another non-finite) value:
 *   the output is broken; max and mean |Δ| are Infinity, SQNR is null, and cosine counts the
 *   element as maximal error (the original's value negated; where that is 0, an error as large
 *   as the original's root mean square), so a broken output never reads as a match;
 * - a finite value in the variant where the original is NaN or ±Inf: |Δ| is Infinity.
 */
export class OutputQualityAccumulator {
  private elements = 0;
  private maxAbsDiff = 0;
  private sumAbsDiff = 0;
  private signalEnergy = 0;
  private noiseEnergy = 0;
  private dot = 0;
  private candidateEnergy = 0;
  /** Elements where the original is finite (the denominator of its root mean square). */
  private finiteReference = 0;
  /** Finite pairs that differ. */
  private differing = 0;
  /** Non-finite in the variant, not the same in the original. */
  private brokenElements = 0;
  /** ...of which the original's value is 0. */
  private brokenAtZero = 0;
  /** Finite in the variant where the original is not. */
  private lostNonFinite = 0;
  private nanCount = 0;
  private infCount = 0;
  private rows = 0;
  private top1Agree = 0;
  private top5Shared = 0;
  private classScores = true;
  /** Classes per row of a class-score output: top-5 overlap means something only with more than 5. */
  private classCount = 0;

  constructor(readonly name: string) {}

  /** One batch of the same output from the reference (fp32) and the transformed model. */
  add(reference: OutputSample, candidate: OutputSample): void {
    const n = reference.data.length;
    if (candidate.data.length !== n) {
      throw new RangeError(`Output ${this.name}: the models returned ${n} and ${candidate.data.length} values.`);
    }
    this.elements += n;
    for (let i = 0; i < n; i++) this.element(value(reference.data, i), value(candidate.data, i));
    if (!isClassScores(reference.dims)) {
      this.classScores = false;
      return;
    }
    const [batch, classes] = reference.dims as [number, number];
    const k = Math.min(TOP_K, classes);
    this.classCount = classes;
    for (let row = 0; row < batch; row++) {
      const start = row * classes;
      const a = topK(reference.data, start, classes, k);
      const b = topK(candidate.data, start, classes, k);
      this.rows++;
      if (a[0] !== undefined && a[0] === b[0]) this.top1Agree++;
      const inB = new Set(b);
      this.top5Shared += a.filter((c) => inB.has(c)).length / k;
    }
  }

  private element(x: number, y: number): void {
    if (Number.isNaN(y)) this.nanCount++;
    else if (!Number.isFinite(y)) this.infCount++;
    const xFinite = Number.isFinite(x);
    if (xFinite) {
      this.finiteReference++;
      this.signalEnergy += x * x;
    }
    if (xFinite && Number.isFinite(y)) {
      const d = Math.abs(x - y);
      if (d > 0) this.differing++;
      if (d > this.maxAbsDiff) this.maxAbsDiff = d;
      this.sumAbsDiff += d;
      this.noiseEnergy += d * d;
      this.dot += x * y;
      this.candidateEnergy += y * y;
      return;
    }
    // Both NaN, or the same infinity: equal.
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) return;
    this.maxAbsDiff = Infinity;
    this.sumAbsDiff = Infinity;
    if (Number.isFinite(y)) {
      this.lostNonFinite++;
      return;
    }
    this.brokenElements++;
    if (!xFinite) return;
    if (x === 0) this.brokenAtZero++;
    // Maximal error: the variant's value taken as -x.
    this.dot -= x * x;
    this.candidateEnergy += x * x;
  }

  result(): OutputQuality {
    const broken = this.brokenElements > 0;
    const identical = this.elements > 0 && !broken && this.lostNonFinite === 0 && this.differing === 0;
    const zeroReference = this.finiteReference > 0 && this.signalEnergy === 0;
    const quality: OutputQuality = {
      name: this.name,
      elements: this.elements,
      maxAbsDiff: this.maxAbsDiff,
      meanAbsDiff: this.elements > 0 ? this.sumAbsDiff / this.elements : 0,
      sqnrDb: broken || identical ? null : sqnrDb(this.signalEnergy, this.noiseEnergy),
      cosine: broken ? this.brokenCosine() : cosine(this.dot, this.signalEnergy, this.candidateEnergy),
      nanCount: this.nanCount,
      infCount: this.infCount,
      broken,
      identical,
    };
    if (zeroReference) quality.zeroReference = true;
    if (this.classScores && this.rows > 0) {
      quality.top1Agreement = this.top1Agree / this.rows;
      if (this.classCount > TOP_K) quality.top5Overlap = this.top5Shared / this.rows;
      quality.rows = this.rows;
    }
    return quality;
  }

  /** Broken elements where the original is 0 add an error as large as the original's root mean square. */
  private brokenCosine(): number {
    if (this.signalEnergy === 0) return 0;
    const meanSquare = this.signalEnergy / this.finiteReference;
    return cosine(this.dot, this.signalEnergy, this.candidateEnergy + this.brokenAtZero * meanSquare);
  }
}

/** 10·log10(signal/noise) energies = 20·log10(‖x‖/‖x−y‖); null when no noise or no signal. */
export function sqnrDb(signalEnergy: number, noiseEnergy: number): number | null {
  if (noiseEnergy === 0 || signalEnergy === 0) return null;
  return 10 * Math.log10(signalEnergy / noiseEnergy);
}

export function cosine(dot: number, energyA: number, energyB: number): number {
  if (energyA === 0 && energyB === 0) return 1;
  if (energyA === 0 || energyB === 0) return 0;
  return dot / Math.sqrt(energyA * energyB);
}

/** All metrics of one pair of outputs. */
export function compareOutput(name: string, reference: OutputSample, candidate: OutputSample): OutputQuality {
  const accumulator = new OutputQualityAccumulator(name);
  accumulator.add(reference, candidate);
  return accumulator.result();
}
