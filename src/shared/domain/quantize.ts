import { z } from 'zod';
import { UpgradeReportSchema } from './upgrade';

/**
 * The precision variants Inferscope can make of an fp32 model (docs/quantization.md):
 * int8 with activations quantized at run time, int8 with calibrated Q/DQ pairs, fp16,
 * 4-bit weights (MatMulNBits), and 4-bit weights in an fp16 model (what transformers.js ships).
 */
export const QuantizeModeSchema = z.enum(['int8-dynamic', 'int8-static', 'fp16', 'int4', 'q4f16']);
export type QuantizeMode = z.infer<typeof QuantizeModeSchema>;

/** int4/q4f16: K values per block that MatMulNBits takes. */
export const BLOCK_SIZES = [16, 32, 64, 128, 256] as const;
export const BlockSizeSchema = z.union(
  BLOCK_SIZES.map((size) => z.literal(size)) as [z.ZodLiteral<16>, ...z.ZodLiteral<(typeof BLOCK_SIZES)[number]>[]],
);

export const Int8TypeSchema = z.enum(['int8', 'uint8']);
export type Int8Type = z.infer<typeof Int8TypeSchema>;

export const CalibrationMethodSchema = z.enum(['minmax', 'percentile', 'entropy']);
export type CalibrationMethod = z.infer<typeof CalibrationMethodSchema>;

/** The CPU the model will run on: picks int8 types for static quantization (VNNI or not, x86 or ARM). */
export const QuantizeCpuSchema = z.object({
  /** Node's name for the architecture: 'x64', 'arm64', … */
  arch: z.string(),
  /** Feature flags as the OS reports them ("avx512_vnni", "asimddp", …). */
  flags: z.array(z.string()),
});
export type QuantizeCpu = z.infer<typeof QuantizeCpuSchema>;

/**
 * What to make. Every field but `mode` is optional; absent fields take the defaults of
 * docs/quantization.md for that mode (and, for int8-static, for the CPU in `cpu`).
 */
export const QuantizeOptionsSchema = z.object({
  mode: QuantizeModeSchema,
  /** int8: one scale per output channel of each weight instead of one per tensor. */
  perChannel: z.boolean().optional(),
  /** int8 weight type; default int8. */
  weightType: Int8TypeSchema.optional(),
  /** int8-static activation type; default from `cpu` (uint8 on x86 without VNNI, else int8). */
  activationType: Int8TypeSchema.optional(),
  /** Quantize weights to 7 bits so u8×s8 products cannot saturate on x86 without VNNI. */
  reduceRange: z.boolean().optional(),
  /** int8-dynamic: LSTMs too, as com.microsoft DynamicQuantizeLSTM (a CPU kernel); default off. */
  quantizeLstm: z.boolean().optional(),
  calibrationMethod: CalibrationMethodSchema.optional(),
  /**
   * MinMax calibration: the mean of each batch's minimum and maximum instead of the extremes over
   * all batches (ORT's CalibMovingAverage), so one unusual batch does not stretch the range.
   */
  movingAverage: z.boolean().optional(),
  /** Percentile calibration: the percentile of |x| kept (default 99.999). */
  percentile: z.number().gt(0).max(100).optional(),
  /** Histogram bins for percentile and entropy calibration (default 2048). */
  bins: z.number().int().min(128).max(65536).optional(),
  /** int4/q4f16: K values per block (default 32). */
  blockSize: BlockSizeSchema.optional(),
  /** int4: symmetric blocks (default true); int8: symmetric weights (default: exactly when the weight type is signed). */
  symmetric: z.boolean().optional(),
  /** MatMulNBits compute precision: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8. */
  accuracyLevel: z.number().int().min(0).max(4).optional(),
  /** fp16: keep the model's inputs and outputs fp32 (default true). */
  keepIoTypes: z.boolean().optional(),
  /** fp16: extra operator types to keep in fp32, added to the default block list. */
  blockList: z.array(z.string()).optional(),
  /** Only these node names are transformed (empty or absent: all eligible nodes). */
  include: z.array(z.string()).optional(),
  /** These node names are never transformed. */
  exclude: z.array(z.string()).optional(),
  cpu: QuantizeCpuSchema.optional(),
});
export type QuantizeOptions = z.infer<typeof QuantizeOptionsSchema>;

/**
 * What the quality figures say of a variant (docs/quantization.md#verdicts): good, degraded,
 * unusable, or unverified (not compared, or compared on seeded random inputs only).
 */
export const QualityVerdictSchema = z.enum(['good', 'degraded', 'unusable', 'unverified']);
export type QualityVerdict = z.infer<typeof QualityVerdictSchema>;

/**
 * A difference that can be unbounded: Infinity where one model gives NaN or ±Inf and the other
 * does not. JSON has no Infinity (it is written as null), so null reads back as Infinity.
 */
export const DifferenceSchema = z
  .union([z.number(), z.null(), z.custom<number>((v) => v === Infinity, 'expected a number or Infinity')])
  .transform((v): number => (v === null ? Infinity : v));

/** How close one output of the transformed model stays to the fp32 model's on the same inputs. */
export const OutputQualitySchema = z.object({
  name: z.string(),
  /** Elements compared (over all evaluation inputs). */
  elements: z.number().int().nonnegative(),
  /** Over every element: Infinity when one side is NaN/±Inf and the other is not the same (null in JSON). */
  maxAbsDiff: DifferenceSchema,
  meanAbsDiff: DifferenceSchema,
  /**
   * Signal-to-quantization-noise ratio, 20·log10(‖x‖/‖x−y‖) in dB; higher is better. null when
   * it is not a number: the outputs are identical (`identical`), the reference is all zeros
   * (`zeroReference`), or the variant's output is broken (`broken`).
   */
  sqnrDb: z.number().nullable(),
  /**
   * Cosine similarity of the flattened outputs (1 when both are all zeros). In a broken output each
   * NaN/±Inf counts as maximal error: the original's value negated, or where that is 0, an error as
   * large as the original's root mean square; so it never reads as a match.
   */
  cosine: z.number(),
  /** NaN and ±Inf values in the transformed model's output. */
  nanCount: z.number().int().nonnegative(),
  infCount: z.number().int().nonnegative(),
  /** NaN or ±Inf in the variant's output where the original's value is finite (or a different non-finite value). */
  broken: z.boolean().optional(),
  /** Every element equal to the original's (non-finite ones equal where both are the same NaN or infinity). */
  identical: z.boolean().optional(),
  /** The original's output is all zeros on these inputs: there is no signal to measure noise against. */
  zeroReference: z.boolean().optional(),
  /** Class-score outputs ([batch, classes]): share of rows whose arg-max agrees. */
  top1Agreement: z.number().min(0).max(1).optional(),
  /** Class-score outputs: mean share of the reference top-5 classes found in the transformed top-5. */
  top5Overlap: z.number().min(0).max(1).optional(),
  /** Class-score outputs: rows compared. */
  rows: z.number().int().nonnegative().optional(),
  /** This output's verdict (absent in reports made before verdicts existed). */
  verdict: QualityVerdictSchema.optional(),
});
export type OutputQuality = z.infer<typeof OutputQualitySchema>;

export const SkippedNodeSchema = z.object({
  node: z.string(),
  opType: z.string(),
  reason: z.string(),
});
export type SkippedNode = z.infer<typeof SkippedNodeSchema>;

/**
 * One layer's output in the variant against the same tensor in the fp32 model, on the evaluation
 * inputs. Measured where the layer writes its output, so the figure is cumulative: it includes
 * what every layer before it lost.
 */
export const LayerQualitySchema = z.object({
  /** The node's name as include/exclude lists match it. */
  node: z.string(),
  opType: z.string(),
  /** The tensor compared: the node's first output. */
  output: z.string(),
  /** 20·log10(‖x‖/‖x−y‖) in dB; null when there is no noise (identical) or the original's tensor is all zeros. */
  sqnrDb: z.number().nullable(),
  maxAbsDiff: z.number(),
  cosine: z.number(),
  /** NaN and ±Inf values in the variant's tensor where the original's were finite. */
  nonFinite: z.number().int().nonnegative(),
  /** The transformation changed this node: excluding it by name would leave it in float. */
  quantized: z.boolean(),
});
export type LayerQuality = z.infer<typeof LayerQualitySchema>;

export const NonFiniteFromSchema = z.object({
  node: z.string(),
  opType: z.string(),
  /** NaN and ±Inf values in that layer's output where the original's are finite. */
  nanCount: z.number().int().nonnegative(),
  infCount: z.number().int().nonnegative(),
});
export type NonFiniteFrom = z.infer<typeof NonFiniteFromSchema>;

export const QuantizeReportSchema = z.object({
  mode: QuantizeModeSchema,
  sizeBytes: z.object({ before: z.number().int().nonnegative(), after: z.number().int().nonnegative() }),
  nodesQuantized: z.number().int().nonnegative(),
  /** Choices made where the options left them open, e.g. { activationType: 'uint8', reduceRange: true }. */
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Nodes of a kind this mode handles that were left as they were, and why. */
  skipped: z.array(SkippedNodeSchema),
  /** Per model output, in the model's output order; empty when no evaluation inputs were given. */
  quality: z.array(OutputQualitySchema),
  warnings: z.array(z.string()),
  /**
   * Per-layer SQNR, worst first. Absent in reports made before it existed and when it was not
   * measured (then `layersNote` says why).
   */
  layers: z.array(LayerQualitySchema).optional(),
  /** What the per-layer figures measured, or why there are none. */
  layersNote: z.string().optional(),
  /** Set when the model was upgraded (IR 8, opset 13) before the transformation, with the check that it computes the same. */
  upgrade: UpgradeReportSchema.optional(),
  /** The variant's verdict, its worst output's (absent in reports made before verdicts existed). */
  verdict: QualityVerdictSchema.optional(),
  /** Why, in words: the output that decided it and its figures. */
  verdictReason: z.string().optional(),
  /**
   * Where NaN/Inf first appear when an output is broken: the first measured layer, in graph order,
   * whose output has non-finite values where the original's are finite. null when no output is
   * broken or no measured layer shows it; absent when the per-layer figures were not measured.
   */
  nonFiniteFrom: NonFiniteFromSchema.nullable().optional(),
});
export type QuantizeReport = z.infer<typeof QuantizeReportSchema>;
