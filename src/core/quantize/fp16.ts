/**
 * fp16 conversion (transformers/float16.py; docs/quantization.md#fp16): float32 weights and values
 * become float16, except where float32 is needed: operators without fp16 kernels, and nodes that
 * read or write values float16 cannot hold (fp16-attempts.ts). A model that already holds
 * quantized or float16 weights is refused: fp16 would not make it smaller.
 */
import { DataType } from '../onnx/codec';
import type { ModelProto } from '../onnx/codec';
import { assertApplicable, basicChecks, finish, floatTypesOf, isFloat16Model, OK, prepare, refuse, type Workspace } from './common';
import { convertWithChecks } from './fp16-attempts';
import { quantizedWeightsOf } from './fp16-constants';
import { DEFAULT_FP16_BLOCK_LIST, type Fp16Settings } from './fp16-convert';
import type { Applicability, ProgressCallback, Transformation, TransformOptions, TransformResult } from './types';

export { DEFAULT_FP16_BLOCK_LIST } from './fp16-convert';
export { removeRedundantCasts } from './fp16-casts';

function settingsFrom(options: Partial<TransformOptions>): Omit<Fp16Settings, 'keep'> {
  return {
    keepIoTypes: options.keepIoTypes ?? true,
    blockList: new Set([...DEFAULT_FP16_BLOCK_LIST, ...(options.blockList ?? [])]),
  };
}

export function canConvertToFp16(model: ModelProto): Applicability {
  const basic = basicChecks(model, 1, 'fp16 conversion');
  if (!basic.ok) return basic;
  const quantized = quantizedWeightsOf(model);
  if (quantized) return refuse(`The model already holds ${quantized}: fp16 would save nothing. Convert the fp32 original instead.`);
  if (isFloat16Model(model))
    return refuse('The model already holds float16 weights: fp16 would save nothing. Convert the fp32 original instead.');
  if (!floatTypesOf(model).has(DataType.FLOAT)) return refuse('The model has no float32 weights or inputs to convert.');
  return OK;
}

/**
 * fp16 conversion of a model already prepared (shared with q4f16, which converts after 4-bit
 * quantization). With `options.calibrationData` the conversion also measures activations and
 * checks the variant on those inputs.
 */
export async function convertWorkspaceToFp16(ws: Workspace, options: TransformOptions, onProgress?: ProgressCallback): Promise<void> {
  const settings = settingsFrom(options);
  ws.report.settings.keepIoTypes = settings.keepIoTypes;
  if (options.blockList?.length) ws.report.settings.blockList = options.blockList.join(',');
  await convertWithChecks(ws, { settings, options, onProgress });
  ws.report.warnings.push(
    'Most CPU kernels compute in float32: on CPU, onnxruntime casts around them and fp16 usually runs slower than fp32. fp16 ' +
      'pays off on CUDA and on WebGPU adapters with shader-f16.',
  );
}

export const fp16: Transformation = {
  mode: 'fp16',
  title: 'fp16',

  canApply(model: ModelProto): Applicability {
    return canConvertToFp16(model);
  },

  async apply(model: ModelProto, options: TransformOptions, onProgress?: ProgressCallback): Promise<TransformResult> {
    assertApplicable(this.canApply(model, options));
    onProgress?.({ stage: 'prepare' });
    const ws = prepare(model);
    onProgress?.({ stage: 'convert' });
    await convertWorkspaceToFp16(ws, options, onProgress);
    onProgress?.({ stage: 'finish' });
    return { model: finish(ws), report: ws.report };
  },
};
