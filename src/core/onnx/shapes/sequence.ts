/**
 * Sequence layers: the recurrent ops (LSTM, GRU, RNN) and com.microsoft's attention ops.
 */
import { attrInt, attrInts, attrString } from '../attributes';
import type { Ctx, Rule, Shape, ValueShape } from './context';

function rnnOutputs(ctx: Ctx, gates: number): (ValueShape | undefined)[] {
  void gates;
  const x = ctx.input(0);
  const hidden = attrInt(ctx.node, 'hidden_size');
  const dirs = attrString(ctx.node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  const layout = attrInt(ctx.node, 'layout', 0);
  if (!x?.shape || x.shape.length !== 3 || hidden === undefined) return [];
  const [a, b] = x.shape;
  const seq = layout === 0 ? (a ?? null) : (b ?? null);
  const batch = layout === 0 ? (b ?? null) : (a ?? null);
  const dtype = x.dtype;
  const y: Shape = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
  const state: Shape = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  return [
    { dtype, shape: y },
    { dtype, shape: state },
    { dtype, shape: state },
  ];
}

export const SEQUENCE_RULES: Record<string, Rule> = {};
const RULES = SEQUENCE_RULES;

RULES.LSTM = (ctx) => rnnOutputs(ctx, 4);
RULES.GRU = (ctx) => rnnOutputs(ctx, 3);
RULES.RNN = (ctx) => rnnOutputs(ctx, 1);

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
