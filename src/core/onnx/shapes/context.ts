/**
 * What every shape rule works with: the value shapes, the scope they live in, the shape helpers
 * the operator families share, and the context a rule is called with.
 */
import { DataType, type GraphProto, type NodeProto, type TensorProto } from '../codec';
import { isExternal, readTensorNumbers, tensorDims, tensorElementCount } from '../tensor';

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
export const MAX_FOLD = 4096;

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

/** What inference carries into every graph and subgraph. */
export interface InferContext {
  resolveParam: (param: string) => Dim;
  opset: number;
}

export function isKnownShape(shape: Shape | undefined): shape is number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}

export function numel(shape: Shape | undefined): number | undefined {
  if (!isKnownShape(shape)) return undefined;
  return shape.reduce((a, b) => a * b, 1);
}

export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

export function broadcastDim(a: Dim, b: Dim): Dim {
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

export function sameShape(a: Shape | undefined, b: Shape | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Merge two possible shapes (If branches): equal dims stay, others become unknown. */
export function mergeShapes(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  return a.map((d, i) => (d === b[i] ? d : null));
}

/** A constant's type and shape, with its contents when it is small enough to fold. */
export function tensorValueShape(tensor: TensorProto): ValueShape {
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

export const isNum = (x: unknown): x is number => typeof x === 'number';

export const isIntType = (dtype: number | undefined): boolean =>
  dtype === DataType.INT64 ||
  dtype === DataType.INT32 ||
  dtype === DataType.INT16 ||
  dtype === DataType.INT8 ||
  dtype === DataType.UINT8 ||
  dtype === DataType.UINT16 ||
  dtype === DataType.UINT32 ||
  dtype === DataType.UINT64;

// ---------------------------------------------------------------------------------------------
// What a rule sees

export interface Ctx {
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

/** An operator's shape rule: the outputs' shapes (and small contents) from its inputs'. */
export type Rule = (ctx: Ctx) => (ValueShape | undefined)[];

/** The first input's shape (and, unless given, its type): most elementwise ops. */
export const same = (ctx: Ctx, dtype?: number): ValueShape | undefined => {
  const x = ctx.input(0);
  return x ? { dtype: dtype ?? x.dtype, shape: x.shape } : undefined;
};
