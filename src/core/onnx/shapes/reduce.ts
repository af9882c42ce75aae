/**
 * Reductions: the Reduce* family (folded on small constant vectors), ArgMax/ArgMin and TopK.
 */
import { DataType } from '../codec';
import { attrInt, attrInts } from '../attributes';
import { isNum, normAxis, type Rule, type Shape, type ValueShape } from './context';

const REDUCE = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
];

export const REDUCE_RULES: Record<string, Rule> = {};
const RULES = REDUCE_RULES;

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
  if (!x?.shape)
    return [
      { dtype: x?.dtype, shape: undefined },
      { dtype: DataType.INT64, shape: undefined },
    ];
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.shape.length);
  const k = ctx.inputCount > 1 ? ctx.numbers(1)?.[0] : attrInt(ctx.node, 'k');
  const shape = [...x.shape];
  if (axis !== undefined) shape[axis] = k ?? null;
  return [
    { dtype: x.dtype, shape },
    { dtype: DataType.INT64, shape },
  ];
};
