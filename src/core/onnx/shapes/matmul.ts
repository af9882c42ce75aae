/**
 * Matrix products: MatMul and its integer, quantized and com.microsoft forms, Gemm, Einsum.
 */
import { DataType } from '../codec';
import { attrInt, attrString } from '../attributes';
import { broadcastDim, broadcastShapes, type Dim, type Rule, type Shape } from './context';

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

export const MATMUL_RULES: Record<string, Rule> = {};
const RULES = MATMUL_RULES;

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
RULES.DynamicQuantizeMatMul = (ctx) => [{ dtype: DataType.FLOAT, shape: matmulShape(ctx.input(0)?.shape, ctx.input(1)?.shape) }];
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
