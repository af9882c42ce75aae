/**
 * Variants: quantized or fp16 copies of the user's model, made by Inferscope, kept in the data
 * folder beside the model they came from, with the report of what the transformation did.
 */
import { z } from 'zod';
import { DimValuesSchema, ModelSourceSchema } from './app';
import { InputSourceSchema, InputValuesSchema } from './input-values';
import { QuantizeModeSchema, QuantizeOptionsSchema, QuantizeReportSchema } from './quantize';

/** Where calibration inputs for int8-static come from. Real data is better than random. */
export const CalibrationSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random'), samples: z.number().int().positive().max(10_000).default(16), seed: z.number().int().default(1) }),
  /**
   * A folder of tensor sets: sub-folders (e.g. ONNX test_data_set_0, _1, …) each holding one .npy/.pb
   * per input, or for a single-input model, one .npy/.pb file per sample.
   */
  z.object({ kind: z.literal('tensors'), dir: z.string().min(1), samples: z.number().int().positive().optional() }),
  /** A folder of .png/.jpg images for an image-input model: resized, laid out and normalized as the user says. */
  z.object({
    kind: z.literal('images'),
    dir: z.string().min(1),
    samples: z.number().int().positive().optional(),
    layout: z.enum(['nchw', 'nhwc']).default('nchw'),
    /** Target size; default: the model input's fixed height and width. */
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    channelOrder: z.enum(['rgb', 'bgr']).default('rgb'),
    /** Pixels are divided by `scale` (default 255), then (x − mean) / std per channel. */
    scale: z.number().positive().default(255),
    mean: z.array(z.number()).length(3).default([0, 0, 0]),
    std: z.array(z.number().positive()).length(3).default([1, 1, 1]),
  }),
]);
export type CalibrationSpec = z.infer<typeof CalibrationSpecSchema>;
export type CalibrationSpecInput = z.input<typeof CalibrationSpecSchema>;

export const QuantizeRequestSchema = z.object({
  source: ModelSourceSchema,
  options: QuantizeOptionsSchema,
  /** Used for int8-static calibration; with the user's data, part of it is held apart for evaluation. */
  calibration: CalibrationSpecSchema.default({ kind: 'random', samples: 16, seed: 1 }),
  /** Evaluation inputs the quality figures compare on (the user's held-out data, else seeded random). */
  evaluationSamples: z.number().int().positive().max(1000).default(8),
  /** Values of symbolic input dimensions for random and image inputs (e.g. {sequence: 64}); batch is 1 unless given. */
  dims: DimValuesSchema.optional(),
  /**
   * Inclusive ranges of random integer inputs by input name (token ids inside the vocabulary); "*" applies to
   * every integer input not named. Masks default to all ones, token types to 0..1, the rest to 0..99.
   */
  intRanges: z.record(z.string(), z.object({ min: z.number().int(), max: z.number().int() })).optional(),
  /** Data for named inputs of random samples (sr=16000, state=zeros, positions=range); well-known names get stated defaults. */
  inputValues: InputValuesSchema.optional(),
  /**
   * Per-layer SQNR (runs both models again with every layer's output): 'auto' does it for models
   * up to LAYER_REPORT_AUTO_MAX_BYTES, where the extra memory stays small; 'always' / 'never' decide.
   */
  layerReport: z.enum(['auto', 'always', 'never']).default('auto'),
  /** Chosen by the caller so it can cancel the job. */
  jobId: z.string().min(1).max(100),
});
export type QuantizeRequest = z.infer<typeof QuantizeRequestSchema>;
export type QuantizeRequestInput = z.input<typeof QuantizeRequestSchema>;

export const QuantizeStageSchema = z.enum(['load', 'prepare', 'calibrate', 'transform', 'verify', 'evaluate', 'save']);

export const QuantizeProgressSchema = z.object({
  jobId: z.string(),
  stage: QuantizeStageSchema,
  /** Within the stage, when known (calibration batches, evaluation samples). */
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
});
export type QuantizeProgress = z.infer<typeof QuantizeProgressSchema>;

export const VariantSchema = z.object({
  /** Unique among the variants of all models: `<mode>-<short hash of options and source>`. */
  id: z.string(),
  mode: QuantizeModeSchema,
  /** Short human label, e.g. "int8 dynamic (per-channel)". */
  label: z.string(),
  /** The variant's .onnx file. */
  path: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  createdAt: z.string(),
  source: z.object({ path: z.string(), name: z.string(), sha256: z.string(), sizeBytes: z.number().int().nonnegative() }),
  options: QuantizeOptionsSchema,
  report: QuantizeReportSchema,
  calibration: z.object({
    kind: z.enum(['random', 'tensors', 'images', 'none']),
    samples: z.number().int().nonnegative(),
    /** e.g. "seeded random inputs — real data gives better scales". */
    note: z.string(),
  }),
  evaluation: z.object({
    samples: z.number().int().nonnegative(),
    source: z.enum(['random', 'held-out']),
    /** The inputs as fed (random samples): shapes, and where each one's data came from (absent in older variants). */
    inputs: z
      .array(
        z.object({
          name: z.string(),
          type: z.string(),
          shape: z.array(z.number().int().nonnegative()),
          source: InputSourceSchema,
          /** The value given or the stated default, e.g. "16000", "1 (a leading batch dimension defaults to 1)". */
          value: z.string().optional(),
        }),
      )
      .optional(),
  }),
  durationMs: z.number().nonnegative(),
});
export type Variant = z.infer<typeof VariantSchema>;

/** What each mode says about a model before the user picks one. */
export const ModeAvailabilitySchema = z.object({
  mode: QuantizeModeSchema,
  ok: z.boolean(),
  /** Why the mode cannot apply, or advice when it can (e.g. "this CPU has no VNNI: int8 may not be faster"). */
  reason: z.string().nullable(),
  advice: z.array(z.string()),
});
export type ModeAvailability = z.infer<typeof ModeAvailabilitySchema>;
