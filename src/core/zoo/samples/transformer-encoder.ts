import { attr } from '../../onnx/build';
import type { GraphBuilder } from '../../onnx/build';
import { normalArray } from '../rng';
import type { Rng } from '../rng';
import type { SampleDefinition } from '../types';
import { declareInput, declareOutput, SAMPLE_OPSET, sampleModel } from './common';

/** BERT-mini-like sizes. */
const VOCAB = 1000;
const HIDDEN = 128;
const HEADS = 4;
const HEAD_SIZE = HIDDEN / HEADS;
const LAYERS = 2;
const FFN = 512;
const MAX_POSITIONS = 512;
const LN_EPSILON = 1e-12;
/** Added to the scores of padded positions; finite so fp16 conversion keeps it representable. */
const MASKED_SCORE = -10000;

const description = {
  name: 'transformer-encoder',
  title: 'Transformer encoder',
  description:
    'A BERT-mini-like text encoder: token and position embeddings, 2 layers of 4-head self-attention (hidden 128, feed-forward ' +
    '512, GELU, LayerNorm), dynamic batch and sequence length up to 512 tokens. The operator mix of real transformer exports ' +
    '(MatMul, Reshape, Transpose, Softmax, Erf).',
  task: 'text-embedding' as const,
  version: 1,
  seed: 0x62657274,
  inputs: [
    {
      name: 'input_ids',
      type: 'int64' as const,
      shape: ['batch', 'sequence'],
      valueRange: { min: 0, max: VOCAB - 1 },
      description: `token ids (vocabulary of ${VOCAB})`,
    },
    {
      name: 'attention_mask',
      type: 'int64' as const,
      shape: ['batch', 'sequence'],
      valueRange: { min: 0, max: 1 },
      description: '1 for real tokens, 0 for padding',
    },
  ],
  outputs: [
    {
      name: 'last_hidden_state',
      type: 'float32' as const,
      shape: ['batch', 'sequence', HIDDEN],
      description: 'contextual embedding of every token',
    },
    {
      name: 'pooler_output',
      type: 'float32' as const,
      shape: ['batch', HIDDEN],
      description: 'sentence embedding (first token, dense + tanh)',
    },
  ],
  referenceDims: { batch: 1, sequence: 128 },
};

export const transformerEncoder: SampleDefinition = {
  ...description,
  opset: SAMPLE_OPSET,
  cost() {
    const layerNorm = 2 * HIDDEN;
    const dense = (inFeatures: number, outFeatures: number): number => inFeatures * outFeatures + outFeatures;
    const perLayer = 4 * dense(HIDDEN, HIDDEN) + dense(HIDDEN, FFN) + dense(FFN, HIDDEN) + 2 * layerNorm;
    const params = VOCAB * HIDDEN + MAX_POSITIONS * HIDDEN + layerNorm + LAYERS * perLayer + dense(HIDDEN, HIDDEN);
    const batch = description.referenceDims.batch;
    const sequence = description.referenceDims.sequence;
    // Per token: Q, K, V and output projections plus the two feed-forward MatMuls; per layer the
    // score (QKᵀ) and context (PV) MatMuls are sequence² · hidden each; the pooler is one token.
    const perLayerMacs = sequence * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN) + 2 * sequence * sequence * HIDDEN;
    return { params, macs: batch * (LAYERS * perLayerMacs + HIDDEN * HIDDEN) };
  },
  build() {
    return sampleModel(description, (g, rng) => {
      const [idsInfo, maskInfo] = description.inputs;
      const [hiddenInfo, pooledInfo] = description.outputs;
      const ids = declareInput(g, idsInfo!);
      const mask = declareInput(g, maskInfo!);

      let hidden = g.scope('embeddings', () => embeddings(g, rng, ids));
      const maskBias = g.scope('extended_attention_mask', () => {
        const keep = g.op('Cast', [mask], { to: 1 /* FLOAT */ });
        const dropped = g.op('Sub', [g.constant(new Float32Array([1]), []), keep]);
        const bias = g.op('Mul', [dropped, g.constant(new Float32Array([MASKED_SCORE]), [])]);
        // [batch, sequence] → [batch, 1, 1, sequence], broadcast over heads and query positions.
        return g.op('Unsqueeze', [bias, g.initializer('mask_axes', new BigInt64Array([1n, 2n]), [2])]);
      });
      const headShape = g.initializer('head_shape', new BigInt64Array([0n, 0n, BigInt(HEADS), BigInt(HEAD_SIZE)]), [4]);
      const mergedShape = g.initializer('merged_shape', new BigInt64Array([0n, 0n, BigInt(HIDDEN)]), [3]);
      for (let layer = 0; layer < LAYERS; layer++) {
        const output = layer === LAYERS - 1 ? hiddenInfo!.name : undefined;
        hidden = g.scope(`encoder/layer.${layer}`, () =>
          encoderLayer(g, rng, `encoder.layer.${layer}`, hidden, maskBias, headShape, mergedShape, output),
        );
      }
      declareOutput(g, hiddenInfo!);

      g.scope('pooler', () => {
        const first = g.op('Gather', [hidden, g.constant(new BigInt64Array([0n]), [])], { axis: 1 });
        const w = g.initializer('pooler.dense.weight', xavier(rng, HIDDEN, HIDDEN), [HIDDEN, HIDDEN]);
        const b = g.initializer('pooler.dense.bias', normalArray(rng, HIDDEN, 0.02), [HIDDEN]);
        const dense = g.op('Gemm', [first, w, b], { alpha: attr.float(1), beta: attr.float(1), transB: 1 });
        g.op('Tanh', [dense], {}, { output: pooledInfo!.name });
      });
      declareOutput(g, pooledInfo!);
    });
  },
};

function embeddings(g: GraphBuilder, rng: Rng, ids: string): string {
  const words = g.initializer('embeddings.word_embeddings.weight', normalArray(rng, VOCAB * HIDDEN, 1), [VOCAB, HIDDEN]);
  const positionsTable = g.initializer('embeddings.position_embeddings.weight', normalArray(rng, MAX_POSITIONS * HIDDEN, 0.5), [
    MAX_POSITIONS,
    HIDDEN,
  ]);
  const tokenVectors = g.op('Gather', [words, ids], { axis: 0 });
  // Position ids 0..sequence-1 computed from the input's shape, so any sequence length works.
  const shape = g.op('Shape', [ids]);
  const sequence = g.op('Gather', [shape, g.constant(new BigInt64Array([1n]), [])], { axis: 0 });
  const positions = g.op('Range', [g.constant(new BigInt64Array([0n]), []), sequence, g.constant(new BigInt64Array([1n]), [])]);
  const positionVectors = g.op('Gather', [positionsTable, positions], { axis: 0 });
  const sum = g.op('Add', [tokenVectors, positionVectors]);
  return layerNorm(g, rng, 'embeddings.LayerNorm', sum);
}

function encoderLayer(
  g: GraphBuilder,
  rng: Rng,
  prefix: string,
  x: string,
  maskBias: string,
  headShape: string,
  mergedShape: string,
  output: string | undefined,
): string {
  const heads = (name: string, perm: number[]): string =>
    g.scope(`attention/self/${name}`, () => {
      const projected = linear(g, rng, `${prefix}.attention.self.${name}`, x, HIDDEN, HIDDEN);
      const split = g.op('Reshape', [projected, headShape]);
      return g.op('Transpose', [split], { perm });
    });
  const query = heads('query', [0, 2, 1, 3]); // [batch, heads, sequence, head]
  const key = heads('key', [0, 2, 3, 1]); // [batch, heads, head, sequence]
  const value = heads('value', [0, 2, 1, 3]);

  const attended = g.scope('attention/self', () => {
    const scores = g.op('MatMul', [query, key]);
    const scaled = g.op('Div', [scores, g.constant(new Float32Array([Math.sqrt(HEAD_SIZE)]), [])]);
    const masked = g.op('Add', [scaled, maskBias]);
    const probabilities = g.op('Softmax', [masked], { axis: -1 });
    const context = g.op('MatMul', [probabilities, value]);
    const merged = g.op('Transpose', [context], { perm: [0, 2, 1, 3] });
    return g.op('Reshape', [merged, mergedShape]);
  });
  const afterAttention = g.scope('attention/output', () => {
    const projected = linear(g, rng, `${prefix}.attention.output.dense`, attended, HIDDEN, HIDDEN);
    const residual = g.op('Add', [projected, x]);
    return layerNorm(g, rng, `${prefix}.attention.output.LayerNorm`, residual);
  });
  const expanded = g.scope('intermediate', () => gelu(g, linear(g, rng, `${prefix}.intermediate.dense`, afterAttention, HIDDEN, FFN)));
  return g.scope('output', () => {
    const projected = linear(g, rng, `${prefix}.output.dense`, expanded, FFN, HIDDEN);
    const residual = g.op('Add', [projected, afterAttention]);
    return layerNorm(g, rng, `${prefix}.output.LayerNorm`, residual, output);
  });
}

/** MatMul with an [in, out] weight plus a bias Add: how transformer exports write Linear layers. */
function linear(g: GraphBuilder, rng: Rng, name: string, x: string, inFeatures: number, outFeatures: number): string {
  const w = g.initializer(`${name}.weight`, xavier(rng, inFeatures, outFeatures), [inFeatures, outFeatures]);
  const b = g.initializer(`${name}.bias`, normalArray(rng, outFeatures, 0.02), [outFeatures]);
  return g.op('Add', [g.op('MatMul', [x, w]), b]);
}

function layerNorm(g: GraphBuilder, rng: Rng, name: string, x: string, output?: string): string {
  const scale = g.initializer(`${name}.weight`, normalArray(rng, HIDDEN, 0.05, 1), [HIDDEN]);
  const bias = g.initializer(`${name}.bias`, normalArray(rng, HIDDEN, 0.02), [HIDDEN]);
  return g.op(
    'LayerNormalization',
    [x, scale, bias],
    { axis: -1, epsilon: attr.float(LN_EPSILON) },
    output !== undefined ? { output } : {},
  );
}

/** Exact GELU, x · ½ · (1 + erf(x / √2)): the form PyTorch exports at opset 17 and ORT fuses into one kernel. */
function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.op('Div', [x, g.constant(new Float32Array([Math.SQRT2]), [])]);
  const erf = g.op('Erf', [scaled]);
  const shifted = g.op('Add', [erf, g.constant(new Float32Array([1]), [])]);
  const product = g.op('Mul', [x, shifted]);
  return g.op('Mul', [product, g.constant(new Float32Array([0.5]), [])]);
}

function xavier(rng: Rng, inFeatures: number, outFeatures: number): Float32Array {
  return normalArray(rng, inFeatures * outFeatures, Math.sqrt(2 / (inFeatures + outFeatures)));
}
