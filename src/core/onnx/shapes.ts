/**
 * Shape propagation over an ONNX graph, with folding of small constant tensors (the
 * Shape → Gather → Concat → Reshape chains exporters emit), so that MACs can be counted
 * without running anything. Every rule answers "unknown" rather than guess: a dimension is a
 * number, a symbolic name the user has not given a value for, or null.
 *
 * Declared shapes (value_info, graph outputs) fill in whatever the rules cannot derive.
 */
import { InferscopeError } from '../../shared/errors';
import { DataType, int64ToNumber, type GraphProto, type NodeProto, type TensorProto, type TypeProto, type ValueInfoProto } from './codec';
import { attrFloat, attrFloats, attrInt, attrInts, attrString, attrTensor, findAttribute } from './attributes';
import { isExternal, readTensorNumbers, tensorDims, tensorElementCount } from './tensor';
import { directSubgraphs } from './walk';

export type Dim = number | string | null;
export type Shape = Dim[];
export type Scalar = number | string | null;

export interface ValueShape {
  dtype: number | undefined;
  /** undefined: rank unknown. */
  shape: Shape | undefined;
  /** Contents of small constant tensors, flattened row-major. */
  value?: Scalar[] | undefined;
}

export interface NodeShapes {
  node: NodeProto;
  inputs: (ValueShape | undefined)[];
  outputs: (ValueShape | undefined)[];
  /** If/Loop/Scan bodies, inferred in this node's scope. */
  subgraphs: { attribute: string; result: GraphShapes }[];
  /** Loop/Scan: how many times the body runs, when known. */
  iterations?: number | null;
  /** If with a condition known at inspection time: the branch that runs. */
  takenBranch?: 'then_branch' | 'else_branch';
}

export interface GraphShapes {
  graph: GraphProto;
  nodes: NodeShapes[];
  values: Map<string, ValueShape>;
}

export interface ShapeOptions {
  /** Value for a symbolic dimension name (dim_param), or the name itself when unset. */
  resolveParam?: (param: string) => Dim;
  /** Value for an unnamed dimension of a main-graph input. */
  resolveUnnamed?: (input: string, axis: number) => Dim;
  /** Default opset version of the "" domain; decides attribute-vs-input forms of a few ops. */
  opset?: number;
}

/** Largest constant tensor whose contents we track for folding. */
const MAX_FOLD = 4096;

export class Scope {
  private readonly values = new Map<string, ValueShape>();
  constructor(readonly parent?: Scope) {}
  get(name: string): ValueShape | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }
  has(name: string): boolean {
    return this.values.has(name) || (this.parent?.has(name) ?? false);
  }
  set(name: string, value: ValueShape): void {
    this.values.set(name, value);
  }
  own(): Map<string, ValueShape> {
    return this.values;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function isKnownShape(shape: Shape | undefined): shape is number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}

export function numel(shape: Shape | undefined): number | undefined {
  if (!isKnownShape(shape)) return undefined;
  return shape.reduce((a, b) => a * b, 1);
}

function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') return a === b ? a : null;
  if (a === b) return a;
  // A fixed size > 1 against a symbol: a valid model needs the symbol to equal it.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return null;
}

export function broadcastShapes(shapes: (Shape | undefined)[]): Shape | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const known = shapes as Shape[];
  const rank = Math.max(0, ...known.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of known) {
      const d = s[s.length - rank + i];
      if (d === undefined) continue;
      dim = broadcastDim(dim, d);
    }
    out.push(dim);
  }
  return out;
}

function sameShape(a: Shape | undefined, b: Shape | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Merge two possible shapes (If branches): equal dims stay, others become unknown. */
function mergeShapes(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  return a.map((d, i) => (d === b[i] ? d : null));
}

function tensorValueShape(tensor: TensorProto): ValueShape {
  const shape = tensorDims(tensor);
  const result: ValueShape = { dtype: tensor.data_type ?? undefined, shape };
  const count = tensorElementCount(tensor);
  if (count <= MAX_FOLD && !isExternal(tensor) && tensor.data_type !== DataType.STRING) {
    try {
      result.value = readTensorNumbers(tensor);
    } catch {
      // Not numeric or unreadable: shape only.
    }
  }
  return result;
}

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
    const c = size === 1 ? 0 : coords[o] ?? 0;
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

const isNum = (x: unknown): x is number => typeof x === 'number';

const isIntType = (dtype: number | undefined): boolean =>
  dtype === DataType.INT64 ||
  dtype === DataType.INT32 ||
  dtype === DataType.INT16 ||
  dtype === DataType.INT8 ||
  dtype === DataType.UINT8 ||
  dtype === DataType.UINT16 ||
  dtype === DataType.UINT32 ||
  dtype === DataType.UINT64;

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
      return (a, b) => (a !== null && b !== null && (isNum(a) === isNum(b)) ? (a === b ? 1 : 0) : null);
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
// Window arithmetic shared by Conv and pooling

/** MODEL_INVALID naming the node whose attributes or shapes break its operator's rules. */
function invalidNode(node: NodeProto, why: string): InferscopeError {
  const label = node.name ? `${node.op_type ?? 'node'} "${node.name}"` : `A ${node.op_type ?? ''} node`;
  return new InferscopeError('MODEL_INVALID', `${label} ${why}.`, { detail: node.name || node.op_type || '' });
}

interface WindowAttributes {
  strides: number[];
  dilations: number[];
  pads: number[];
}

/**
 * A convolution's or pooling's window attributes, checked: a zero stride would make its output
 * infinite (and its MACs with it), a zero dilation or kernel size makes a window of nothing.
 */
function windowAttributes(node: NodeProto, kernel: readonly Dim[], spatial: number): WindowAttributes {
  const strides = attrInts(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array<number>(spatial * 2).fill(0);
  const list = (values: readonly Dim[]) => `[${values.join(', ')}]`;
  if (kernel.some((k) => typeof k === 'number' && !(k >= 1))) {
    throw invalidNode(node, `has kernel_shape ${list(kernel)}: every size must be at least 1`);
  }
  if (strides.some((v) => !(v >= 1))) throw invalidNode(node, `has strides ${list(strides)}: every stride must be at least 1`);
  if (dilations.some((v) => !(v >= 1))) {
    throw invalidNode(node, `has dilations ${list(dilations)}: every dilation must be at least 1`);
  }
  return { strides, dilations, pads };
}

/** An output size below 1 means the kernel reaches past the padded input: no valid model does that. */
function checkOutputSize(node: NodeProto, size: number, axis: number, detail: string): number {
  if (!(size >= 1)) throw invalidNode(node, `would have an output of size ${size} at axis ${axis}: ${detail}`);
  return size;
}

function windowOutput(node: NodeProto, input: Shape, kernel: number[], forPool: boolean): Shape | undefined {
  const spatial = input.length - 2;
  if (spatial < 1 || kernel.length !== spatial) return undefined;
  const { strides, dilations, pads } = windowAttributes(node, kernel, spatial);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ceilMode = forPool && attrInt(node, 'ceil_mode', 0) === 1;
  const out: Shape = [];
  for (let i = 0; i < spatial; i++) {
    const size = input[2 + i];
    const k = kernel[i] ?? 1;
    const s = strides[i] ?? 1;
    const d = dilations[i] ?? 1;
    const effective = (k - 1) * d + 1;
    if (typeof size !== 'number') {
      out.push(null);
      continue;
    }
    const padded = autoPad === 'NOTSET' ? size + (pads[i] ?? 0) + (pads[i + spatial] ?? 0) : size;
    const detail = `its input there is ${size}${padded !== size ? ` (${padded} padded)` : ''} and its kernel spans ${effective}`;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out.push(checkOutputSize(node, Math.ceil(size / s), 2 + i, detail));
    } else if (autoPad === 'VALID') {
      out.push(checkOutputSize(node, Math.floor((size - effective) / s) + 1, 2 + i, detail));
    } else {
      const total = padded - effective;
      let o = ceilMode ? Math.ceil(total / s) + 1 : Math.floor(total / s) + 1;
      // With ceil_mode the last window must start inside the input or its left padding.
      if (ceilMode && (o - 1) * s >= size + (pads[i] ?? 0)) o -= 1;
      out.push(checkOutputSize(node, o, 2 + i, detail));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-op rules

interface Ctx {
  node: NodeProto;
  op: string;
  domain: string;
  opset: number;
  input(i: number): ValueShape | undefined;
  /** Constant contents of input i as numbers, when known. */
  numbers(i: number): number[] | undefined;
  inputCount: number;
  outputCount: number;
}

type Rule = (ctx: Ctx) => (ValueShape | undefined)[];

const same = (ctx: Ctx, dtype?: number): ValueShape | undefined => {
  const x = ctx.input(0);
  return x ? { dtype: dtype ?? x.dtype, shape: x.shape } : undefined;
};

const UNARY = [
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BitwiseNot', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh',
  'Elu', 'Erf', 'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'LeakyRelu', 'Log',
  'LogSoftmax', 'LpNormalization', 'MeanVarianceNormalization', 'Mish', 'Neg', 'Not', 'Reciprocal', 'Relu', 'Round',
  'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh',
  'ThresholdedRelu', 'Trilu', 'CumSum', 'InstanceNormalization', 'GroupNormalization', 'RMSNormalization',
  'LRN', 'Swish', 'ReverseSequence', 'ScatterElements', 'ScatterND', 'Scatter',
  // com.microsoft elementwise and normalization ops keep their first input's shape.
  'FastGelu', 'BiasGelu', 'QuickGelu', 'BiasAdd', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization',
  'SimplifiedLayerNormalization', 'RotaryEmbedding', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearSoftmax',
  'BiasSoftmax',
];

const BROADCAST = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'BitShift', 'BitwiseAnd',
  'BitwiseOr', 'BitwiseXor',
];
const COMPARE = ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor'];

const REDUCE = [
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare',
];

function matmulShape(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (!a || !b || a.length === 0 || b.length === 0) return undefined;
  const a2 = a.length === 1 ? [1, a[0] ?? null] : a;
  const b2 = b.length === 1 ? [b[0] ?? null, 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) return undefined;
  const out: Shape = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2] ?? null);
  if (b.length > 1) out.push(b2[b2.length - 1] ?? null);
  return out;
}

function reshape(input: ValueShape | undefined, target: Scalar[] | undefined, allowZero: boolean): Shape | undefined {
  if (!target) return undefined;
  const inShape = input?.shape;
  const out: Shape = target.map((t, i) => {
    if (t === 0 && !allowZero) return inShape?.[i] ?? null;
    if (t === -1) return -1;
    return typeof t === 'number' || typeof t === 'string' ? t : null;
  });
  const inferred = out.indexOf(-1);
  if (inferred < 0) return out;
  // -1: what is left of the input's element count. Symbols cancel when both sides carry them.
  if (!inShape) {
    out[inferred] = null;
    return out;
  }
  let numerator = 1;
  const symbols: string[] = [];
  for (const d of inShape) {
    if (typeof d === 'number') numerator *= d;
    else if (typeof d === 'string') symbols.push(d);
    else {
      out[inferred] = null;
      return out;
    }
  }
  let denominator = 1;
  for (let i = 0; i < out.length; i++) {
    if (i === inferred) continue;
    const d = out[i];
    if (typeof d === 'number') denominator *= d;
    else if (typeof d === 'string') {
      const at = symbols.indexOf(d);
      if (at < 0) {
        out[inferred] = null;
        return out;
      }
      symbols.splice(at, 1);
    } else {
      out[inferred] = null;
      return out;
    }
  }
  if (denominator === 0) out[inferred] = null;
  else if (symbols.length === 0) out[inferred] = numerator % denominator === 0 ? numerator / denominator : null;
  else if (symbols.length === 1 && numerator === denominator) out[inferred] = symbols[0] ?? null;
  else out[inferred] = null;
  return out;
}

function sliceDim(dim: Dim, start: number, end: number, step: number): Dim {
  if (typeof dim !== 'number') {
    // The whole of a symbolic dimension is still that dimension.
    if (typeof dim === 'string' && start === 0 && end >= 2 ** 53 - 1 && step === 1) return dim;
    return null;
  }
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, dim - 1);
  e = clamp(e, -1, dim - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

function sliceValues1d(values: Scalar[], start: number, end: number, step: number): Scalar[] {
  const n = values.length;
  const out: Scalar[] = [];
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), n);
    e = Math.min(Math.max(e, 0), n);
    for (let i = s; i < e; i += step) out.push(values[i] ?? null);
  } else {
    s = Math.min(Math.max(s, -1), n - 1);
    e = Math.min(Math.max(e, -1), n - 1);
    for (let i = s; i > e; i += step) out.push(values[i] ?? null);
  }
  return out;
}

function rnnOutputs(ctx: Ctx, gates: number): (ValueShape | undefined)[] {
  void gates;
  const x = ctx.input(0);
  const hidden = attrInt(ctx.node, 'hidden_size');
  const dirs = attrString(ctx.node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  const layout = attrInt(ctx.node, 'layout', 0);
  if (!x?.shape || x.shape.length !== 3 || hidden === undefined) return [];
  const [a, b] = x.shape;
  const seq = layout === 0 ? a ?? null : b ?? null;
  const batch = layout === 0 ? b ?? null : a ?? null;
  const dtype = x.dtype;
  const y: Shape = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
  const state: Shape = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  return [
    { dtype, shape: y },
    { dtype, shape: state },
    { dtype, shape: state },
  ];
}

/** Parse "bij,bjk->bik"; returns the operand letters and the output letters. */
export function parseEinsum(equation: string, operands: number): { inputs: string[]; output: string } | undefined {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) return undefined;
  const [lhs, rhs] = eq.split('->');
  if (lhs === undefined) return undefined;
  const inputs = lhs.split(',');
  if (inputs.length !== operands) return undefined;
  let output = rhs;
  if (output === undefined) {
    // Implicit output: letters appearing once, alphabetically.
    const counts = new Map<string, number>();
    for (const ch of inputs.join('')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    output = [...counts.entries()]
      .filter(([, c]) => c === 1)
      .map(([ch]) => ch)
      .sort()
      .join('');
  }
  return { inputs, output };
}

/** Letter → size for an einsum, from the operand shapes; undefined on contradictions or unknown rank. */
export function einsumSizes(inputs: string[], shapes: (Shape | undefined)[]): Map<string, Dim> | undefined {
  const sizes = new Map<string, Dim>();
  for (let k = 0; k < inputs.length; k++) {
    const letters = inputs[k] ?? '';
    const shape = shapes[k];
    if (!shape || shape.length !== letters.length) return undefined;
    for (let i = 0; i < letters.length; i++) {
      const ch = letters[i] ?? '';
      const d = shape[i] ?? null;
      const prev = sizes.get(ch);
      sizes.set(ch, prev === undefined ? d : broadcastDim(prev, d));
    }
  }
  return sizes;
}

const RULES: Record<string, Rule> = {};

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
  return [{ dtype: x.dtype, shape: x.shape }, { dtype: DataType.FLOAT, shape: stats }, { dtype: DataType.FLOAT, shape: stats }];
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
  return [same(ctx, outputType !== 0 ? outputType : scale?.dtype ?? DataType.FLOAT)];
};
RULES.DynamicQuantizeLinear = (ctx) => [
  same(ctx, DataType.UINT8),
  { dtype: DataType.FLOAT, shape: [] },
  { dtype: DataType.UINT8, shape: [] },
];

// Matrix products

RULES.MatMul = (ctx) => {
  const a = ctx.input(0);
  return [{ dtype: a?.dtype, shape: matmulShape(a?.shape, ctx.input(1)?.shape) }];
};
RULES.MatMulInteger = (ctx) => [{ dtype: DataType.INT32, shape: matmulShape(ctx.input(0)?.shape, ctx.input(1)?.shape) }];
RULES.QLinearMatMul = (ctx) => [
  { dtype: ctx.input(7)?.dtype ?? ctx.input(0)?.dtype, shape: matmulShape(ctx.input(0)?.shape, ctx.input(3)?.shape) },
];
RULES.MatMulIntegerToFloat = (ctx) => [
  { dtype: ctx.input(2)?.dtype ?? DataType.FLOAT, shape: matmulShape(ctx.input(0)?.shape, ctx.input(1)?.shape) },
];
RULES.DynamicQuantizeMatMul = (ctx) => [
  { dtype: DataType.FLOAT, shape: matmulShape(ctx.input(0)?.shape, ctx.input(1)?.shape) },
];
RULES.FusedMatMul = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const swap = (s: Shape | undefined, on: boolean): Shape | undefined =>
    s && on && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1] ?? null, s[s.length - 2] ?? null] : s;
  return [
    {
      dtype: a?.dtype,
      shape: matmulShape(swap(a?.shape, attrInt(ctx.node, 'transA', 0) === 1), swap(b?.shape, attrInt(ctx.node, 'transB', 0) === 1)),
    },
  ];
};
RULES.MatMulNBits = (ctx) => {
  const a = ctx.input(0);
  const n = attrInt(ctx.node, 'N');
  if (!a?.shape || n === undefined) return [{ dtype: a?.dtype, shape: undefined }];
  return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), n] }];
};
RULES.Gemm = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const transA = attrInt(ctx.node, 'transA', 0) === 1;
  const transB = attrInt(ctx.node, 'transB', 0) === 1;
  if (!a?.shape || !b?.shape || a.shape.length !== 2 || b.shape.length !== 2) return [{ dtype: a?.dtype, shape: undefined }];
  const m = transA ? a.shape[1] : a.shape[0];
  const n = transB ? b.shape[0] : b.shape[1];
  return [{ dtype: a.dtype, shape: [m ?? null, n ?? null] }];
};
RULES.QGemm = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(3);
  const transA = attrInt(ctx.node, 'transA', 0) === 1;
  const transB = attrInt(ctx.node, 'transB', 0) === 1;
  if (!a?.shape || !b?.shape || a.shape.length !== 2 || b.shape.length !== 2) return [undefined];
  return [
    {
      dtype: ctx.input(8)?.dtype ?? DataType.FLOAT,
      shape: [(transA ? a.shape[1] : a.shape[0]) ?? null, (transB ? b.shape[0] : b.shape[1]) ?? null],
    },
  ];
};
RULES.Einsum = (ctx) => {
  const parsed = parseEinsum(attrString(ctx.node, 'equation', ''), ctx.inputCount);
  const x = ctx.input(0);
  if (!parsed) return [{ dtype: x?.dtype, shape: undefined }];
  const sizes = einsumSizes(
    parsed.inputs,
    Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i)?.shape),
  );
  if (!sizes) return [{ dtype: x?.dtype, shape: undefined }];
  return [{ dtype: x?.dtype, shape: [...parsed.output].map((ch) => sizes.get(ch) ?? null) }];
};

// Convolution and pooling

function convRule(xIndex: number, wIndex: number, dtypeFrom?: number): Rule {
  return (ctx) => {
    const x = ctx.input(xIndex);
    const w = ctx.input(wIndex);
    const dtype = dtypeFrom !== undefined ? ctx.input(dtypeFrom)?.dtype : x?.dtype;
    if (!x?.shape || !w?.shape || w.shape.length !== x.shape.length) return [{ dtype, shape: undefined }];
    const kernel = attrInts(ctx.node, 'kernel_shape') ?? w.shape.slice(2);
    if (!kernel.every((k): k is number => typeof k === 'number')) {
      return [{ dtype, shape: [x.shape[0] ?? null, w.shape[0] ?? null, ...x.shape.slice(2).map(() => null)] }];
    }
    const spatial = windowOutput(ctx.node, x.shape, kernel, false);
    return [{ dtype, shape: spatial ? [x.shape[0] ?? null, w.shape[0] ?? null, ...spatial] : undefined }];
  };
}
RULES.Conv = convRule(0, 1);
RULES.FusedConv = convRule(0, 1);
RULES.ConvInteger = (ctx) => [{ ...(convRule(0, 1)(ctx)[0] ?? { shape: undefined }), dtype: DataType.INT32 }];
RULES.QLinearConv = convRule(0, 3, 7);
RULES.ConvTranspose = (ctx) => {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!x?.shape || !w?.shape || w.shape.length !== x.shape.length) return [{ dtype: x?.dtype, shape: undefined }];
  const spatial = x.shape.length - 2;
  const group = attrInt(ctx.node, 'group', 1);
  const cout = typeof w.shape[1] === 'number' ? w.shape[1] * group : null;
  const outputShape = attrInts(ctx.node, 'output_shape');
  if (outputShape && outputShape.length === spatial) return [{ dtype: x.dtype, shape: [x.shape[0] ?? null, cout, ...outputShape] }];
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? w.shape.slice(2);
  const { strides, dilations, pads } = windowAttributes(ctx.node, kernel, spatial);
  const outputPadding = attrInts(ctx.node, 'output_padding') ?? new Array(spatial).fill(0);
  const autoPad = attrString(ctx.node, 'auto_pad', 'NOTSET');
  const dims: Shape = [];
  for (let i = 0; i < spatial; i++) {
    const size = x.shape[2 + i];
    const k = kernel[i];
    if (typeof size !== 'number' || typeof k !== 'number') {
      dims.push(null);
      continue;
    }
    const s = strides[i] ?? 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') dims.push(size * s);
    else {
      const d = dilations[i] ?? 1;
      const o = s * (size - 1) + (outputPadding[i] ?? 0) + ((k - 1) * d + 1) - (pads[i] ?? 0) - (pads[i + spatial] ?? 0);
      const reach = (k - 1) * d + 1;
      const detail = `its input there is ${size}, its stride ${s}, its kernel spans ${reach} and its pads are [${pads.join(', ')}]`;
      dims.push(checkOutputSize(ctx.node, o, 2 + i, detail));
    }
  }
  return [{ dtype: x.dtype, shape: [x.shape[0] ?? null, cout, ...dims] }];
};
function poolRule(ctx: Ctx): (ValueShape | undefined)[] {
  const x = ctx.input(0);
  const kernel = attrInts(ctx.node, 'kernel_shape');
  if (!x?.shape || !kernel) return [{ dtype: x?.dtype, shape: undefined }];
  const spatial = windowOutput(ctx.node, x.shape, kernel, true);
  const shape = spatial ? [x.shape[0] ?? null, x.shape[1] ?? null, ...spatial] : undefined;
  return [
    { dtype: x.dtype, shape },
    { dtype: DataType.INT64, shape },
  ];
}
RULES.MaxPool = poolRule;
RULES.AveragePool = poolRule;
RULES.LpPool = poolRule;
RULES.QLinearAveragePool = poolRule;
const globalPool: Rule = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  const channelsLast = attrInt(ctx.node, 'channels_last', 0) === 1;
  const shape = channelsLast
    ? [x.shape[0] ?? null, ...x.shape.slice(1, -1).map(() => 1), x.shape[x.shape.length - 1] ?? null]
    : [x.shape[0] ?? null, x.shape[1] ?? null, ...x.shape.slice(2).map(() => 1)];
  return [{ dtype: x.dtype, shape }];
};
RULES.GlobalAveragePool = globalPool;
RULES.GlobalMaxPool = globalPool;
RULES.GlobalLpPool = globalPool;
RULES.QLinearGlobalAveragePool = globalPool;

// Shape manipulation

RULES.Shape = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: DataType.INT64, shape: [null] }];
  const rank = x.shape.length;
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clampAxis(attrInt(ctx.node, 'start', 0));
  const end = clampAxis(attrInt(ctx.node, 'end', rank));
  const dims = x.shape.slice(start, Math.max(start, end));
  return [{ dtype: DataType.INT64, shape: [dims.length], value: dims }];
};
RULES.Size = (ctx) => {
  const x = ctx.input(0);
  const n = numel(x?.shape);
  return [{ dtype: DataType.INT64, shape: [], ...(n !== undefined ? { value: [n] } : {}) }];
};
RULES.Reshape = (ctx) => {
  const x = ctx.input(0);
  const target = ctx.input(1)?.value;
  let shape = reshape(x, target, attrInt(ctx.node, 'allowzero', 0) === 1);
  const rank = ctx.input(1)?.shape?.[0];
  // Contents unknown but length known: the rank is still known.
  if (!shape && typeof rank === 'number') shape = new Array(rank).fill(null);
  const out: ValueShape = { dtype: x?.dtype, shape };
  if (x?.value && isKnownShape(shape)) out.value = x.value;
  return [out];
};
RULES.Flatten = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: [null, null] }];
  const rank = x.shape.length;
  let axis = attrInt(ctx.node, 'axis', 1);
  if (axis < 0) axis += rank;
  const product = (dims: Shape): Dim => {
    if (dims.length === 1) return dims[0] ?? null;
    const n = numel(dims);
    return n === undefined ? null : n;
  };
  const left = x.shape.slice(0, axis);
  const out: ValueShape = { dtype: x.dtype, shape: [left.length === 0 ? 1 : product(left), product(x.shape.slice(axis)) ?? 1] };
  if (x.shape.slice(axis).length === 0) out.shape = [out.shape?.[0] ?? null, 1];
  if (x.value) out.value = x.value;
  return [out];
};
RULES.Transpose = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  const rank = x.shape.length;
  const perm = attrInts(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const out: ValueShape = { dtype: x.dtype, shape: perm.map((p) => x.shape?.[p] ?? null) };
  if (x.value && rank <= 1) out.value = x.value;
  return [out];
};
function axesFrom(ctx: Ctx, inputIndex: number): number[] | undefined {
  if (ctx.inputCount > inputIndex && ctx.node.input?.[inputIndex]) return ctx.numbers(inputIndex);
  return attrInts(ctx.node, 'axes');
}
RULES.Squeeze = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  const hasAxes = (ctx.inputCount > 1 && !!ctx.node.input?.[1]) || findAttribute(ctx.node, 'axes') !== undefined;
  const axes = axesFrom(ctx, 1);
  let shape: Shape | undefined;
  if (hasAxes) {
    if (!axes) shape = undefined;
    else {
      const drop = new Set(axes.map((a) => normAxis(a, x.shape?.length ?? 0)));
      shape = x.shape.filter((_, i) => !drop.has(i));
    }
  } else if (x.shape.every((d) => typeof d === 'number')) {
    shape = x.shape.filter((d) => d !== 1);
  }
  const out: ValueShape = { dtype: x.dtype, shape };
  if (x.value) out.value = x.value;
  return [out];
};
RULES.Unsqueeze = (ctx) => {
  const x = ctx.input(0);
  const axes = axesFrom(ctx, 1);
  if (!x?.shape || !axes) return [{ dtype: x?.dtype, shape: undefined }];
  const rank = x.shape.length + axes.length;
  const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const shape: Shape = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : x.shape[k++] ?? null);
  const out: ValueShape = { dtype: x.dtype, shape };
  if (x.value) out.value = x.value;
  return [out];
};
RULES.Concat = (ctx) => {
  const inputs = Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i)).filter((x, i) => ctx.node.input?.[i]);
  const first = inputs.find((x) => x?.shape);
  if (!first?.shape || inputs.some((x) => !x?.shape)) return [{ dtype: first?.dtype ?? inputs[0]?.dtype, shape: undefined }];
  const rank = first.shape.length;
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), rank);
  if (axis === undefined) return [{ dtype: first.dtype, shape: undefined }];
  const shape: Shape = first.shape.map((d, i) => {
    if (i !== axis) {
      for (const x of inputs) if (typeof x?.shape?.[i] === 'number') return x.shape[i] ?? null;
      return d;
    }
    let total = 0;
    for (const x of inputs) {
      const v = x?.shape?.[i];
      if (typeof v !== 'number') return null;
      total += v;
    }
    return total;
  });
  const out: ValueShape = { dtype: first.dtype, shape };
  // Row-major concatenation along axis 0 is plain appending.
  if (axis === 0 && inputs.every((x) => x?.value)) out.value = inputs.flatMap((x) => x?.value ?? []);
  return [out];
};
RULES.Split = (ctx) => {
  const x = ctx.input(0);
  const n = ctx.outputCount;
  if (!x?.shape) return Array.from({ length: n }, () => ({ dtype: x?.dtype, shape: undefined }));
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
  if (axis === undefined) return [];
  let sizes: number[] | undefined =
    ctx.inputCount > 1 && ctx.node.input?.[1] ? ctx.numbers(1) : attrInts(ctx.node, 'split');
  const dim = x.shape[axis];
  if (!sizes && typeof dim === 'number') {
    const parts = attrInt(ctx.node, 'num_outputs', n);
    const chunk = Math.ceil(dim / parts);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - chunk * i)));
  }
  return Array.from({ length: n }, (_, i) => {
    const shape = [...(x.shape ?? [])];
    shape[axis] = sizes?.[i] ?? null;
    return { dtype: x.dtype, shape };
  });
};
RULES.Slice = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  const rank = x.shape.length;
  const fromInputs = ctx.inputCount > 1;
  const starts = fromInputs ? ctx.numbers(1) : attrInts(ctx.node, 'starts');
  const ends = fromInputs ? ctx.numbers(2) : attrInts(ctx.node, 'ends');
  const axes = (fromInputs ? (ctx.node.input?.[3] ? ctx.numbers(3) : undefined) : attrInts(ctx.node, 'axes')) ??
    (starts ? starts.map((_, i) => i) : undefined);
  const steps = (fromInputs && ctx.node.input?.[4] ? ctx.numbers(4) : undefined) ?? (starts ? starts.map(() => 1) : undefined);
  const axesUnknown = fromInputs && ctx.node.input?.[3] && !axes;
  if (!starts || !ends || !axes || !steps || axesUnknown) {
    // Which axes change is unknown: only the rank survives.
    if (axes && !axesUnknown) {
      const touched = new Set(axes.map((a) => normAxis(a, rank)));
      return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (touched.has(i) ? null : d)) }];
    }
    return [{ dtype: x.dtype, shape: x.shape.map(() => null) }];
  }
  const shape = [...x.shape];
  for (let i = 0; i < axes.length; i++) {
    const axis = normAxis(axes[i] ?? 0, rank);
    if (axis === undefined) return [{ dtype: x.dtype, shape: undefined }];
    shape[axis] = sliceDim(shape[axis] ?? null, starts[i] ?? 0, ends[i] ?? 0, steps[i] || 1);
  }
  const out: ValueShape = { dtype: x.dtype, shape };
  if (x.value && rank === 1 && axes.length === 1) {
    out.value = sliceValues1d(x.value, starts[0] ?? 0, ends[0] ?? 0, steps[0] || 1);
  }
  return [out];
};
RULES.Gather = (ctx) => {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  if (!data?.shape || !indices?.shape) return [{ dtype: data?.dtype, shape: undefined }];
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), data.shape.length);
  if (axis === undefined) return [{ dtype: data.dtype, shape: undefined }];
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const out: ValueShape = { dtype: data.dtype, shape };
  if (data.value && indices.value && data.shape.length === 1) {
    const n = data.value.length;
    out.value = indices.value.map((i) => (isNum(i) ? data.value?.[i < 0 ? i + n : i] ?? null : null));
  }
  return [out];
};
RULES.GatherElements = (ctx) => [{ dtype: ctx.input(0)?.dtype, shape: ctx.input(1)?.shape }];
RULES.GatherND = (ctx) => {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  const batchDims = attrInt(ctx.node, 'batch_dims', 0);
  const last = indices?.shape?.[indices.shape.length - 1];
  if (!data?.shape || !indices?.shape || typeof last !== 'number') return [{ dtype: data?.dtype, shape: undefined }];
  return [{ dtype: data.dtype, shape: [...indices.shape.slice(0, -1), ...data.shape.slice(batchDims + last)] }];
};
RULES.Expand = (ctx) => {
  const x = ctx.input(0);
  const target = ctx.input(1)?.value;
  const out: ValueShape = { dtype: x?.dtype, shape: target ? broadcastShapes([x?.shape, target]) : undefined };
  if (!target && ctx.input(1)?.shape && typeof ctx.input(1)?.shape?.[0] === 'number' && x?.shape) {
    out.shape = new Array(Math.max(x.shape.length, ctx.input(1)?.shape?.[0] as number)).fill(null);
  }
  return [out];
};
RULES.Tile = (ctx) => {
  const x = ctx.input(0);
  const repeats = ctx.numbers(1);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  if (!repeats) return [{ dtype: x.dtype, shape: x.shape.map(() => null) }];
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (typeof d === 'number' ? d * (repeats[i] ?? 1) : repeats[i] === 1 ? d : null)) }];
};
RULES.Pad = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  const rank = x.shape.length;
  const pads = ctx.inputCount > 1 && ctx.node.input?.[1] ? ctx.numbers(1) : attrInts(ctx.node, 'pads');
  if (!pads) return [{ dtype: x.dtype, shape: x.shape.map(() => null) }];
  const axes = (ctx.node.input?.[3] ? ctx.numbers(3) : undefined) ?? Array.from({ length: rank }, (_, i) => i);
  const shape = [...x.shape];
  axes.forEach((a, k) => {
    const axis = normAxis(a, rank);
    if (axis === undefined) return;
    const d = shape[axis];
    const begin = pads[k] ?? 0;
    const end = pads[k + axes.length] ?? 0;
    shape[axis] = typeof d === 'number' ? d + begin + end : begin === 0 && end === 0 ? d ?? null : null;
  });
  return [{ dtype: x.dtype, shape }];
};
function resizeRule(scalesIndex: number, sizesIndex: number | undefined): Rule {
  return (ctx) => {
    const x = ctx.input(0);
    if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
    const rank = x.shape.length;
    const axes = attrInts(ctx.node, 'axes') ?? Array.from({ length: rank }, (_, i) => i);
    const sizes = sizesIndex !== undefined && ctx.node.input?.[sizesIndex] ? ctx.numbers(sizesIndex) : undefined;
    const scales =
      ctx.node.input?.[scalesIndex] ? ctx.numbers(scalesIndex) : attrFloats(ctx.node, 'scales');
    const shape = [...x.shape];
    if (sizes && sizes.length === axes.length) {
      axes.forEach((a, i) => {
        const axis = normAxis(a, rank);
        if (axis !== undefined) shape[axis] = sizes[i] ?? null;
      });
      return [{ dtype: x.dtype, shape }];
    }
    if (scales && scales.length === axes.length) {
      axes.forEach((a, i) => {
        const axis = normAxis(a, rank);
        const d = axis === undefined ? null : shape[axis];
        if (axis !== undefined) shape[axis] = typeof d === 'number' ? Math.floor(d * (scales[i] ?? 1) + 1e-9) : scales[i] === 1 ? d ?? null : null;
      });
      return [{ dtype: x.dtype, shape }];
    }
    return [{ dtype: x.dtype, shape: x.shape.map(() => null) }];
  };
}
RULES.Resize = (ctx) => (ctx.inputCount <= 2 ? resizeRule(1, undefined)(ctx) : resizeRule(2, 3)(ctx));
RULES.Upsample = resizeRule(1, undefined);
RULES.DepthToSpace = (ctx) => {
  const x = ctx.input(0);
  const b = attrInt(ctx.node, 'blocksize', 1);
  const s = x?.shape;
  if (!s || s.length !== 4) return [{ dtype: x?.dtype, shape: undefined }];
  const mul = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : null);
  const div = (d: Dim, k: number): Dim => (typeof d === 'number' ? d / k : null);
  return [{ dtype: x?.dtype, shape: [s[0] ?? null, div(s[1] ?? null, b * b), mul(s[2] ?? null, b), mul(s[3] ?? null, b)] }];
};
RULES.SpaceToDepth = (ctx) => {
  const x = ctx.input(0);
  const b = attrInt(ctx.node, 'blocksize', 1);
  const s = x?.shape;
  if (!s || s.length !== 4) return [{ dtype: x?.dtype, shape: undefined }];
  const mul = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : null);
  const div = (d: Dim, k: number): Dim => (typeof d === 'number' ? d / k : null);
  return [{ dtype: x?.dtype, shape: [s[0] ?? null, mul(s[1] ?? null, b * b), div(s[2] ?? null, b), div(s[3] ?? null, b)] }];
};
RULES.ConstantOfShape = (ctx) => {
  const shapeValues = ctx.input(0)?.value;
  const valueTensor = attrTensor(ctx.node, 'value');
  const dtype = valueTensor?.data_type ?? DataType.FLOAT;
  if (!shapeValues) {
    const rank = ctx.input(0)?.shape?.[0];
    return [{ dtype, shape: typeof rank === 'number' ? new Array(rank).fill(null) : undefined }];
  }
  const shape: Shape = shapeValues.map((v) => (typeof v === 'number' || typeof v === 'string' ? v : null));
  const out: ValueShape = { dtype, shape };
  const count = numel(shape);
  if (count !== undefined && count <= MAX_FOLD) {
    let fill = 0;
    try {
      fill = valueTensor ? readTensorNumbers(valueTensor)[0] ?? 0 : 0;
    } catch {
      fill = 0;
    }
    out.value = new Array(count).fill(fill);
  }
  return [out];
};
RULES.Range = (ctx) => {
  const [start, limit, delta] = [ctx.numbers(0)?.[0], ctx.numbers(1)?.[0], ctx.numbers(2)?.[0]];
  const dtype = ctx.input(0)?.dtype;
  if (start === undefined || limit === undefined || delta === undefined || delta === 0) return [{ dtype, shape: [null] }];
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  const out: ValueShape = { dtype, shape: [n] };
  if (n <= MAX_FOLD) out.value = Array.from({ length: n }, (_, i) => start + i * delta);
  return [out];
};
for (const op of REDUCE) {
  RULES[op] = (ctx) => {
    const x = ctx.input(0);
    if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
    const rank = x.shape.length;
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    const axesInput = ctx.inputCount > 1 && !!ctx.node.input?.[1];
    const axes = axesInput ? ctx.numbers(1) : attrInts(ctx.node, 'axes');
    if (axesInput && !axes) return [{ dtype: x.dtype, shape: keep ? x.shape.map(() => null) : undefined }];
    let reduce: Set<number>;
    if (!axes || axes.length === 0) {
      if (attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return [{ ...x }];
      reduce = new Set(x.shape.map((_, i) => i));
    } else {
      reduce = new Set(axes.map((a) => normAxis(a, rank) ?? -1));
    }
    const shape: Shape = [];
    x.shape.forEach((d, i) => {
      if (!reduce.has(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    const out: ValueShape = { dtype: x.dtype, shape };
    if (x.value && rank <= 1 && (op === 'ReduceProd' || op === 'ReduceSum' || op === 'ReduceMax' || op === 'ReduceMin')) {
      if (x.value.every(isNum)) {
        const nums = x.value as number[];
        const folded =
          op === 'ReduceProd'
            ? nums.reduce((a, b) => a * b, 1)
            : op === 'ReduceSum'
              ? nums.reduce((a, b) => a + b, 0)
              : op === 'ReduceMax'
                ? Math.max(...nums)
                : Math.min(...nums);
        out.value = [folded];
      }
    }
    return [out];
  };
}
const argReduce: Rule = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: DataType.INT64, shape: undefined }];
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const shape: Shape = [];
  x.shape.forEach((d, i) => {
    if (i !== axis) shape.push(d);
    else if (keep) shape.push(1);
  });
  return [{ dtype: DataType.INT64, shape }];
};
RULES.ArgMax = argReduce;
RULES.ArgMin = argReduce;
RULES.TopK = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }, { dtype: DataType.INT64, shape: undefined }];
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.shape.length);
  const k = ctx.inputCount > 1 ? ctx.numbers(1)?.[0] : attrInt(ctx.node, 'k');
  const shape = [...x.shape];
  if (axis !== undefined) shape[axis] = k ?? null;
  return [
    { dtype: x.dtype, shape },
    { dtype: DataType.INT64, shape },
  ];
};
RULES.OneHot = (ctx) => {
  const indices = ctx.input(0);
  const depth = ctx.numbers(1)?.[0];
  if (!indices?.shape) return [{ dtype: ctx.input(2)?.dtype, shape: undefined }];
  const rank = indices.shape.length + 1;
  const axis = attrInt(ctx.node, 'axis', -1);
  const at = axis < 0 ? axis + rank : axis;
  const shape = [...indices.shape];
  shape.splice(at, 0, depth ?? null);
  return [{ dtype: ctx.input(2)?.dtype, shape }];
};
RULES.NonZero = (ctx) => [{ dtype: DataType.INT64, shape: [ctx.input(0)?.shape?.length ?? null, null] }];
RULES.LSTM = (ctx) => rnnOutputs(ctx, 4);
RULES.GRU = (ctx) => rnnOutputs(ctx, 3);
RULES.RNN = (ctx) => rnnOutputs(ctx, 1);
RULES.Constant = (ctx) => {
  const node = ctx.node;
  const t = attrTensor(node, 'value');
  if (t) return [tensorValueShape(t)];
  const f = findAttribute(node, 'value_float');
  if (f) return [{ dtype: DataType.FLOAT, shape: [], value: [attrFloat(node, 'value_float', 0)] }];
  const fs = attrFloats(node, 'value_floats');
  if (findAttribute(node, 'value_floats') && fs) return [{ dtype: DataType.FLOAT, shape: [fs.length], value: fs }];
  const i = attrInt(node, 'value_int');
  if (i !== undefined) return [{ dtype: DataType.INT64, shape: [], value: [i] }];
  const is = attrInts(node, 'value_ints');
  if (is) return [{ dtype: DataType.INT64, shape: [is.length], value: is }];
  if (findAttribute(node, 'value_string')) return [{ dtype: DataType.STRING, shape: [] }];
  const ss = findAttribute(node, 'value_strings');
  if (ss) return [{ dtype: DataType.STRING, shape: [ss.strings?.length ?? 0] }];
  const sparse = findAttribute(node, 'sparse_value')?.sparse_tensor;
  if (sparse) return [{ dtype: sparse.values?.data_type ?? undefined, shape: (sparse.dims ?? []).map((d) => int64ToNumber(d)) }];
  return [undefined];
};

// com.microsoft attention-style ops: output 0 follows the query input.
RULES.Attention = (ctx) => {
  const x = ctx.input(0);
  const bias = ctx.input(2);
  const hidden = bias?.shape?.[0];
  if (!x?.shape || x.shape.length !== 3) return [{ dtype: x?.dtype, shape: undefined }];
  const qkv = attrInts(ctx.node, 'qkv_hidden_sizes');
  const v = qkv?.[2] ?? (typeof hidden === 'number' ? hidden / 3 : null);
  return [{ dtype: x.dtype, shape: [x.shape[0] ?? null, x.shape[1] ?? null, v] }];
};
RULES.MultiHeadAttention = (ctx) => {
  const q = ctx.input(0);
  return [{ dtype: q?.dtype, shape: q?.shape && q.shape.length === 3 ? q.shape : undefined }];
};
RULES.GroupQueryAttention = (ctx) => {
  const q = ctx.input(0);
  return [{ dtype: q?.dtype, shape: q?.shape && q.shape.length === 3 ? q.shape : undefined }];
};

// ---------------------------------------------------------------------------------------------
// Graph traversal

function typeToValueShape(type: TypeProto | null | undefined, dimOf: (dim: onnxDim, axis: number) => Dim): ValueShape | undefined {
  const tensor = type?.tensor_type;
  if (!tensor) return undefined;
  const dims = tensor.shape?.dim;
  return {
    dtype: tensor.elem_type ?? undefined,
    shape: tensor.shape ? (dims ?? []).map((d, axis) => dimOf(d, axis)) : undefined,
  };
}

type onnxDim = NonNullable<NonNullable<NonNullable<TypeProto['tensor_type']>['shape']>['dim']>[number];

function declaredDim(dim: onnxDim, resolveParam: (p: string) => Dim): Dim {
  if (dim.dim_value !== undefined && dim.dim_value !== null && Object.prototype.hasOwnProperty.call(dim, 'dim_value')) {
    // Some exporters write -1 for a size left open, as onnxruntime reports one: not a size.
    const value = int64ToNumber(dim.dim_value);
    return value >= 0 ? value : null;
  }
  if (dim.dim_param) return resolveParam(dim.dim_param);
  return null;
}

/** Nodes ordered so producers come first; ONNX requires this already, but not every exporter complies. */
function topoOrder(graph: GraphProto, scope: Scope): NodeProto[] {
  const nodes = graph.node ?? [];
  const available = new Set<string>();
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producedBy.set(o, i)));
  let sorted = true;
  nodes.forEach((n, i) => {
    for (const input of n.input ?? []) {
      const p = input ? producedBy.get(input) : undefined;
      if (p !== undefined && p > i) sorted = false;
    }
  });
  if (sorted) return nodes;
  const done = new Set<number>();
  const order: NodeProto[] = [];
  for (const name of scope.own().keys()) available.add(name);
  let progress = true;
  while (progress && order.length < nodes.length) {
    progress = false;
    nodes.forEach((n, i) => {
      if (done.has(i)) return;
      const ready = (n.input ?? []).every((input) => !input || !producedBy.has(input) || available.has(input));
      if (ready) {
        done.add(i);
        order.push(n);
        (n.output ?? []).forEach((o) => available.add(o));
        progress = true;
      }
    });
  }
  nodes.forEach((n, i) => !done.has(i) && order.push(n));
  return order;
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export interface InferContext {
  resolveParam: (param: string) => Dim;
  opset: number;
}

function inferNode(node: NodeProto, scope: Scope, ctx: InferContext): NodeShapes {
  const inputNames = node.input ?? [];
  const inputs = inputNames.map((name) => (name ? scope.get(name) : undefined));
  const op = node.op_type ?? '';
  const domain = node.domain ?? '';
  const outputCount = (node.output ?? []).length;
  const record: NodeShapes = { node, inputs, outputs: [], subgraphs: [] };

  let outputs: (ValueShape | undefined)[] = [];
  if (op === 'If' || op === 'Loop' || op === 'Scan') {
    outputs = controlFlow(node, inputs, scope, ctx, record);
  } else {
    const rule = DEFAULT_DOMAINS.has(domain) || domain === 'com.microsoft' ? RULES[op] : undefined;
    if (rule) {
      const ruleCtx: Ctx = {
        node,
        op,
        domain,
        opset: ctx.opset,
        input: (i) => inputs[i],
        numbers: (i) => {
          const v = inputs[i]?.value;
          return v && v.every(isNum) ? (v as number[]) : undefined;
        },
        inputCount: inputNames.length,
        outputCount,
      };
      try {
        outputs = rule(ruleCtx);
      } catch (error) {
        // A rule that trips over an odd model leaves the shapes unknown; a model that breaks
        // the operator's rules (a zero stride) is refused, naming the node.
        if (error instanceof InferscopeError && error.code === 'MODEL_INVALID') throw error;
        outputs = [];
      }
    }
    // Subgraphs of other ops (rare) still get their nodes inferred for counting.
    for (const sub of directSubgraphs(node)) {
      if (op !== 'If' && op !== 'Loop' && op !== 'Scan') {
        record.subgraphs.push({ attribute: sub.attribute, result: inferGraphIn(sub.graph, new Scope(scope), ctx) });
      }
    }
  }
  record.outputs = (node.output ?? []).map((_, i) => outputs[i]);
  return record;
}

function controlFlow(
  node: NodeProto,
  inputs: (ValueShape | undefined)[],
  scope: Scope,
  ctx: InferContext,
  record: NodeShapes,
): (ValueShape | undefined)[] {
  const op = node.op_type ?? '';
  const graphs = directSubgraphs(node);
  const outputsOf = (result: GraphShapes): (ValueShape | undefined)[] =>
    (result.graph.output ?? []).map((o) => (o.name ? result.values.get(o.name) ?? scopeLookup(result, o.name, scope) : undefined));

  if (op === 'If') {
    const cond = inputs[0]?.value?.[0];
    if (isNum(cond)) record.takenBranch = cond ? 'then_branch' : 'else_branch';
    const results: Record<string, GraphShapes> = {};
    for (const { attribute, graph } of graphs) {
      const result = branchShapes(graph, attribute, scope, ctx, record.takenBranch);
      results[attribute] = result;
      record.subgraphs.push({ attribute, result });
    }
    const thenOut = results.then_branch ? outputsOf(results.then_branch) : [];
    const elseOut = results.else_branch ? outputsOf(results.else_branch) : [];
    if (record.takenBranch) return record.takenBranch === 'then_branch' ? thenOut : elseOut;
    return (node.output ?? []).map((_, i) => {
      const a = thenOut[i];
      const b = elseOut[i];
      if (!a || !b) return undefined;
      return { dtype: a.dtype ?? b.dtype, shape: sameShape(a.shape, b.shape) ? a.shape : mergeShapes(a.shape, b.shape) };
    });
  }

  const body = graphs.find((g) => g.attribute === 'body')?.graph;
  if (!body) return [];
  const bodyScope = new Scope(scope);
  const bodyInputs = body.input ?? [];
  const declared = (vi: ValueInfoProto | undefined) =>
    typeToValueShape(vi?.type, (d) => declaredDim(d, ctx.resolveParam));

  if (op === 'Loop') {
    // Body inputs: iteration number, condition, then the loop-carried values.
    const trip = inputs[0]?.value?.[0];
    const condName = node.input?.[1];
    record.iterations = isNum(trip) && !condName ? trip : null;
    bodyInputs.forEach((vi, i) => {
      if (!vi.name) return;
      const outer = i === 0 ? { dtype: DataType.INT64, shape: [] } : i === 1 ? { dtype: DataType.BOOL, shape: [] } : inputs[i];
      const info = outer?.shape ? { dtype: outer.dtype, shape: outer.shape } : declared(vi);
      if (info) bodyScope.set(vi.name, info);
    });
    const result = inferGraphIn(body, bodyScope, ctx, true);
    record.subgraphs.push({ attribute: 'body', result });
    const bodyOut = outputsOf(result);
    const carried = Math.max(0, bodyInputs.length - 2);
    return (node.output ?? []).map((_, i) => {
      if (i < carried) {
        const initial = inputs[i + 2];
        const fromBody = bodyOut[i + 1];
        if (initial && fromBody && sameShape(initial.shape, fromBody.shape)) return { dtype: initial.dtype, shape: initial.shape };
        return fromBody ? { dtype: fromBody.dtype, shape: mergeShapes(initial?.shape, fromBody.shape) } : undefined;
      }
      const scanned = bodyOut[i + 1];
      if (!scanned?.shape) return scanned ? { dtype: scanned.dtype, shape: undefined } : undefined;
      return { dtype: scanned.dtype, shape: [record.iterations ?? null, ...scanned.shape] };
    });
  }

  // Scan (opset 9+): inputs are N state values then M scanned sequences.
  const numScanInputs = attrInt(node, 'num_scan_inputs', 0);
  const stateCount = Math.max(0, (node.input ?? []).length - numScanInputs);
  const scanAxes = attrInts(node, 'scan_input_axes') ?? new Array(numScanInputs).fill(0);
  let iterations: number | null = null;
  bodyInputs.forEach((vi, i) => {
    if (!vi.name) return;
    const outer = inputs[i];
    let info: ValueShape | undefined;
    if (i < stateCount) info = outer?.shape ? { dtype: outer.dtype, shape: outer.shape } : declared(vi);
    else if (outer?.shape) {
      const axis = normAxis(scanAxes[i - stateCount] ?? 0, outer.shape.length);
      if (axis !== undefined) {
        const length = outer.shape[axis];
        if (typeof length === 'number') iterations = length;
        info = { dtype: outer.dtype, shape: outer.shape.filter((_, k) => k !== axis) };
      }
    } else info = declared(vi);
    if (info) bodyScope.set(vi.name, info);
  });
  record.iterations = iterations;
  const result = inferGraphIn(body, bodyScope, ctx, true);
  record.subgraphs.push({ attribute: 'body', result });
  const bodyOut = outputsOf(result);
  return (node.output ?? []).map((_, i) => {
    const out = bodyOut[i];
    if (i < stateCount || !out) return out;
    return { dtype: out.dtype, shape: out.shape ? [iterations, ...out.shape] : undefined };
  });
}

/**
 * An If branch's shapes. A branch that may not run can hold shapes that are only valid for other
 * inputs (a large kernel for large images): only a branch known to run makes the model invalid.
 */
function branchShapes(graph: GraphProto, attribute: string, scope: Scope, ctx: InferContext, taken: string | undefined): GraphShapes {
  try {
    return inferGraphIn(graph, new Scope(scope), ctx);
  } catch (error) {
    if (!(error instanceof InferscopeError) || error.code !== 'MODEL_INVALID' || taken === attribute) throw error;
    return { graph, nodes: [], values: new Map() };
  }
}

function scopeLookup(result: GraphShapes, name: string, scope: Scope): ValueShape | undefined {
  return result.values.get(name) ?? scope.get(name);
}

/** Infer a graph whose inputs (if any) are already in `scope` or declared on the graph. */
function inferGraphIn(graph: GraphProto, scope: Scope, ctx: InferContext, inputsSet = false): GraphShapes {
  const declaredDim_ = (d: onnxDim) => declaredDim(d, ctx.resolveParam);
  if (!inputsSet) {
    for (const vi of graph.input ?? []) {
      if (!vi.name || scope.own().has(vi.name)) continue;
      const info = typeToValueShape(vi.type, declaredDim_);
      if (info) scope.set(vi.name, info);
    }
  }
  for (const tensor of graph.initializer ?? []) if (tensor.name) scope.set(tensor.name, tensorValueShape(tensor));
  for (const sparse of graph.sparse_initializer ?? []) {
    const name = sparse.values?.name;
    if (name) scope.set(name, { dtype: sparse.values?.data_type ?? undefined, shape: (sparse.dims ?? []).map((d) => int64ToNumber(d)) });
  }
  const declared = new Map<string, ValueShape>();
  for (const vi of [...(graph.value_info ?? []), ...(graph.output ?? [])]) {
    if (!vi.name) continue;
    const info = typeToValueShape(vi.type, declaredDim_);
    if (info) declared.set(vi.name, info);
  }

  const nodes: NodeShapes[] = [];
  for (const node of topoOrder(graph, scope)) {
    const record = inferNode(node, scope, ctx);
    (node.output ?? []).forEach((name, i) => {
      if (!name) return;
      const inferred = record.outputs[i];
      const hint = declared.get(name);
      const merged = preferKnown(inferred, hint);
      record.outputs[i] = merged;
      if (merged) scope.set(name, merged);
    });
    nodes.push(record);
  }
  return { graph, nodes, values: scope.own() };
}

/** Our inference, with gaps filled from what the model declares. */
function preferKnown(inferred: ValueShape | undefined, declared: ValueShape | undefined): ValueShape | undefined {
  if (!inferred) return declared;
  if (!declared) return inferred;
  const out: ValueShape = { ...inferred, dtype: inferred.dtype ?? declared.dtype };
  if (!inferred.shape) out.shape = declared.shape;
  else if (declared.shape && declared.shape.length === inferred.shape.length) {
    out.shape = inferred.shape.map((d, i) => (typeof d === 'number' ? d : declared.shape?.[i] ?? d));
  }
  return out;
}

/**
 * Infer shapes for the main graph. Graph inputs take their declared shapes with symbolic
 * dims resolved through `options`; initializers are constants (even when also listed as inputs).
 */
export function inferShapes(graph: GraphProto, options: ShapeOptions = {}): GraphShapes {
  const resolveParam = options.resolveParam ?? ((p: string) => p);
  const resolveUnnamed = options.resolveUnnamed ?? (() => null);
  const scope = new Scope();
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const vi of graph.input ?? []) {
    if (!vi.name || initializers.has(vi.name)) continue;
    const info = typeToValueShape(vi.type, (d, axis) => {
      const dim = declaredDim(d, resolveParam);
      if (dim === null && !d.dim_param) return resolveUnnamed(vi.name ?? '', axis);
      return dim;
    });
    scope.set(vi.name, info ?? { dtype: undefined, shape: undefined });
  }
  return inferGraphIn(graph, scope, { resolveParam, opset: options.opset ?? 21 }, true);
}
