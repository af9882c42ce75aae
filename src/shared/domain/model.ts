import { z } from 'zod';
import { InputProfileSchema } from './profile';
import { ConvertedFromSchema } from './convert';

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

/** Values made by nodes rather than stored in initializers: how many nodes of one op type, and what they hold. */
export const ProducedParametersSchema = z.object({ nodes: z.number(), count: z.number(), bytes: z.number() });
export type ProducedParameters = z.infer<typeof ProducedParametersSchema>;

export const ParameterSummarySchema = z.object({
  /**
   * Number of values across initializers, Constant nodes and constant generators (ConstantOfShape,
   * RandomNormal, ... whose inputs are constants), subgraphs included.
   */
  total: z.number(),
  /** Bytes those values take (generated ones once made in memory). */
  bytes: z.number(),
  /** Keyed by element type ("float32", "int8", ...). */
  byDtype: z.record(z.string(), DtypeTotalsSchema),
  /** op type ("Constant", "ConstantOfShape") → the part of the totals above made by nodes of that type. */
  fromNodes: z.record(z.string(), ProducedParametersSchema).optional(),
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
 * "user" (given with --dim / the dims request / the model's input profile), "batch-default"
 * (batch-like, 1 unless given), or "unset" (value null: operations depending on it are not counted,
 * and benchmarks and quantization refuse with DIMS_REQUIRED until it is set).
 * "sequence-default" appears only in documents from versions that gave sequence-like dims 128.
 */
export const SymbolicDimSchema = z.object({
  name: z.string(),
  value: z.number().nullable(),
  source: z.enum(['user', 'batch-default', 'sequence-default', 'unset']),
});
export type SymbolicDim = z.infer<typeof SymbolicDimSchema>;

/** A node that keeps MACs from being counted, and the symbolic dims without a value in its shapes. */
export const MacsBlockerSchema = z.object({
  /** Node name; "" when the model leaves it unnamed. */
  node: z.string(),
  /** Op type, other domains prefixed ("com.microsoft.MatMulNBits"). */
  op: z.string(),
  dims: z.array(z.string()),
  /** What is unknown about it, in words ("input shapes unknown", "trip count unknown"). */
  detail: z.string(),
});
export type MacsBlocker = z.infer<typeof MacsBlockerSchema>;

/**
 * Why `macs` is null. "unset-dims": symbolic dims without a value (named in `dims`) leave shapes
 * open; "unknown-shapes": shapes of the `nodes` could not be derived; "unknown-trip-count": a
 * Loop/Scan runs its body a number of times known only at run time; "too-large": the count is past
 * what a number holds; "shape-propagation-failed": our shape rules tripped over the model.
 */
export const MacsUnknownSchema = z.object({
  reason: z.enum(['unset-dims', 'unknown-shapes', 'unknown-trip-count', 'too-large', 'shape-propagation-failed']),
  dims: z.array(z.string()),
  /** The blocking nodes, at most 20, subgraphs included. */
  nodes: z.array(MacsBlockerSchema),
  /** How many nodes block in all. */
  nodeCount: z.number(),
});
export type MacsUnknown = z.infer<typeof MacsUnknownSchema>;

/**
 * How an If, Loop or Scan with compute in its subgraphs was counted. An If whose condition is a
 * constant counts the branch that runs ("constant-condition"); one decided at run time counts the
 * larger branch ("larger-branch": `macs` is then an upper bound and `macsRange` gives both ends).
 */
export const MacsControlFlowSchema = z.object({
  node: z.string(),
  op: z.string(),
  /** "then_branch" / "else_branch" for If ("neither" when a branch's count is unknown), "body" for Loop and Scan. */
  counted: z.string(),
  basis: z.enum(['constant-condition', 'larger-branch', 'equal-branches', 'branch-unknown', 'trip-count']),
  /** MACs of each branch (or of one run of the body); null where unknown. */
  branches: z.record(z.string(), z.number().nullable()),
  iterations: z.number().nullable(),
  /** The same in words. */
  note: z.string(),
});
export type MacsControlFlow = z.infer<typeof MacsControlFlowSchema>;

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
  /**
   * Multiply-accumulates for one run at the dims used; null when some counted operation's shapes
   * are unknown (`macsUnknown` says which). With an If decided at run time: the larger branch's.
   */
  macs: z.number().nullable(),
  /** Why MACs are unknown, in words; null when they are known. */
  macsReason: z.string().nullable(),
  /** Why MACs are unknown, for programs; null when they are known. */
  macsUnknown: MacsUnknownSchema.nullable().optional(),
  /** Set when MACs depend on If branches taken at run time: the smallest and largest counts. */
  macsRange: z.object({ min: z.number(), max: z.number() }).nullable().optional(),
  /** How control flow was counted: one entry per If/Loop/Scan with compute in its subgraphs. */
  macsControlFlow: z.array(MacsControlFlowSchema).optional(),
  /** op type → MACs, for the op types whose every node could be counted. */
  macsByOp: z.record(z.string(), z.number()),
  /** 2 × MACs. */
  flops: z.number().nullable(),
  dims: z.array(SymbolicDimSchema),
  warnings: z.array(z.string()),
  /** The model file's sha256 (its input profile is kept under it); set by the host's inspection. */
  sha256: z.string().optional(),
  /** The input profile saved for this model; null when none is. */
  profile: InputProfileSchema.nullable().optional(),
  /** The PyTorch / TensorFlow file this model was converted from (docs/conversion.md); null or absent for any other model. */
  convertedFrom: ConvertedFromSchema.nullable().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
