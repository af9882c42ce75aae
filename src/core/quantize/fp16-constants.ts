/**
 * Stored values float16 cannot hold (docs/quantization.md#fp16): weights and constants beyond
 * ±65504, small constants that float16 would move far from their value (an epsilon of 1e-10
 * becomes 5.96e-8), and BatchNormalization statistics whose per-channel scale or shift float16
 * would change. A node that reads such a value stays fp32 (or, for a BatchNormalization after a
 * Conv, ConvTranspose or Gemm, is folded into it first: fp16-fold.ts); nothing is clamped silently.
 * Also: whether a model already holds quantized weights, which fp16 would not make any smaller.
 */
import { attrFloat, attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/codec';
import { float16ToFloat32, tensorElementCount } from '../onnx/tensor';
import type { ExternalDataReader } from '../onnx/tensor';
import { allGraphs, findInitializer, isDefaultDomainNode, type GraphEntry } from './graph';
import { FLOAT16_MAX, FLOAT16_MIN_POSITIVE, float32ToFloat16Clamped } from './math';
import { forEachFloatChunk, readWeight } from './tensors';

/** Constants with at most this many values are checked value by value (epsilons, clip bounds, exponents). */
export const SMALL_CONSTANT_ELEMENTS = 16;
/** A small constant that float16 moves by more than this fraction of its value keeps its reader fp32. */
export const SMALL_CONSTANT_TOLERANCE = 0.1;
/** A BatchNormalization whose per-channel scale or shift float16 changes by more than this is folded or kept fp32. */
export const BATCH_NORM_TOLERANCE = 0.01;
/** The default epsilon of BatchNormalization. */
const BATCH_NORM_EPSILON = 1e-5;

/** The value float16 stores for `value`, as the conversion writes it (tiny values clamped up, huge ones down). */
export function asFloat16(value: number): number {
  return float16ToFloat32(float32ToFloat16Clamped(value));
}

/** 1.02e7, 65504, 0.25, 5.96e-8: three significant digits (whole numbers below 1e5 in full), exponents written plainly. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3))
    return value
      .toExponential(2)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  // 65504, not 65500: whole numbers below 1e5 keep every digit.
  if (magnitude >= 1000) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

export interface ConstantRange {
  /** Largest finite magnitude. */
  maxAbs: number;
  /** Finite values beyond ±65504. */
  huge: number;
  /** Small constants only: the value float16 moves most (relative to itself) beyond the tolerance. */
  moved?: { value: number; becomes: number } | undefined;
}

/** What float16 would do to one float32 tensor's values. */
export function constantRange(values: ArrayLike<number>): ConstantRange {
  let maxAbs = 0;
  let huge = 0;
  let moved: ConstantRange['moved'];
  let worst = SMALL_CONSTANT_TOLERANCE;
  const small = values.length <= SMALL_CONSTANT_ELEMENTS;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    const magnitude = Math.abs(v);
    if (magnitude > maxAbs) maxAbs = magnitude;
    if (magnitude > FLOAT16_MAX) huge++;
    if (small && magnitude > 0 && magnitude <= FLOAT16_MAX) {
      const becomes = asFloat16(v);
      const change = Math.abs(becomes - v) / magnitude;
      if (change > worst) {
        worst = change;
        moved = { value: v, becomes };
      }
    }
  }
  return { maxAbs, huge, moved };
}

/** Why a constant cannot be stored in float16 as it is, or undefined when it can. */
export function constantProblem(label: string, range: ConstantRange): string | undefined {
  if (range.huge > 0) {
    const count = range.huge > 1 ? ` (${range.huge} values are beyond it)` : '';
    return `${label} ${formatValue(range.maxAbs)} exceeds fp16's ${FLOAT16_MAX}${count}`;
  }
  if (range.moved) {
    const { value, becomes } = range.moved;
    const how = value !== 0 && Math.abs(value) < FLOAT16_MIN_POSITIVE ? 'below the smallest fp16 value' : 'between fp16 values';
    return `${label} ${formatValue(value)} is ${how} and would become ${formatValue(becomes)}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization

export interface BatchNormParams {
  scale: ArrayLike<number>;
  bias: ArrayLike<number>;
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
  epsilon: number;
}

/** The per-channel affine map y = s·x + t of an inference-mode BatchNormalization, in float64. */
export function batchNormAffine(p: BatchNormParams): { scale: Float64Array; shift: Float64Array } {
  const channels = p.scale.length;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = Number(p.scale[c]) / Math.sqrt(Number(p.variance[c]) + p.epsilon);
    scale[c] = s;
    shift[c] = Number(p.bias[c]) - Number(p.mean[c]) * s;
  }
  return { scale, shift };
}

const BATCH_NORM_LABELS = ['scale', 'bias', 'running mean', 'running variance'] as const;

/**
 * Why float16 cannot hold this BatchNormalization's statistics, or undefined: a value beyond
 * ±65504, or a per-channel scale or shift that float16's rounding (and clamping) of the four
 * tensors moves by more than BATCH_NORM_TOLERANCE. Epsilon is an attribute and stays exact.
 */
export function batchNormProblem(p: BatchNormParams): string | undefined {
  for (const [i, values] of [p.scale, p.bias, p.mean, p.variance].entries()) {
    const problem = constantProblem(BATCH_NORM_LABELS[i] as string, hugeOf(values));
    if (problem) return problem;
  }
  const exact = batchNormAffine(p);
  const half = batchNormAffine({
    scale: Array.from(p.scale, asFloat16),
    bias: Array.from(p.bias, asFloat16),
    mean: Array.from(p.mean, asFloat16),
    variance: Array.from(p.variance, asFloat16),
    epsilon: p.epsilon,
  });
  let worst = BATCH_NORM_TOLERANCE;
  let found: { channel: number; what: 'scale' | 'shift'; change: number } | undefined;
  for (let c = 0; c < exact.scale.length; c++) {
    const s = exact.scale[c] as number;
    const scaleChange = s === 0 ? Math.abs(half.scale[c] as number) : Math.abs((half.scale[c] as number) - s) / Math.abs(s);
    // The shift is a difference: measured against the larger of its two terms.
    const terms = Math.max(Math.abs(Number(p.bias[c])), Math.abs(Number(p.mean[c]) * s));
    const shiftChange = terms === 0 ? 0 : Math.abs((half.shift[c] as number) - (exact.shift[c] as number)) / terms;
    if (scaleChange > worst) ({ worst, found } = { worst: scaleChange, found: { channel: c, what: 'scale', change: scaleChange } });
    if (shiftChange > worst) ({ worst, found } = { worst: shiftChange, found: { channel: c, what: 'shift', change: shiftChange } });
  }
  if (!found) return undefined;
  const c = found.channel;
  const percent = `${formatValue(found.change * 100)}%`;
  return (
    `float16 changes the ${found.what} of channel ${c} by ${percent} (running variance ${formatValue(Number(p.variance[c]))}, ` +
    `epsilon ${formatValue(p.epsilon)})`
  );
}

function hugeOf(values: ArrayLike<number>): { maxAbs: number; huge: number } {
  let maxAbs = 0;
  let huge = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isFinite(v)) continue;
    const magnitude = Math.abs(v);
    if (magnitude > maxAbs) maxAbs = magnitude;
    if (magnitude > FLOAT16_MAX) huge++;
  }
  return { maxAbs, huge };
}

/** The statistics of a BatchNormalization node when all four are float32 constants visible from its graph. */
export function batchNormParams(entry: GraphEntry, node: NodeProto, external: ExternalDataReader | undefined): BatchNormParams | undefined {
  const inputs = node.input ?? [];
  const tensors: TensorProto[] = [];
  for (const slot of [1, 2, 3, 4]) {
    const found = inputs[slot] ? findInitializer(entry, inputs[slot]) : undefined;
    if (!found || found.tensor.data_type !== DataType.FLOAT) return undefined;
    tensors.push(found.tensor);
  }
  const [scale, bias, mean, variance] = tensors.map((t) => readWeight(t, external)) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const channels = scale.length;
  if (bias.length !== channels || mean.length !== channels || variance.length !== channels) return undefined;
  return { scale, bias, mean, variance, epsilon: attrFloat(node, 'epsilon', BATCH_NORM_EPSILON) };
}

/** An inference-mode BatchNormalization of the standard domain (the form that can be folded or checked). */
export function isInferenceBatchNorm(node: NodeProto): boolean {
  if (node.op_type !== 'BatchNormalization' || !isDefaultDomainNode(node)) return false;
  const training = (node.attribute ?? []).find((a) => a.name === 'training_mode');
  return (node.output ?? []).filter(Boolean).length === 1 && !(training && Number(training.i) === 1);
}

// ---------------------------------------------------------------------------------------------
// Every node

/**
 * For every node, why a constant it reads in float16 cannot be stored there (node name →
 * reason). `readsAsFloat16` says which input slots a converted node reads as float16.
 * BatchNormalizations are checked as a whole (batchNormProblem) rather than tensor by tensor.
 */
export function findConstantProblems(
  model: ModelProto,
  external: ExternalDataReader | undefined,
  readsAsFloat16: (node: NodeProto, slot: number) => boolean,
): Map<string, string> {
  const problems = new Map<string, string>();
  const cache = new Map<TensorProto, ConstantRange>();
  const rangeOf = (tensor: TensorProto): ConstantRange => {
    let range = cache.get(tensor);
    if (!range) {
      range = tensorRange(tensor, external);
      cache.set(tensor, range);
    }
    return range;
  };
  for (const entry of allGraphs(model)) {
    for (const node of entry.graph.node ?? []) {
      const name = node.name ?? '';
      if (!name) continue;
      const problem = isInferenceBatchNorm(node) ? batchNormCheck(entry, node, external) : undefined;
      if (problem) {
        problems.set(name, problem);
        continue;
      }
      const inputs = node.input ?? [];
      for (const [slot, input] of inputs.entries()) {
        // A Cast to float becomes a Cast to float16 in a converted node: what it reads must fit too.
        const castToFloat = node.op_type === 'Cast' && attrInt(node, 'to') === DataType.FLOAT;
        if (!input || !(readsAsFloat16(node, slot) || castToFloat) || (isInferenceBatchNorm(node) && slot > 0)) continue;
        const found = findInitializer(entry, input);
        if (!found || found.tensor.data_type !== DataType.FLOAT) continue;
        const label = `${tensorElementCount(found.tensor) > SMALL_CONSTANT_ELEMENTS ? 'weight' : 'constant'} ${input}:`;
        const reason = constantProblem(label, rangeOf(found.tensor));
        if (reason) {
          problems.set(name, reason);
          break;
        }
      }
      if (problems.has(name)) continue;
      for (const a of node.attribute ?? []) {
        if (!a.t || a.t.data_type !== DataType.FLOAT) continue;
        const reason = constantProblem(`attribute ${a.name ?? ''}:`, rangeOf(a.t));
        if (reason) {
          problems.set(name, reason);
          break;
        }
      }
    }
  }
  return problems;
}

function batchNormCheck(entry: GraphEntry, node: NodeProto, external: ExternalDataReader | undefined): string | undefined {
  const params = batchNormParams(entry, node, external);
  return params ? batchNormProblem(params) : undefined;
}

function tensorRange(tensor: TensorProto, external: ExternalDataReader | undefined): ConstantRange {
  if (tensorElementCount(tensor) <= SMALL_CONSTANT_ELEMENTS) return constantRange(readWeight(tensor, external));
  const total = { maxAbs: 0, huge: 0 };
  forEachFloatChunk(tensor, external, (chunk) => {
    const part = hugeOf(chunk);
    total.maxAbs = Math.max(total.maxAbs, part.maxAbs);
    total.huge += part.huge;
  });
  return total;
}

// ---------------------------------------------------------------------------------------------
// Already quantized

/** Operators that hold integer weights, and the input slot of the weight. */
const QUANTIZED_WEIGHT_SLOTS: Readonly<Record<string, number>> = {
  DequantizeLinear: 0,
  MatMulInteger: 1,
  ConvInteger: 1,
  QLinearConv: 3,
  QLinearMatMul: 3,
  DynamicQuantizeMatMul: 1,
  MatMulIntegerToFloat: 1,
  QGemm: 3,
  QAttention: 1,
  DynamicQuantizeLSTM: 1,
  MatMulNBits: 1,
  MatMulBnb4: 1,
  GatherBlockQuantized: 0,
};

const INTEGER_TYPES = new Set<number>([DataType.INT8, DataType.UINT8, DataType.INT4, DataType.UINT4, DataType.INT16, DataType.UINT16]);

/**
 * "int8 weights (12 DequantizeLinear, 3 MatMulInteger)" when the model holds integer weights
 * read by quantized operators; undefined when it holds none.
 */
export function quantizedWeightsOf(model: ModelProto): string | undefined {
  const byOp = new Map<string, number>();
  let bits = 8;
  for (const entry of allGraphs(model)) {
    for (const node of entry.graph.node ?? []) {
      const op = node.op_type ?? '';
      const slot = QUANTIZED_WEIGHT_SLOTS[op];
      if (slot === undefined) continue;
      const input = (node.input ?? [])[slot];
      const found = input ? findInitializer(entry, input) : undefined;
      // MatMulNBits and the like pack their weights in uint8 whatever the bit width.
      if (!found || !INTEGER_TYPES.has(found.tensor.data_type ?? 0)) continue;
      byOp.set(op, (byOp.get(op) ?? 0) + 1);
      const type = found.tensor.data_type;
      if (op === 'MatMulNBits' || op === 'MatMulBnb4' || op === 'GatherBlockQuantized' || type === DataType.INT4 || type === DataType.UINT4)
        bits = Math.min(bits, 4);
    }
  }
  if (byOp.size === 0) return undefined;
  const list = [...byOp.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  return `int${bits} weights (${list})`;
}
