/**
 * Models the int8 modes refuse up front (docs/quantization.md#int8-dynamic): a model that already
 * holds quantized weights or quantization operators (quantizing it again would stack a second
 * rounding on the first and rewrite nodes onnxruntime would otherwise fuse), and a model whose
 * floats are already 16-bit (the int8 operators take float32 activations).
 */
import { DataType } from '../onnx/codec';
import type { ModelProto } from '../onnx/codec';
import { tensorElementCount } from '../onnx/tensor';
import { floatTypesOf } from './common';
import { allGraphs } from './graph';

/** 8- and 4-bit integer tensors this large are quantized weights, not indices or lookup tables. */
const QUANTIZED_WEIGHT_ELEMENTS = 4096;
const LOW_BIT_TYPES = new Set<number>([DataType.INT8, DataType.UINT8, DataType.INT4, DataType.UINT4]);

/** Operators that only a quantized model holds, in any domain. */
const QUANTIZED_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'MatMulNBits',
  'MatMulBnb4',
  'MatMulFpQ4',
  'GatherBlockQuantized',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'DynamicQuantizeLSTM',
  'QGemm',
  'QAttention',
  'QEmbedLayerNormalization',
  'QOrderedMatMul',
  'QOrderedAttention',
]);

function isQuantizedOp(opType: string): boolean {
  return QUANTIZED_OPS.has(opType) || opType.startsWith('QLinear');
}

/** The quantization operators in the model (every graph), by type, most frequent first. */
export function quantizedOperators(model: ModelProto): { opType: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const { graph } of allGraphs(model)) {
    for (const node of graph.node ?? []) {
      const op = node.op_type ?? '';
      if (isQuantizedOp(op)) counts.set(op, (counts.get(op) ?? 0) + 1);
    }
  }
  return [...counts].map(([opType, count]) => ({ opType, count })).sort((a, b) => b.count - a.count || (a.opType < b.opType ? -1 : 1));
}

/** Large 8- or 4-bit integer initializers (weights stored quantized, however they are read). */
export function lowBitWeights(model: ModelProto): string[] {
  const names: string[] = [];
  for (const { graph } of allGraphs(model)) {
    for (const t of graph.initializer ?? []) {
      if (LOW_BIT_TYPES.has(t.data_type ?? 0) && tensorElementCount(t) >= QUANTIZED_WEIGHT_ELEMENTS) names.push(t.name ?? '');
    }
  }
  return names;
}

/** Why int8 must not quantize this model again, or undefined when it holds no quantized operators or weights. */
export function alreadyQuantizedReason(model: ModelProto): string | undefined {
  const found = quantizedOperators(model);
  const advice = 'quantizing it again would round its weights a second time. Quantize the float32 original instead.';
  if (found.length > 0) {
    const listed = found
      .slice(0, 4)
      .map((f) => `${f.count} ${f.opType}`)
      .join(', ');
    return `The model is already quantized (${listed}${found.length > 4 ? ', …' : ''}): ${advice}`;
  }
  const weights = lowBitWeights(model);
  if (weights.length > 0) {
    return `The model already holds 8- or 4-bit integer weights (${weights.length}, e.g. ${weights[0]}): ${advice}`;
  }
  return undefined;
}

/** Why the int8 operators cannot take this model's floats (fp16 or bf16), or undefined for float32 models. */
export function lowPrecisionFloatReason(model: ModelProto, advice: string): string | undefined {
  const types = floatTypesOf(model);
  if (types.has(DataType.FLOAT16)) return `The model is already fp16: ${advice}`;
  if (types.has(DataType.BFLOAT16)) return `The model holds bfloat16 weights: ${advice}`;
  return undefined;
}
