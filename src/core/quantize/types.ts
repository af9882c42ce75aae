/**
 * What every transformation looks like: a small module that says whether
 * it can handle a model, and if so makes the variant. The list lives in index.ts.
 */
import type { QuantizeMode, QuantizeOptions, SkippedNode } from '../../shared/domain/quantize';
import type { ModelProto } from '../onnx/codec';
import type { ExternalDataReader } from '../onnx/tensor';

export type Applicability = { ok: true } | { ok: false; reason: string };

export interface QuantizeProgress {
  /** 'prepare' | 'calibrate' | 'quantize' | 'convert' | 'finish', or a mode's own stage. */
  stage: string;
  /** 0..1 within the stage when known. */
  fraction?: number;
  message?: string;
}

export type ProgressCallback = (progress: QuantizeProgress) => void;

/** A tensor as onnxruntime takes it (an ort.Tensor qualifies). */
export interface InputTensor {
  type: string;
  data: ArrayLike<number> | ArrayLike<bigint> | readonly string[];
  dims: readonly number[];
}

/** One set of model inputs by input name: a calibration batch or an evaluation sample. */
export type InputRecord = Record<string, InputTensor>;

export type InputSource = AsyncIterable<InputRecord> | Iterable<InputRecord>;

export interface TransformOptions extends QuantizeOptions {
  /** int8-static: the batches calibration runs the model on. */
  calibrationData?: InputSource;
  /** Where tensors kept in external data files are read from (LoadedModel.external). */
  external?: ExternalDataReader;
  /**
   * Models with more tensor bytes than this run their onnxruntime sessions (pre-processing,
   * calibration) from files with external data instead of bytes (scratch.ts; default 16 MiB).
   * Lowered to exercise that path on small models.
   */
  scratchAboveBytes?: number;
}

export interface TransformReport {
  nodesQuantized: number;
  /** Settings the transformation resolved (defaults, CPU-dependent choices). */
  settings: Record<string, string | number | boolean>;
  skipped: SkippedNode[];
  warnings: string[];
}

export interface TransformResult {
  /** A new model; the input model is left as it was. */
  model: ModelProto;
  report: TransformReport;
}

export interface Transformation {
  mode: QuantizeMode;
  /** For people: "int8 (dynamic)". */
  title: string;
  /** Whether the model can be transformed at all (with these options, when given), and why not. */
  canApply(model: ModelProto, options?: Partial<QuantizeOptions>): Applicability;
  apply(model: ModelProto, options: TransformOptions, onProgress?: ProgressCallback): Promise<TransformResult>;
}
