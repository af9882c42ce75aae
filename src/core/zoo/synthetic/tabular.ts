/**
 * Tabular rows for the MLP sample, as a preprocessed table feeds a classifier: columns that
 * depend on a few hidden factors (so they correlate, as real columns do), most of them numeric
 * and standardized (some normal, some skewed like prices and counts), some binary flags, and
 * groups of one-hot categories. Which column is which is fixed; only the rows change with the seed.
 */
import { createRng } from '../rng';
import type { Rng } from '../rng';
import { elements } from './draw';
import type { SyntheticData } from './types';

/** Hidden factors the columns depend on. */
const FACTORS = 6;
/** Columns are laid out from this seed: the same column has the same meaning in every row. */
const LAYOUT_SEED = 0x7461626c;
const ONE_HOT_SIZE = 5;

type Column =
  | { kind: 'normal' | 'skewed'; loadings: Float64Array; noise: number }
  | { kind: 'flag'; loadings: Float64Array; threshold: number }
  | { kind: 'category'; loadings: Float64Array[]; first: boolean };

function loadings(rng: Rng): Float64Array {
  const out = new Float64Array(FACTORS);
  for (let k = 0; k < FACTORS; k++) out[k] = rng.normal() * (rng.next() < 0.5 ? 0.8 : 0.15);
  return out;
}

/** About two thirds normal or skewed numbers, an eighth flags, the rest one-hot groups of five. */
function layout(features: number): Column[] {
  const rng = createRng(LAYOUT_SEED);
  const columns: Column[] = [];
  while (columns.length < features) {
    const draw = rng.next();
    if (draw < 0.05 && columns.length + ONE_HOT_SIZE <= features) {
      const group = Array.from({ length: ONE_HOT_SIZE }, () => loadings(rng));
      for (let k = 0; k < ONE_HOT_SIZE; k++) columns.push({ kind: 'category', loadings: group, first: k === 0 });
    } else if (draw < 0.2) {
      columns.push({ kind: 'flag', loadings: loadings(rng), threshold: rng.normal() * 0.8 });
    } else {
      columns.push({ kind: rng.next() < 0.35 ? 'skewed' : 'normal', loadings: loadings(rng), noise: 0.3 + 0.7 * rng.next() });
    }
  }
  return columns;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (a[k] as number) * (b[k] as number);
  return sum;
}

/** exp(σ·z) standardized with the log-normal's own mean and deviation: right-skewed, mean 0, deviation 1. */
const SKEW = 0.6;
const SKEW_MEAN = Math.exp((SKEW * SKEW) / 2);
const SKEW_STD = Math.sqrt((Math.exp(SKEW * SKEW) - 1) * Math.exp(SKEW * SKEW));

/** One row of `features` columns into `out` at `at`. */
function row(columns: readonly Column[], rng: Rng, out: Float32Array, at: number): void {
  const factors = new Float64Array(FACTORS);
  for (let k = 0; k < FACTORS; k++) factors[k] = rng.normal();
  for (let j = 0; j < columns.length; j++) {
    const column = columns[j] as Column;
    if (column.kind === 'category') {
      if (!column.first) continue;
      // The category with the highest score (plus noise) is the one set.
      const scores = column.loadings.map((l) => dot(l, factors) + rng.normal());
      const chosen = scores.indexOf(Math.max(...scores));
      for (let k = 0; k < column.loadings.length; k++) out[at + j + k] = k === chosen ? 1 : 0;
      continue;
    }
    const latent = dot(column.loadings, factors);
    if (column.kind === 'flag') {
      out[at + j] = latent + 0.5 * rng.normal() > column.threshold ? 1 : 0;
      continue;
    }
    const spread = Math.sqrt(dot(column.loadings, column.loadings) + column.noise * column.noise);
    const z = (latent + column.noise * rng.normal()) / spread;
    out[at + j] = column.kind === 'normal' ? z : (Math.exp(SKEW * z) - SKEW_MEAN) / SKEW_STD;
  }
}

/** Rows for an input of shape [N, features]. */
export function tabularData(name = 'features'): SyntheticData {
  return {
    kind: 'tabular rows',
    inputs: { [name]: 'float32' },
    sample(shapes, seed) {
      const shape = shapes[name] ?? [1, 256];
      const features = shape.at(-1) ?? 256;
      const columns = layout(features);
      const rng = createRng(seed);
      const out = new Float32Array(elements(shape));
      for (let at = 0; at < out.length; at += features) row(columns, rng, out, at);
      return { [name]: out };
    },
  };
}
