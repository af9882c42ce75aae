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

export class OutputQualityAccumulator {
  private elements = 0;
  private finiteElements = 0;
  private maxAbsDiff = 0;
  private sumAbsDiff = 0;
  private signalEnergy = 0;
  private noiseEnergy = 0;
  private dot = 0;
  private candidateEnergy = 0;
  private nanCount = 0;
  private infCount = 0;
  private rows = 0;
  private top1Agree = 0;
  private top5Shared = 0;
  private classScores = true;

  constructor(readonly name: string) {}

  /** One batch of the same output from the reference (fp32) and the transformed model. */
  add(reference: OutputSample, candidate: OutputSample): void {
    const n = reference.data.length;
    if (candidate.data.length !== n) {
      throw new RangeError(`Output ${this.name}: the models returned ${n} and ${candidate.data.length} values.`);
    }
    this.elements += n;
    for (let i = 0; i < n; i++) {
      const x = value(reference.data, i);
      const y = value(candidate.data, i);
      if (Number.isNaN(y)) this.nanCount++;
      else if (!Number.isFinite(y)) this.infCount++;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      this.finiteElements++;
      const d = Math.abs(x - y);
      if (d > this.maxAbsDiff) this.maxAbsDiff = d;
      this.sumAbsDiff += d;
      this.signalEnergy += x * x;
      this.noiseEnergy += (x - y) * (x - y);
      this.dot += x * y;
      this.candidateEnergy += y * y;
    }
    if (!isClassScores(reference.dims)) {
      this.classScores = false;
      return;
    }
    const [batch, classes] = reference.dims as [number, number];
    const k = Math.min(TOP_K, classes);
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

  result(): OutputQuality {
    const quality: OutputQuality = {
      name: this.name,
      elements: this.elements,
      maxAbsDiff: this.maxAbsDiff,
      meanAbsDiff: this.finiteElements > 0 ? this.sumAbsDiff / this.finiteElements : 0,
      sqnrDb: sqnrDb(this.signalEnergy, this.noiseEnergy),
      cosine: cosine(this.dot, this.signalEnergy, this.candidateEnergy),
      nanCount: this.nanCount,
      infCount: this.infCount,
    };
    if (this.classScores && this.rows > 0) {
      quality.top1Agreement = this.top1Agree / this.rows;
      quality.top5Overlap = this.top5Shared / this.rows;
    }
    return quality;
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
