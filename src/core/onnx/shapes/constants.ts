/**
 * Operators that make tensors from attributes or scalars: Constant, ConstantOfShape, Range.
 * Their contents are kept when small, for the shape chains that read them.
 */
import { DataType, int64ToNumber } from '../codec';
import { attrFloat, attrFloats, attrInt, attrInts, attrTensor, findAttribute } from '../attributes';
import { readTensorNumbers } from '../tensor';
import { MAX_FOLD, numel, tensorValueShape, type Rule, type Shape, type ValueShape } from './context';

export const CONSTANT_RULES: Record<string, Rule> = {};
const RULES = CONSTANT_RULES;

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
      fill = valueTensor ? (readTensorNumbers(valueTensor)[0] ?? 0) : 0;
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
