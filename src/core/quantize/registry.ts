/** Every transformation, in the order the app offers them (one list, one place). */
import type { QuantizeMode } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import type { ModelProto } from '../onnx/codec';
import { int8Dynamic } from './dynamic';
import { fp16 } from './fp16';
import { int4, q4f16 } from './int4';
import { int8Static } from './static';
import type { Applicability, Transformation } from './types';

export const TRANSFORMATIONS: readonly Transformation[] = [int8Dynamic, int8Static, fp16, int4, q4f16];

export function transformationFor(mode: QuantizeMode): Transformation {
  const found = TRANSFORMATIONS.find((t) => t.mode === mode);
  if (!found) throw new InferscopeError('QUANTIZE_UNSUPPORTED', `There is no transformation called "${mode}".`);
  return found;
}

/** What each transformation says about this model, for the UI to offer or explain. */
export function applicableTransformations(model: ModelProto): { mode: QuantizeMode; title: string; applicability: Applicability }[] {
  return TRANSFORMATIONS.map((t) => ({ mode: t.mode, title: t.title, applicability: t.canApply(model) }));
}
