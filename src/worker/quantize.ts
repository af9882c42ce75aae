/**
 * The worker side of a quantization job: the model is read, transformed, written and checked in
 * this process, so a native crash inside onnxruntime while calibrating or verifying costs the job,
 * never the app. Cancel stops between stages, calibration batches and evaluation samples.
 */
import type { RequestOf, ResultOf } from '../core/worker-host/protocol';
import { quantizeFile } from '../core/quantize/file';
import type { RequestContext } from './handlers';

export function quantize(request: RequestOf<'quantize'>, context: RequestContext<'quantize'>): Promise<ResultOf<'quantize'>> {
  return quantizeFile(
    {
      modelPath: request.modelPath,
      outputPath: request.outputPath,
      options: request.options,
      calibration: request.calibration,
      evaluationSamples: request.evaluationSamples,
      dims: request.dims,
      intRanges: request.intRanges,
      inputValues: request.inputValues,
      layerReport: request.layerReport,
    },
    { signal: context.signal, onProgress: (progress) => context.progress(progress) },
  );
}
