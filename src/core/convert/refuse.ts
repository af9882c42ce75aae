/**
 * Where an ONNX model is needed (inspect, bench, quantize, upgrade), a PyTorch or TensorFlow file
 * is refused with what it is and what to do, instead of "not an ONNX model".
 */
import { InferscopeError } from '../../shared/errors';
import { sniffSource } from './identify';

export async function refuseUnconverted(file: string): Promise<void> {
  // Anything else (missing, unreadable, not a model at all) is left to the ONNX reader's own errors.
  const sniffed = await sniffSource(file, { deep: false }).catch(() => null);
  if (!sniffed || sniffed.framework === null) return;
  throw new InferscopeError(
    'MODEL_NEEDS_CONVERSION',
    `${sniffed.name} is a ${sniffed.label}: convert it to ONNX first (Convert in the app, inferscope convert on the command line).`,
    { detail: sniffed.format },
  );
}
