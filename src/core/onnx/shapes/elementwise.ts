/**
 * Elementwise operators: unary, broadcasting binary and comparison ops, casts, Where, the
 * normalizations that keep their input's shape, and (de)quantization. Small constant tensors
 * are folded through them (the Shape → Gather → Concat → Reshape chains exporters emit).
 */
import { DataType } from '../codec';
import { attrInt } from '../attributes';
import {
  broadcastShapes,
  isIntType,
  isKnownShape,
  isNum,
  MAX_FOLD,
  normAxis,
  numel,
  same,
  type Rule,
  type Scalar,
  type Shape,
  type ValueShape,
} from './context';

const UNARY = [
  'Abs',
  'Acos',
  'Acosh',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'BitwiseNot',
  'Ceil',
  'Celu',
  'Clip',
  'Cos',
  'Cosh',
  'Elu',
  'Erf',
  'Exp',
  'Floor',
  'Gelu',
  'HardSigmoid',
  'HardSwish',
  'Hardmax',
  'Identity',
  'LeakyRelu',
  'Log',
  'LogSoftmax',
  'LpNormalization',
  'MeanVarianceNormalization',
  'Mish',
  'Neg',
  'Not',
  'Reciprocal',
  'Relu',
  'Round',
  'Selu',
  'Shrink',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Softmax',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
  'Trilu',
  'CumSum',
  'InstanceNormalization',
  'GroupNormalization',
  'RMSNormalization',
  'LRN',
  'Swish',
  'ReverseSequence',
  'ScatterElements',
  'ScatterND',
  'Scatter',
  // com.microsoft elementwise and normalization ops keep their first input's shape.
  'FastGelu',
  'BiasGelu',
  'QuickGelu',
  'BiasAdd',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'SimplifiedLayerNormalization',
  'RotaryEmbedding',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'QLinearSoftmax',
  'BiasSoftmax',
];

const BROADCAST = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Mod',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'PRelu',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
];
const COMPARE = ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor'];

// ---------------------------------------------------------------------------------------------
// Value folding (elementwise with broadcasting, on tiny tensors)

function broadcastIndex(outShape: number[], inShape: number[], flat: number): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  const coords: number[] = new Array(outShape.length).fill(0);
  for (let i = outShape.length - 1; i >= 0; i--) {
    const size = outShape[i] ?? 1;
    coords[i] = rest % size;
    rest = Math.floor(rest / size);
  }
  for (let i = inShape.length - 1, o = outShape.length - 1; i >= 0; i--, o--) {
    const size = inShape[i] ?? 1;
    const c = size === 1 ? 0 : (coords[o] ?? 0);
    index += c * stride;
    stride *= size;
  }
  return index;
}

function foldElementwise(
  inputs: (ValueShape | undefined)[],
  outShape: Shape | undefined,
  fn: (...xs: Scalar[]) => Scalar,
): Scalar[] | undefined {
  if (!isKnownShape(outShape)) return undefined;
  const count = numel(outShape) ?? 0;
  if (count > MAX_FOLD) return undefined;
  const shapes: number[][] = [];
  const values: Scalar[][] = [];
  for (const input of inputs) {
    if (!input?.value || !isKnownShape(input.shape)) return undefined;
    shapes.push(input.shape);
    values.push(input.value);
  }
  const out: Scalar[] = [];
  for (let i = 0; i < count; i++) {
    out.push(fn(...values.map((v, k) => v[broadcastIndex(outShape, shapes[k] ?? [], i)] ?? null)));
  }
  return out;
}

function arith(op: string, integer: boolean): ((a: Scalar, b: Scalar) => Scalar) | undefined {
  switch (op) {
    case 'Add':
      return (a, b) => (isNum(a) && isNum(b) ? a + b : b === 0 ? a : a === 0 ? b : null);
    case 'Sub':
      return (a, b) => (isNum(a) && isNum(b) ? a - b : b === 0 ? a : null);
    case 'Mul':
      return (a, b) => (isNum(a) && isNum(b) ? a * b : b === 1 ? a : a === 1 ? b : null);
    case 'Div':
      return (a, b) => {
        if (isNum(a) && isNum(b)) {
          if (b === 0) return null;
          return integer ? Math.trunc(a / b) : a / b;
        }
        return b === 1 ? a : null;
      };
    case 'Mod':
      return (a, b) => (isNum(a) && isNum(b) && b !== 0 ? ((a % b) + b) % b : null);
    case 'Max':
      return (a, b) => (isNum(a) && isNum(b) ? Math.max(a, b) : null);
    case 'Min':
      return (a, b) => (isNum(a) && isNum(b) ? Math.min(a, b) : null);
    case 'Pow':
      return (a, b) => (isNum(a) && isNum(b) ? a ** b : null);
    case 'Equal':
      return (a, b) => (a !== null && b !== null && isNum(a) === isNum(b) ? (a === b ? 1 : 0) : null);
    case 'Less':
      return (a, b) => (isNum(a) && isNum(b) ? (a < b ? 1 : 0) : null);
    case 'LessOrEqual':
      return (a, b) => (isNum(a) && isNum(b) ? (a <= b ? 1 : 0) : null);
    case 'Greater':
      return (a, b) => (isNum(a) && isNum(b) ? (a > b ? 1 : 0) : null);
    case 'GreaterOrEqual':
      return (a, b) => (isNum(a) && isNum(b) ? (a >= b ? 1 : 0) : null);
    case 'And':
      return (a, b) => (isNum(a) && isNum(b) ? (a && b ? 1 : 0) : null);
    case 'Or':
      return (a, b) => (isNum(a) && isNum(b) ? (a || b ? 1 : 0) : null);
    case 'Xor':
      return (a, b) => (isNum(a) && isNum(b) ? (!a !== !b ? 1 : 0) : null);
    default:
      return undefined;
  }
}

const UNARY_FOLD: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Not: (x) => (x ? 0 : 1),
  Sign: Math.sign,
  Relu: (x) => Math.max(0, x),
  Round: (x) => {
    // Round half to even, like numpy.
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
};

function castScalar(x: Scalar, to: number): Scalar {
  if (!isNum(x)) return to === DataType.INT64 || to === DataType.INT32 ? x : null;
  if (to === DataType.BOOL) return x ? 1 : 0;
  if (isIntType(to)) return Number.isFinite(x) ? Math.trunc(x) : null;
  return x;
}

// ---------------------------------------------------------------------------------------------
// Rules

export const ELEMENTWISE_RULES: Record<string, Rule> = {};
const RULES = ELEMENTWISE_RULES;

for (const op of UNARY) RULES[op] = (ctx) => [same(ctx)];
for (const op of BROADCAST) {
  RULES[op] = (ctx) => {
    const inputs = Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i));
    const shape = broadcastShapes(inputs.map((x) => x?.shape));
    const dtype = inputs[0]?.dtype;
    const out: ValueShape = { dtype, shape };
    const fn = arith(ctx.op, isIntType(dtype));
    if (fn && inputs.length === 2) {
      const value = foldElementwise(inputs, shape, fn);
      if (value) out.value = value;
    } else if (fn && inputs.length > 2 && (ctx.op === 'Max' || ctx.op === 'Min' || ctx.op === 'Sum')) {
      // Variadic forms: fold pairwise only when all operands are known.
      let acc: ValueShape | undefined = inputs[0];
      const step = ctx.op === 'Sum' ? arith('Add', isIntType(dtype)) : fn;
      for (let i = 1; i < inputs.length && acc && step; i++) {
        const next: ValueShape = { dtype, shape: broadcastShapes([acc.shape, inputs[i]?.shape]) };
        const value = foldElementwise([acc, inputs[i]], next.shape, step);
        if (!value) {
          acc = undefined;
          break;
        }
        next.value = value;
        acc = next;
      }
      if (acc?.value) out.value = acc.value;
    }
    return [out];
  };
}
for (const op of COMPARE) {
  RULES[op] = (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const shape = broadcastShapes([a?.shape, b?.shape]);
    const out: ValueShape = { dtype: DataType.BOOL, shape };
    const fn = arith(op, false);
    const value = fn ? foldElementwise([a, b], shape, fn) : undefined;
    if (value) out.value = value;
    return [out];
  };
}
for (const op of Object.keys(UNARY_FOLD)) {
  const fold = UNARY_FOLD[op];
  RULES[op] = (ctx) => {
    const x = ctx.input(0);
    const out = same(ctx);
    if (out && x?.value && fold) out.value = x.value.map((v) => (isNum(v) ? fold(v) : null));
    if (out && op === 'Not') out.dtype = DataType.BOOL;
    return [out];
  };
}

RULES.IsNaN = (ctx) => [same(ctx, DataType.BOOL)];
RULES.IsInf = (ctx) => [same(ctx, DataType.BOOL)];
RULES.Dropout = (ctx) => [same(ctx), same(ctx, DataType.BOOL)];
RULES.Identity = (ctx) => {
  const x = ctx.input(0);
  return [x ? { ...x } : undefined];
};
RULES.Cast = (ctx) => {
  const x = ctx.input(0);
  const to = attrInt(ctx.node, 'to');
  if (!x) return [undefined];
  const out: ValueShape = { dtype: to, shape: x.shape };
  if (x.value && to !== undefined) out.value = x.value.map((v) => castScalar(v, to));
  return [out];
};
RULES.CastLike = (ctx) => {
  const x = ctx.input(0);
  const to = ctx.input(1)?.dtype;
  if (!x) return [undefined];
  const out: ValueShape = { dtype: to, shape: x.shape };
  if (x.value && to !== undefined) out.value = x.value.map((v) => castScalar(v, to));
  return [out];
};
RULES.Where = (ctx) => {
  const c = ctx.input(0);
  const a = ctx.input(1);
  const b = ctx.input(2);
  const shape = broadcastShapes([c?.shape, a?.shape, b?.shape]);
  const out: ValueShape = { dtype: a?.dtype ?? b?.dtype, shape };
  const value = foldElementwise([c, a, b], shape, (cond, x, y) => (isNum(cond) ? (cond ? x : y) : null));
  if (value) out.value = value;
  return [out];
};

RULES.LayerNormalization = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [];
  const axis = attrInt(ctx.node, 'axis', -1);
  let stats: Shape | undefined;
  if (x.shape) {
    const a = normAxis(axis, x.shape.length);
    if (a !== undefined) stats = x.shape.map((d, i) => (i >= a ? 1 : d));
  }
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: DataType.FLOAT, shape: stats },
    { dtype: DataType.FLOAT, shape: stats },
  ];
};
RULES.BatchNormalization = (ctx) => {
  const x = ctx.input(0);
  const c = x?.shape?.[1] ?? null;
  const channel = { dtype: x?.dtype, shape: [c] };
  return [same(ctx), channel, channel, channel, channel];
};

// Quantization

RULES.QuantizeLinear = (ctx) => {
  const zeroPoint = ctx.input(2);
  const outputType = attrInt(ctx.node, 'output_dtype', 0);
  const dtype = zeroPoint?.dtype ?? (outputType !== 0 ? outputType : DataType.UINT8);
  return [same(ctx, dtype)];
};
RULES.DequantizeLinear = (ctx) => {
  const scale = ctx.input(1);
  const outputType = attrInt(ctx.node, 'output_dtype', 0);
  return [same(ctx, outputType !== 0 ? outputType : (scale?.dtype ?? DataType.FLOAT))];
};
RULES.DynamicQuantizeLinear = (ctx) => [
  same(ctx, DataType.UINT8),
  { dtype: DataType.FLOAT, shape: [] },
  { dtype: DataType.UINT8, shape: [] },
];
