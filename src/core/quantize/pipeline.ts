/**
 * One call from an fp32 model to a variant with its report: pick the transformation, run it,
 * make sure onnxruntime loads the result (rule zero), and compare its outputs with the
 * original's on the evaluation inputs.
 */
import { QuantizeOptionsSchema, type QuantizeReport } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import type { ModelProto } from '../onnx/codec';
import { encodeModel } from '../onnx/read';
import { isExternal, tensorByteSize } from '../onnx/tensor';
import { allGraphs } from './graph';
import { transformationFor } from './registry';
import { createSession, evaluateQuality } from './session';
import { sessionBytes } from './tensors';
import type { InputSource, ProgressCallback, TransformOptions } from './types';

export interface QuantizeRequest {
  model: ModelProto;
  options: TransformOptions;
  /** Inputs both models run on for the quality figures; without them `quality` is empty. */
  evaluationInputs?: InputSource;
  onProgress?: ProgressCallback;
}

export interface QuantizeOutcome {
  model: ModelProto;
  /** The serialized model (tensors still in external data files are referenced, not included). */
  bytes: Uint8Array;
  report: QuantizeReport;
}

/** Serialized size plus the external data the model still points to. */
export function modelSizeBytes(model: ModelProto, encoded?: Uint8Array): number {
  let external = 0;
  for (const { graph } of allGraphs(model)) for (const t of graph.initializer ?? []) if (isExternal(t)) external += tensorByteSize(t) ?? 0;
  return (encoded ?? encodeModel(model)).length + external;
}

export async function quantizeModel(request: QuantizeRequest): Promise<QuantizeOutcome> {
  const { model, onProgress } = request;
  const parsed = QuantizeOptionsSchema.safeParse(request.options);
  if (!parsed.success) {
    throw new InferscopeError('BAD_REQUEST', `Invalid quantization options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const transformation = transformationFor(request.options.mode);
  const { model: result, report } = await transformation.apply(model, request.options, onProgress);
  const bytes = encodeModel(result);
  onProgress?.({ stage: 'verify' });
  const external = request.options.external;
  let quality: QuantizeReport['quality'] = [];
  if (request.evaluationInputs) {
    quality = await evaluateQuality(sessionBytes(model, external), sessionBytes(result, external), request.evaluationInputs);
  } else {
    const session = await createSession(sessionBytes(result, external), 'the transformed model');
    await session.release();
  }
  return {
    model: result,
    bytes,
    report: {
      mode: transformation.mode,
      sizeBytes: { before: modelSizeBytes(model), after: modelSizeBytes(result, bytes) },
      nodesQuantized: report.nodesQuantized,
      settings: report.settings,
      skipped: report.skipped,
      quality,
      warnings: report.warnings,
    },
  };
}
