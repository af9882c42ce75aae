/**
 * What the model declares (graph inputs, value_info, outputs): shapes read from its types, and
 * merged with what the rules derive.
 */
import { int64ToNumber, type TypeProto } from '../codec';
import type { Dim, ValueShape } from './context';

export type OnnxDim = NonNullable<NonNullable<NonNullable<TypeProto['tensor_type']>['shape']>['dim']>[number];

export function typeToValueShape(type: TypeProto | null | undefined, dimOf: (dim: OnnxDim, axis: number) => Dim): ValueShape | undefined {
  const tensor = type?.tensor_type;
  if (!tensor) return undefined;
  const dims = tensor.shape?.dim;
  return {
    dtype: tensor.elem_type ?? undefined,
    shape: tensor.shape ? (dims ?? []).map((d, axis) => dimOf(d, axis)) : undefined,
  };
}

export function declaredDim(dim: OnnxDim, resolveParam: (p: string) => Dim): Dim {
  if (dim.dim_value !== undefined && dim.dim_value !== null && Object.prototype.hasOwnProperty.call(dim, 'dim_value')) {
    // Some exporters write -1 for a size left open, as onnxruntime reports one: not a size.
    const value = int64ToNumber(dim.dim_value);
    return value >= 0 ? value : null;
  }
  if (dim.dim_param) return resolveParam(dim.dim_param);
  return null;
}

/** Our inference, with gaps filled from what the model declares. */
export function preferKnown(inferred: ValueShape | undefined, declared: ValueShape | undefined): ValueShape | undefined {
  if (!inferred) return declared;
  if (!declared) return inferred;
  const out: ValueShape = { ...inferred, dtype: inferred.dtype ?? declared.dtype };
  if (!inferred.shape) out.shape = declared.shape;
  else if (declared.shape && declared.shape.length === inferred.shape.length) {
    out.shape = inferred.shape.map((d, i) => (typeof d === 'number' ? d : (declared.shape?.[i] ?? d)));
  }
  return out;
}
