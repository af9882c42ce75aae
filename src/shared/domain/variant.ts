/**
 * Variants: quantized or fp16 copies of the user's model, made by Inferscope, kept in the data
 * folder beside the model they came from, with the report of what the transformation did.
 */
import { z } from 'zod';
import { DimValuesSchema, ModelSourceSchema } from './app';
import { InputSourceSchema, InputValuesSchema } from './input-values';
import { MachineRefSchema } from './machine';
import { QualityVerdictSchema, QuantizeModeSchema, QuantizeOptionsSchema, QuantizeReportSchema } from './quantize';

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
  /**
   * A folder of .wav files for a model with one float audio input ([N, samples] or [samples]): decoded, mixed to
   * mono, resampled to `sampleRate`, scaled, and cut into windows of the input's length every `hopSeconds`.
   */
  z.object({
    kind: z.literal('audio'),
    dir: z.string().min(1),
    samples: z.number().int().positive().optional(),
    sampleRate: z.number().int().min(1000).max(384_000).default(16_000),
    /** 'float': samples in [-1, 1]; 'int16': the same sound in int16 units (±32768), as some front ends take it. */
    scale: z.enum(['float', 'int16']).default('float'),
    /** Seconds between window starts; default: one window length (windows do not overlap). */
    hopSeconds: z.number().positive().max(3600).optional(),
  }),
]);
export type CalibrationSpec = z.infer<typeof CalibrationSpecSchema>;
export type CalibrationSpecInput = z.input<typeof CalibrationSpecSchema>;

/**
 * What a variant's quality figures were measured on: `held-out` is the part of the user's folder that int8-static
 * did not calibrate on; `user` is the user's folder for a mode that calibrates nothing; `synthetic` is realistic data
 * Inferscope made for one of its sample models; `random` is seeded random data, which says a variant is not broken,
 * not that it is accurate.
 */
export const EvaluationSourceSchema = z.enum(['random', 'held-out', 'user', 'synthetic']);
export type EvaluationSource = z.infer<typeof EvaluationSourceSchema>;

/** Where one fed input's data came from: as for any generated input, or Inferscope's synthetic sample data. */
export const FedInputSourceSchema = z.union([InputSourceSchema, z.literal('synthetic')]);

/** "2 held-out inputs", "8 synthetic inputs", "8 seeded random inputs": what the quality figures were compared on. */
export function describeEvaluation(evaluation: { samples: number; source: EvaluationSource }): string {
  const n = evaluation.samples;
  const inputs = `input${n === 1 ? '' : 's'}`;
  switch (evaluation.source) {
    case 'random':
      return `${n} seeded random ${inputs}`;
    case 'held-out':
      return `${n} held-out ${inputs}`;
    case 'user':
      return `${n} ${inputs} of your own`;
    case 'synthetic':
      return `${n} synthetic ${inputs}`;
  }
}

export const QuantizeRequestSchema = z.object({
  source: ModelSourceSchema,
  options: QuantizeOptionsSchema,
  /**
   * The data of the job: int8-static calibrates on it, and every mode's quality figures are measured on it. With the
   * user's folder, the part int8-static holds apart is evaluated on; with no data, samples get synthetic data, other
   * models seeded random inputs.
   */
  calibration: CalibrationSpecSchema.default({ kind: 'random', samples: 16, seed: 1 }),
  /** Evaluation inputs the quality figures compare on. */
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
  /**
   * Quantize again without the worst transformed layers (a few at a time, from the per-layer figures) until the
   * verdict's figures say good, nothing is left to exclude, or 5 attempts were made; every attempt is kept as a
   * variant, and the best one is returned with the list of attempts.
   */
  autoExclude: z.boolean().optional(),
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
    kind: z.enum(['random', 'tensors', 'images', 'audio', 'synthetic', 'none']),
    samples: z.number().int().nonnegative(),
    /** e.g. "seeded random inputs — real data gives better scales". */
    note: z.string(),
  }),
  evaluation: z.object({
    samples: z.number().int().nonnegative(),
    source: EvaluationSourceSchema,
    /** The user's folder the samples came from (held-out, user). */
    dir: z.string().optional(),
    /** How many samples the folder gave in all (tensor sets, images, audio windows). */
    available: z.number().int().nonnegative().optional(),
    /** e.g. "2 held-out of 10 images in /data/digits", "synthetic handwritten digits made by Inferscope". */
    note: z.string().optional(),
    /** The inputs as fed (generated samples, audio): shapes, and where each one's data came from (absent in older variants). */
    inputs: z
      .array(
        z.object({
          name: z.string(),
          type: z.string(),
          shape: z.array(z.number().int().nonnegative()),
          source: FedInputSourceSchema,
          /** The value given or the stated default, e.g. "16000", "1 (a leading batch dimension defaults to 1)". */
          value: z.string().optional(),
        }),
      )
      .optional(),
  }),
  durationMs: z.number().nonnegative(),
  /**
   * The other machine that made it and keeps it (docs/machines.md#variants): its path is there, and plans on that
   * machine measure it by id. Absent for this machine's variants.
   */
  machine: MachineRefSchema.optional(),
  /** Set on the answer of a job with autoExclude (not stored): each attempt, in order, and which one this is. */
  autoExclude: z
    .object({
      attempts: z.array(
        z.object({
          variantId: z.string(),
          excluded: z.array(z.string()),
          verdict: QualityVerdictSchema,
          worstCosine: z.number().nullable(),
          sizeBytes: z.number().int().nonnegative(),
        }),
      ),
      stop: z.string(),
      reason: z.string(),
    })
    .optional(),
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
