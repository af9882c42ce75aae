/**
 * Operators that move elements around without computing: Shape and Size, Reshape, Flatten,
 * Transpose, (Un)Squeeze, Concat, Split, Expand, Tile, Pad, Resize, DepthToSpace. Shape
 * tensors folded through them keep Reshape targets known.
 */
import { DataType } from '../codec';
import { attrFloats, attrInt, attrInts, findAttribute } from '../attributes';
import {
  broadcastShapes,
  isKnownShape,
  normAxis,
  numel,
  type Ctx,
  type Dim,
  type Rule,
  type Scalar,
  type Shape,
  type ValueShape,
} from './context';

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

export const SHAPE_RULES: Record<string, Rule> = {};
const RULES = SHAPE_RULES;

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
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : (x.shape[k++] ?? null));
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
  let sizes: number[] | undefined = ctx.inputCount > 1 && ctx.node.input?.[1] ? ctx.numbers(1) : attrInts(ctx.node, 'split');
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
    shape[axis] = typeof d === 'number' ? d + begin + end : begin === 0 && end === 0 ? (d ?? null) : null;
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
    const scales = ctx.node.input?.[scalesIndex] ? ctx.numbers(scalesIndex) : attrFloats(ctx.node, 'scales');
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
        if (axis !== undefined)
          shape[axis] = typeof d === 'number' ? Math.floor(d * (scales[i] ?? 1) + 1e-9) : scales[i] === 1 ? (d ?? null) : null;
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
