/**
 * Token sequences for the text encoder sample, shaped like tokenized sentences: [CLS], words
 * drawn from a Zipf-like distribution over the vocabulary (a few tokens very common, most rare,
 * as in any language), [SEP] at the end of each sentence, then padding up to the sequence
 * length, with an attention mask of 1 for the real tokens and 0 for the padding.
 */
import { createRng } from '../rng';
import type { Rng } from '../rng';
import type { SyntheticData } from './types';

export const PAD = 0;
export const CLS = 1;
export const SEP = 2;
/** Ids below this are special tokens; words use the rest of the vocabulary. */
const FIRST_WORD = 3;
/** Zipf–Mandelbrot: the word of rank r has weight 1 / (r + q)^s. */
const ZIPF_S = 1.05;
const ZIPF_Q = 2.7;
/** Frequent words are spread over the ids (a tokenizer's vocabulary is not sorted by frequency). */
const PERMUTATION_SEED = 0x7a697066;

interface Vocabulary {
  /** Cumulative weights of the ranks, ending in 1. */
  cdf: Float64Array;
  /** Token id of each rank. */
  ids: Int32Array;
}

const vocabularies = new Map<number, Vocabulary>();

function vocabulary(size: number): Vocabulary {
  const known = vocabularies.get(size);
  if (known) return known;
  const words = Math.max(1, size - FIRST_WORD);
  const cdf = new Float64Array(words);
  let total = 0;
  for (let r = 0; r < words; r++) cdf[r] = total += 1 / (r + 1 + ZIPF_Q) ** ZIPF_S;
  for (let r = 0; r < words; r++) cdf[r] = (cdf[r] as number) / total;
  const ids = Int32Array.from({ length: words }, (_, r) => Math.min(size - 1, FIRST_WORD + r));
  const rng = createRng(PERMUTATION_SEED);
  for (let r = words - 1; r > 0; r--) {
    const k = Math.floor(rng.next() * (r + 1));
    [ids[r], ids[k]] = [ids[k] as number, ids[r] as number];
  }
  const made = { cdf, ids };
  vocabularies.set(size, made);
  return made;
}

function word(rng: Rng, vocab: Vocabulary): number {
  const u = rng.next();
  let lo = 0;
  let hi = vocab.cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((vocab.cdf[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return vocab.ids[lo] as number;
}

/** One row of `length` ids: [CLS] sentence [SEP] (sentence [SEP]) then padding; returns how many are real. */
export function tokenRow(rng: Rng, vocabSize: number, length: number, ids: BigInt64Array, at: number): number {
  const vocab = vocabulary(vocabSize);
  // Real text fills 40 … 100 % of the sequence; the rest is padding.
  const real = length <= 2 ? length : Math.max(2, Math.round(length * (0.4 + 0.6 * rng.next())));
  const secondSentence = real > 12 && rng.next() < 0.5 ? Math.floor(real * (0.35 + 0.3 * rng.next())) : -1;
  for (let i = 0; i < length; i++) {
    let id: number;
    if (i >= real) id = PAD;
    else if (i === 0) id = CLS;
    else if (i === real - 1 || i === secondSentence) id = SEP;
    else id = word(rng, vocab);
    ids[at + i] = BigInt(id);
  }
  return real;
}

/** Token ids and the attention mask for inputs of shape [N, sequence]; `vocabSize` ids in all. */
export function tokenData(vocabSize: number, idsName = 'input_ids', maskName = 'attention_mask'): SyntheticData {
  return {
    kind: 'Zipf-distributed token sequences',
    inputs: { [idsName]: 'int64', [maskName]: 'int64' },
    sample(shapes, seed) {
      const shape = shapes[idsName] ?? shapes[maskName] ?? [1, 128];
      const length = shape.at(-1) ?? 128;
      const rows = length > 0 ? shape.reduce((a, b) => a * b, 1) / length : 0;
      const ids = new BigInt64Array(rows * length);
      const mask = new BigInt64Array(rows * length);
      const rng = createRng(seed);
      for (let r = 0; r < rows; r++) {
        const real = tokenRow(rng, vocabSize, length, ids, r * length);
        mask.fill(1n, r * length, r * length + real);
      }
      return { [idsName]: ids, [maskName]: mask };
    },
  };
}
