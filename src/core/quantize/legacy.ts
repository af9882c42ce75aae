/** Which models a quantization mode upgrades first (no onnxruntime here: the hosts ask too). */
import type { QuantizeOptions } from '../../shared/domain/quantize';
import type { ModelProto } from '../onnx/codec';
import { needsUpgrade, UPGRADE_TARGET_OPSET } from '../onnx/upgrade';
import { irVersion } from './graph';

/** The default-domain opset a mode needs with these options; a model below it is upgraded first. */
export function opsetNeeded(options: Pick<QuantizeOptions, 'mode' | 'perChannel'>): number {
  if (options.mode === 'int8-dynamic') return options.perChannel ? UPGRADE_TARGET_OPSET : 11;
  if (options.mode === 'int8-static') return options.perChannel ? UPGRADE_TARGET_OPSET : 10;
  return 1;
}

/** Whether a job must upgrade the model first: IR 3 for every mode, and opsets below what the mode needs. */
export function shouldUpgrade(model: ModelProto, options: Pick<QuantizeOptions, 'mode' | 'perChannel'>): boolean {
  return irVersion(model) < 4 || needsUpgrade(model, opsetNeeded(options));
}
