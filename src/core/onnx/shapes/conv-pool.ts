/**
 * Convolution and pooling: window arithmetic (kernel, strides, dilations, pads, auto_pad,
 * ceil_mode), checked so that a window of nothing or a zero stride is refused, naming the node.
 */
import { InferscopeError } from '../../../shared/errors';
import { DataType, type NodeProto } from '../codec';
import { attrInt, attrInts, attrString } from '../attributes';
import type { Ctx, Dim, Rule, Shape, ValueShape } from './context';

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
// Rules

export const CONV_POOL_RULES: Record<string, Rule> = {};
const RULES = CONV_POOL_RULES;

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
