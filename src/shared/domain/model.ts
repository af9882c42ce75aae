import { z } from 'zod';

/**
 * A graph input or output. `type` is the element type in onnxruntime's words ("float32",
 * "int64", "float16"); non-tensor values read like "seq(float32)" or "map(int64,float32)".
 * `shape` lists fixed sizes as numbers and symbolic ones by name; "?" marks a dimension the
 * model leaves unnamed; null means the model does not say how many dimensions there are.
 */
export const TensorInfoSchema = z.object({
  name: z.string(),
  type: z.string(),
  shape: z.array(z.union([z.number(), z.string()])).nullable(),
});
export type TensorInfo = z.infer<typeof TensorInfoSchema>;

export const OpsetSchema = z.object({
  /** "ai.onnx" for the default domain. */
  domain: z.string(),
  version: z.number(),
});
export type Opset = z.infer<typeof OpsetSchema>;

export const DtypeTotalsSchema = z.object({ count: z.number(), bytes: z.number() });
export type DtypeTotals = z.infer<typeof DtypeTotalsSchema>;

export const ParameterSummarySchema = z.object({
  /** Number of stored values across initializers and Constant nodes, subgraphs included. */
  total: z.number(),
  bytes: z.number(),
  /** Keyed by element type ("float32", "int8", ...). */
  byDtype: z.record(z.string(), DtypeTotalsSchema),
});
export type ParameterSummary = z.infer<typeof ParameterSummarySchema>;

export const ExternalDataFileSchema = z.object({
  /** As written in the model, relative to the model's folder. */
  location: z.string(),
  /** Bytes of tensor data the model references in this file. */
  bytes: z.number(),
  tensors: z.number(),
});
export type ExternalDataFile = z.infer<typeof ExternalDataFileSchema>;

export const QuantizationKindSchema = z.enum(['qdq', 'integer-ops', 'qlinear', 'matmulnbits']);
export type QuantizationKind = z.infer<typeof QuantizationKindSchema>;

/**
 * The weight precision: the element type holding at least 90% of weight bytes, else "mixed".
 * Shape and index tensors (int32/int64/bool) are not weights. 4-bit weights stored packed in
 * uint8 (MatMulNBits) count as int4, and the scales and zero points of quantized weights count
 * with those weights.
 */
export const PrecisionSchema = z.enum(['fp32', 'fp16', 'bf16', 'int8', 'int4', 'mixed']);
export type Precision = z.infer<typeof PrecisionSchema>;

/**
 * A symbolic dimension found on the graph inputs and the value used for counting:
 * "user" (given with --dim / the dims request), "batch-default" (batch-like, 1 unless given),
 * "sequence-default" (sequence-like, 128 unless given),
 * or "unset" (value null: operations depending on it are not counted).
 */
export const SymbolicDimSchema = z.object({
  name: z.string(),
  value: z.number().nullable(),
  source: z.enum(['user', 'batch-default', 'sequence-default', 'unset']),
});
export type SymbolicDim = z.infer<typeof SymbolicDimSchema>;

export const ModelInfoSchema = z.object({
  /** File name. */
  name: z.string(),
  path: z.string(),
  /** Size of the .onnx file itself. */
  sizeBytes: z.number(),
  /** Total size of the external data files the model references. */
  externalDataBytes: z.number(),
  irVersion: z.number(),
  opsets: z.array(OpsetSchema),
  producer: z.object({ name: z.string(), version: z.string() }),
  graphName: z.string(),
  inputs: z.array(TensorInfoSchema),
  outputs: z.array(TensorInfoSchema),
  parameters: ParameterSummarySchema,
  /** op type → number of nodes, nodes in If/Loop/Scan bodies included; other domains are prefixed ("com.microsoft.MatMulNBits"). */
  opHistogram: z.record(z.string(), z.number()),
  nodeCount: z.number(),
  externalData: z.array(ExternalDataFileSchema),
  quantized: z.boolean(),
  quantization: z.array(QuantizationKindSchema),
  precision: PrecisionSchema,
  metadata: z.record(z.string(), z.string()),
  /** Multiply-accumulates for one run at the dims used; null when some counted operation's shapes are unknown. */
  macs: z.number().nullable(),
  macsReason: z.string().nullable(),
  /** op type → MACs, for the op types whose every node could be counted. */
  macsByOp: z.record(z.string(), z.number()),
  /** 2 × MACs. */
  flops: z.number().nullable(),
  dims: z.array(SymbolicDimSchema),
  warnings: z.array(z.string()),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
