/**
 * BatchNormalization folded into the Conv, ConvTranspose or Gemm that writes its input, in
 * float64 and rounded once to float32, before the fp16 conversion: a running variance float16
 * cannot hold (1e7 in a trained OCR detector) then only scales the weights down, and the
 * variant keeps the original's per-channel scale and shift.
 *
 *   s = γ / √(var + ε)      W'[o] = W[o] · s[o]      b'[o] = (b[o] − mean[o]) · s[o] + β[o]
 */
import { attrFloat, attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, NodeProto, TensorProto } from '../onnx/codec';
import type { ExternalDataReader } from '../onnx/tensor';
import type { Workspace } from './common';
import { batchNormAffine, batchNormParams, type BatchNormParams } from './fp16-constants';
import { allGraphs, consumersOf, findInitializer, graphOutputNames, isDefaultDomainNode, producersOf, type GraphEntry } from './graph';
import { ownedTensor, readWeight, tensorDims } from './tensors';

/** How output channels sit in the producer's weight. */
export type FoldLayout =
  /** Conv: [M, C/group, k…], output channel on axis 0. */
  | { kind: 'conv' }
  /** ConvTranspose: [C, M/group, k…], output channel = group of the input channel × M/group + axis 1. */
  | { kind: 'convTranspose'; group: number }
  /** Gemm: B is [K, N] (or [N, K] with transB), output channel = N. */
  | { kind: 'gemm'; transB: boolean };

export interface FoldInput {
  weights: ArrayLike<number>;
  dims: readonly number[];
  layout: FoldLayout;
  /** The producer's additive term per output channel before the BatchNormalization; absent means zeros. */
  bias?: ArrayLike<number> | undefined;
  batchNorm: BatchNormParams;
}

export interface Folded {
  /** W·s, rounded once to float32. */
  weights: Float32Array;
  /** (b − mean)·s + β in float64 (the caller rounds after any last step of its own). */
  bias: Float64Array;
}

/** Output channels of a weight in this layout, or undefined when its shape does not fit. */
export function outputChannels(dims: readonly number[], layout: FoldLayout): number | undefined {
  switch (layout.kind) {
    case 'conv':
      return dims.length >= 3 ? dims[0] : undefined;
    case 'convTranspose': {
      if (dims.length < 3 || layout.group < 1 || (dims[0] as number) % layout.group !== 0) return undefined;
      return (dims[1] as number) * layout.group;
    }
    case 'gemm':
      return dims.length === 2 ? (layout.transB ? dims[0] : dims[1]) : undefined;
  }
}

/** Which output channel each weight element belongs to. */
function channelOf(dims: readonly number[], layout: FoldLayout): (index: number) => number {
  const inner = dims.slice(layout.kind === 'conv' ? 1 : 2).reduce((a, b) => a * b, 1);
  switch (layout.kind) {
    case 'conv':
      return (i) => Math.floor(i / inner);
    case 'convTranspose': {
      const perGroup = dims[1] as number;
      const inputsPerGroup = (dims[0] as number) / layout.group;
      return (i) => {
        const inputChannel = Math.floor(i / (perGroup * inner));
        const j = Math.floor(i / inner) % perGroup;
        return Math.floor(inputChannel / inputsPerGroup) * perGroup + j;
      };
    }
    case 'gemm': {
      const cols = dims[1] as number;
      return layout.transB ? (i) => Math.floor(i / cols) : (i) => i % cols;
    }
  }
}

/** The folded weight and bias; exact in float64, the weight rounded once to float32. */
export function foldBatchNorm(input: FoldInput): Folded {
  const { scale, shift } = batchNormAffine(input.batchNorm);
  const channels = scale.length;
  if (outputChannels(input.dims, input.layout) !== channels) {
    throw new RangeError(`the weight has ${outputChannels(input.dims, input.layout)} output channels, the BatchNormalization ${channels}`);
  }
  const channel = channelOf(input.dims, input.layout);
  const weights = new Float32Array(input.weights.length);
  for (let i = 0; i < weights.length; i++) weights[i] = Number(input.weights[i]) * (scale[channel(i)] as number);
  const bias = new Float64Array(channels);
  for (let c = 0; c < channels; c++) bias[c] = Number(input.bias?.[c] ?? 0) * (scale[c] as number) + (shift[c] as number);
  return { weights, bias };
}

// ---------------------------------------------------------------------------------------------
// In the graph

const FOLD_INTO = new Set(['Conv', 'ConvTranspose', 'Gemm']);

export interface FoldOutcome {
  /** One line per folded node: "BatchNormalization bn: <reason> — folded into Conv conv in fp32". */
  folded: string[];
  /** BatchNormalizations that stay: name → why they are not folded. */
  notFolded: Map<string, string>;
}

interface FoldSite {
  entry: GraphEntry;
  batchNorm: NodeProto;
  producer: NodeProto;
  params: BatchNormParams;
  layout: FoldLayout;
  weight: TensorProto;
  weights: Float32Array;
  bias: Float64Array | undefined;
  /** Gemm's beta (the new C is divided by it); 1 for convolutions. */
  beta: number;
}

/**
 * Folds each BatchNormalization named in `names` that can be folded; `allowed` says whether the
 * user lets a node be changed. The workspace's graphs are edited in place.
 */
export function foldBatchNorms(
  ws: Workspace,
  names: ReadonlyMap<string, string>,
  external: ExternalDataReader | undefined,
  allowed: (node: NodeProto) => boolean,
): FoldOutcome {
  const outcome: FoldOutcome = { folded: [], notFolded: new Map() };
  for (const entry of allGraphs(ws.model)) {
    for (const node of [...(entry.graph.node ?? [])]) {
      const reason = node.name ? names.get(node.name) : undefined;
      if (reason === undefined) continue;
      const site = foldSite(entry, node, external, allowed);
      if (typeof site === 'string') {
        outcome.notFolded.set(node.name as string, site);
        continue;
      }
      rewrite(ws, site);
      outcome.folded.push(
        `BatchNormalization ${node.name}: ${reason} — folded into ${site.producer.op_type} ${site.producer.name} in fp32`,
      );
    }
  }
  return outcome;
}

/** Where the node folds, or why it cannot. */
function foldSite(
  entry: GraphEntry,
  batchNorm: NodeProto,
  external: ExternalDataReader | undefined,
  allowed: (node: NodeProto) => boolean,
): FoldSite | string {
  const graph = entry.graph;
  const x = (batchNorm.input ?? [])[0] ?? '';
  const producer = producersOf(graph).get(x);
  if (!producer || !FOLD_INTO.has(producer.op_type ?? '') || !isDefaultDomainNode(producer) || (producer.output ?? [])[0] !== x)
    return 'no Conv, ConvTranspose or Gemm writes its input';
  const what = `${producer.op_type} ${producer.name}`;
  if ((consumersOf(graph).get(x) ?? []).length !== 1 || graphOutputNames(graph).has(x))
    return `the output of ${what} is also read elsewhere`;
  if (!allowed(producer) || !allowed(batchNorm)) return 'the include/exclude lists leave it or its producer alone';
  const params = batchNormParams(entry, batchNorm, external);
  if (!params) return 'its statistics are not float32 constants';
  if (attrInt(batchNorm, 'spatial', 1) !== 1) return 'it normalizes per element (spatial = 0)';
  const weightName = (producer.input ?? [])[1] ?? '';
  const weight = weightName ? findInitializer(entry, weightName)?.tensor : undefined;
  if (!weight || weight.data_type !== DataType.FLOAT) return `the weight of ${what} is not a float32 constant`;
  const op = producer.op_type;
  const layout: FoldLayout =
    op === 'Conv'
      ? { kind: 'conv' }
      : op === 'ConvTranspose'
        ? { kind: 'convTranspose', group: attrInt(producer, 'group', 1) }
        : { kind: 'gemm', transB: attrInt(producer, 'transB', 0) === 1 };
  const channels = params.scale.length;
  if (outputChannels(tensorDims(weight), layout) !== channels) return `the weight of ${what} does not have ${channels} output channels`;
  const beta = op === 'Gemm' ? attrFloat(producer, 'beta', 1) : 1;
  if (beta === 0) return `${what} has beta = 0`;
  const bias = producerBias(entry, producer, channels, beta, external);
  if (bias === null) return `the bias of ${what} is not a per-channel float32 constant`;
  return { entry, batchNorm, producer, params, layout, weight, weights: readWeight(weight, external), bias, beta };
}

/** The producer's additive term per channel (Gemm: beta·C), undefined for none, null when it is not per-channel constant. */
function producerBias(
  entry: GraphEntry,
  producer: NodeProto,
  channels: number,
  beta: number,
  external: ExternalDataReader | undefined,
): Float64Array | undefined | null {
  const name = (producer.input ?? [])[2];
  if (!name) return undefined;
  const tensor = findInitializer(entry, name)?.tensor;
  if (!tensor || tensor.data_type !== DataType.FLOAT) return null;
  const values = readWeight(tensor, external);
  const dims = tensorDims(tensor);
  // Conv and ConvTranspose: B is [M]. Gemm: C broadcasts; per-channel forms are [N], [1, N] and scalars.
  const perChannel = producer.op_type === 'Gemm' ? dims.length <= 2 && dims.slice(0, -1).every((d) => d === 1) : dims.length === 1;
  if (!perChannel || (values.length !== channels && !(values.length === 1 && producer.op_type === 'Gemm'))) return null;
  return Float64Array.from({ length: channels }, (_, c) => beta * (values.length === 1 ? (values[0] as number) : (values[c] as number)));
}

function rewrite(ws: Workspace, site: FoldSite): void {
  const { entry, batchNorm, producer, params, layout, weight, beta } = site;
  const graph: GraphProto = entry.graph;
  const folded = foldBatchNorm({
    weights: site.weights,
    dims: tensorDims(weight),
    layout,
    bias: site.bias,
    batchNorm: params,
  });
  const weightName = ws.names.fresh(`${weight.name ?? 'W'}_bn_folded`);
  const biasName = ws.names.fresh(`${producer.name ?? 'node'}_bn_bias`);
  const bias = Float32Array.from(folded.bias, (b) => b / beta);
  graph.initializer = [
    ...(graph.initializer ?? []),
    ownedTensor(weightName, DataType.FLOAT, tensorDims(weight), folded.weights),
    ownedTensor(biasName, DataType.FLOAT, [bias.length], bias),
  ];
  const inputs = [...(producer.input ?? [])];
  inputs[1] = weightName;
  inputs[2] = biasName;
  producer.input = inputs;
  const before = (producer.output ?? [])[0];
  producer.output = [(batchNorm.output ?? [])[0] ?? '', ...(producer.output ?? []).slice(1)];
  graph.node = (graph.node ?? []).filter((n) => n !== batchNorm);
  graph.value_info = (graph.value_info ?? []).filter((v) => v.name !== before);
}
