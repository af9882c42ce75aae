/**
 * Quantization and precision conversion (docs/quantization.md). The transformations are registered
 * in one list (registry.ts); a job runs one from model file to variant file (file.ts's
 * `quantizeFile`, in the worker) and reports size and output quality.
 */
export { TRANSFORMATIONS, transformationFor, applicableTransformations } from './registry';
export { int8Dynamic } from './dynamic';
export { int8Static, chooseInt8Types } from './static';
export type { Int8Types } from './static';
export { fp16, DEFAULT_FP16_BLOCK_LIST } from './fp16';
export { int4, q4f16 } from './int4';
export { evaluateQuality } from './session';
export { compareOutput, OutputQualityAccumulator, isClassScores } from './quality';
export { preprocess } from './preprocess';
export type {
  Applicability,
  InputRecord,
  InputSource,
  InputTensor,
  ProgressCallback,
  QuantizeProgress,
  Transformation,
  TransformOptions,
  TransformReport,
  TransformResult,
} from './types';
