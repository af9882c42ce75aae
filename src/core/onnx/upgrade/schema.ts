/**
 * Every operator of the default ONNX domain up to opset 13, with the opset versions at which its
 * schema changed (onnx/defs, docs/Changelog.md) and, for each change, what Inferscope does to a
 * node crossing it. A bare number is a change that leaves existing nodes meaning the same thing
 * (new element types, negative axes, a new attribute whose default is the old behaviour); a pair
 * names the rewrite. A node is walked through every change after its model's opset, in order.
 */
import type { NodeEdit } from './context';
import {
  axesToInput,
  clipBoundsToInputs,
  dropoutUnreadMask,
  dropoutDropIsTest,
  dropoutRatioToInput,
  padRenamePaddings,
  padToInputs,
  reduceSumAxesToInput,
  reshapeShapeToInput,
  sliceRangesToInputs,
  splitOneInput,
  splitSizesToInput,
  topKToInput,
} from './inputs';
import {
  batchNormForInference,
  broadcastToNumpy,
  castNumericTo,
  concatExplicitAxis,
  dropConsumedInputs,
  gemmDropBroadcast,
  lpPoolIntegerP,
  recurrentDropOutputSequence,
  refuseOldTile,
  refuseScanWithBatch,
  scatterToElements,
} from './legacy';
import { resizeFromOpset10, resizeWithoutTfHalfPixel, upsampleToResize } from './resize';
import { softmaxPerAxis } from './softmax';

export type Rewrite = (edit: NodeEdit) => void;
type Change = number | readonly [version: number, rewrite: Rewrite];

const consumed = dropConsumedInputs;
const unary: readonly Change[] = [1, [6, consumed], 13];
const arithmetic: readonly Change[] = [1, [6, consumed], [7, broadcastToNumpy], 13];
const logical: readonly Change[] = [1, [7, broadcastToNumpy]];
const comparison: readonly Change[] = [1, [7, broadcastToNumpy], 9, 13];
const reduce: readonly Change[] = [1, 11, 13];
const variadic: readonly Change[] = [1, [6, consumed], 8, 13];
const softmaxLike: readonly Change[] = [1, 11, [13, softmaxPerAxis]];
const recurrent: readonly Change[] = [1, [7, recurrentDropOutputSequence]];
const only = (version: number): readonly Change[] => [version];

export const HISTORY: Readonly<Record<string, readonly Change[]>> = {
  Abs: unary,
  Acos: only(7),
  Acosh: only(9),
  Add: arithmetic,
  And: logical,
  ArgMax: [1, 11, 12, 13],
  ArgMin: [1, 11, 12, 13],
  Asin: only(7),
  Asinh: only(9),
  Atan: only(7),
  Atanh: only(9),
  AveragePool: [1, 7, 10, 11],
  BatchNormalization: [1, [6, batchNormForInference], [7, batchNormForInference], [9, batchNormForInference]],
  BitShift: only(11),
  Cast: [1, [6, castNumericTo], 9, 13],
  Ceil: unary,
  Celu: only(12),
  Clip: [1, [6, consumed], [11, clipBoundsToInputs], 12, 13],
  Compress: [9, 11],
  Concat: [1, [4, concatExplicitAxis], 11, 13],
  ConcatFromSequence: only(11),
  Constant: [1, 9, 11, 12, 13],
  ConstantOfShape: only(9),
  Conv: [1, 11],
  ConvInteger: only(10),
  ConvTranspose: [1, 11],
  Cos: only(7),
  Cosh: only(9),
  CumSum: only(11),
  DepthToSpace: [1, 11, 13],
  DequantizeLinear: [10, 13],
  Det: only(11),
  Div: arithmetic,
  Dropout: [1, [6, consumed], [7, dropoutDropIsTest], [10, dropoutUnreadMask], [12, dropoutRatioToInput], 13],
  DynamicQuantizeLinear: only(11),
  Einsum: only(12),
  Elu: [1, [6, consumed]],
  Equal: [1, [7, broadcastToNumpy], 11, 13],
  Erf: [9, 13],
  Exp: unary,
  Expand: [8, 13],
  EyeLike: only(9),
  Flatten: [1, 9, 11, 13],
  Floor: unary,
  GRU: [1, 3, [7, recurrentDropOutputSequence]],
  Gather: [1, 11, 13],
  GatherElements: [11, 13],
  GatherND: [11, 12, 13],
  Gemm: [1, 6, [7, gemmDropBroadcast], 9, 11, 13],
  GlobalAveragePool: only(1),
  GlobalLpPool: [1, [2, lpPoolIntegerP]],
  GlobalMaxPool: only(1),
  Greater: comparison,
  GreaterOrEqual: only(12),
  HardSigmoid: [1, [6, consumed]],
  Hardmax: softmaxLike,
  Identity: [1, 13],
  If: [1, 11, 13],
  InstanceNormalization: [1, [6, consumed]],
  IsInf: only(10),
  IsNaN: [9, 13],
  LRN: [1, 13],
  LSTM: recurrent,
  LeakyRelu: [1, [6, consumed]],
  Less: comparison,
  LessOrEqual: only(12),
  Log: unary,
  LogSoftmax: softmaxLike,
  Loop: [1, 11, 13],
  LpNormalization: only(1),
  LpPool: [1, [2, lpPoolIntegerP], 11],
  MatMul: [1, 9, 13],
  MatMulInteger: only(10),
  Max: [1, [6, consumed], 8, 12, 13],
  MaxPool: [1, 8, 10, 11, 12],
  MaxRoiPool: only(1),
  MaxUnpool: [9, 11],
  Mean: variadic,
  MeanVarianceNormalization: [9, 13],
  Min: [1, [6, consumed], 8, 12, 13],
  Mod: [10, 13],
  Mul: arithmetic,
  Multinomial: only(7),
  Neg: unary,
  NegativeLogLikelihoodLoss: [12, 13],
  NonMaxSuppression: [10, 11],
  NonZero: [9, 13],
  Not: only(1),
  OneHot: [9, 11],
  Or: logical,
  PRelu: [1, [6, consumed], 7, 9],
  Pad: [1, [2, padRenamePaddings], [11, padToInputs], 13],
  Pow: [1, [7, broadcastToNumpy], 12, 13],
  QLinearConv: only(10),
  QLinearMatMul: only(10),
  QuantizeLinear: [10, 13],
  RNN: recurrent,
  RandomNormal: only(1),
  RandomNormalLike: only(1),
  RandomUniform: only(1),
  RandomUniformLike: only(1),
  Range: only(11),
  Reciprocal: unary,
  ReduceL1: reduce,
  ReduceL2: reduce,
  ReduceLogSum: reduce,
  ReduceLogSumExp: reduce,
  ReduceMax: [1, 11, 12, 13],
  ReduceMean: reduce,
  ReduceMin: [1, 11, 12, 13],
  ReduceProd: reduce,
  ReduceSum: [1, 11, [13, reduceSumAxesToInput]],
  ReduceSumSquare: reduce,
  Relu: unary,
  Reshape: [1, [5, reshapeShapeToInput], 13],
  Resize: [10, [11, resizeFromOpset10], [13, resizeWithoutTfHalfPixel]],
  ReverseSequence: only(10),
  RoiAlign: only(10),
  Round: only(11),
  Scan: [8, [9, refuseScanWithBatch], 11],
  Scatter: [9, 11],
  ScatterElements: [11, 13],
  ScatterND: [11, 13],
  Selu: [1, [6, consumed]],
  SequenceAt: only(11),
  SequenceConstruct: only(11),
  SequenceEmpty: only(11),
  SequenceErase: only(11),
  SequenceInsert: only(11),
  SequenceLength: only(11),
  Shape: [1, 13],
  Shrink: only(9),
  Sigmoid: unary,
  Sign: [9, 13],
  Sin: only(7),
  Sinh: only(9),
  Size: [1, 13],
  Slice: [1, [10, sliceRangesToInputs], 11, 13],
  Softmax: softmaxLike,
  SoftmaxCrossEntropyLoss: [12, 13],
  Softplus: only(1),
  Softsign: only(1),
  SpaceToDepth: [1, 13],
  Split: [1, [2, splitOneInput], 11, [13, splitSizesToInput]],
  SplitToSequence: only(11),
  Sqrt: unary,
  Squeeze: [1, 11, [13, axesToInput]],
  StringNormalizer: only(10),
  Sub: arithmetic,
  Sum: variadic,
  Tan: only(7),
  Tanh: unary,
  TfIdfVectorizer: only(9),
  ThresholdedRelu: only(10),
  Tile: [1, [6, refuseOldTile], 13],
  TopK: [1, [10, topKToInput], 11],
  Transpose: [1, 13],
  Unique: only(11),
  Unsqueeze: [1, 11, [13, axesToInput]],
  Upsample: [1, 7, 9, 10],
  Where: only(9),
  Xor: logical,
};

/**
 * Deprecated operators Inferscope replaces whatever the opset, with what they become (and at
 * which version of the successor the rewrite leaves them).
 */
export const DEPRECATED: Readonly<Record<string, { rewrite: Rewrite; becomes: string; at: number }>> = {
  Upsample: { rewrite: upsampleToResize, becomes: 'Resize', at: 13 },
  Scatter: { rewrite: scatterToElements, becomes: 'ScatterElements', at: 11 },
};

/** The version of `op` a model at `opset` uses: the last change at or before it; undefined when none. */
export function sinceVersion(op: string, opset: number): number | undefined {
  let found: number | undefined;
  for (const change of HISTORY[op] ?? []) {
    const version = typeof change === 'number' ? change : change[0];
    if (version <= opset) found = version;
  }
  return found;
}

/** The rewrites a node of `op` at `since` goes through up to `target`, in order (compatible changes skipped). */
export function rewritesAfter(op: string, since: number, target: number): Rewrite[] {
  const out: Rewrite[] = [];
  for (const change of HISTORY[op] ?? []) {
    if (typeof change === 'number') continue;
    const [version, rewrite] = change;
    if (version > since && version <= target) out.push(rewrite);
  }
  return out;
}
