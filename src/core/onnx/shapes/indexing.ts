/**
 * Indexing: Slice, the Gathers, OneHot and NonZero. Slices and Gathers of small constant
 * vectors are folded (the Shape → Gather chains exporters emit).
 */
import { DataType } from '../codec';
import { attrInt, attrInts } from '../attributes';
import { isNum, normAxis, type Dim, type Rule, type Scalar, type ValueShape } from './context';

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

export const INDEXING_RULES: Record<string, Rule> = {};
const RULES = INDEXING_RULES;

RULES.Slice = (ctx) => {
  const x = ctx.input(0);
  if (!x?.shape) return [{ dtype: x?.dtype, shape: undefined }];
  const rank = x.shape.length;
  const fromInputs = ctx.inputCount > 1;
  const starts = fromInputs ? ctx.numbers(1) : attrInts(ctx.node, 'starts');
  const ends = fromInputs ? ctx.numbers(2) : attrInts(ctx.node, 'ends');
  const axes =
    (fromInputs ? (ctx.node.input?.[3] ? ctx.numbers(3) : undefined) : attrInts(ctx.node, 'axes')) ??
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
    out.value = indices.value.map((i) => (isNum(i) ? (data.value?.[i < 0 ? i + n : i] ?? null) : null));
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
