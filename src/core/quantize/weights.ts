/**
 * Constant weights quantized once, however many nodes read them (tied weights must not end up
 * half-quantized), stored next to the original in the graph that owns it.
 */
import type { NameAllocator } from '../onnx/build';
import type { GraphProto, TensorProto } from '../onnx/codec';
import { attrFloat, attrInt } from '../onnx/attributes';
import type { NodeProto } from '../onnx/codec';
import type { ExternalDataReader } from '../onnx/tensor';
import { quantizeArray, quantizeArrayPerChannel, type QuantType } from './math';
import { floatTensor, quantizedTensor, readWeight, tensorDims, transpose2d, zeroPointTensor } from './tensors';

export interface QuantizedWeight {
  /** Initializer names. */
  quantized: string;
  scale: string;
  zeroPoint: string;
  /** Per-channel axis, or undefined for one scale for the whole tensor. */
  axis: number | undefined;
  scales: Float32Array;
  dims: number[];
}

export interface WeightRequest {
  /** Name of the float initializer. */
  name: string;
  tensor: TensorProto;
  /** The graph holding the initializer; the quantized tensors are added there. */
  graph: GraphProto;
  /** Quantize the transpose of a 2-D weight (Gemm transB=1 rewritten as MatMul). */
  transpose?: boolean;
  /** Axis for per-channel scales (in the possibly transposed layout); undefined for per-tensor. */
  axis?: number | undefined;
  type: QuantType;
  symmetric: boolean;
  reduceRange: boolean;
}

export class WeightStore {
  private readonly done = new Map<string, QuantizedWeight>();

  constructor(
    private readonly names: NameAllocator,
    private readonly external: ExternalDataReader | undefined,
  ) {}

  /** How many distinct quantized weights were made. */
  get count(): number {
    return this.done.size;
  }

  get(request: WeightRequest): QuantizedWeight {
    const key = [request.name, request.transpose ? 'T' : '', request.axis ?? '', request.type, request.symmetric, request.reduceRange].join(
      '|',
    );
    const existing = this.done.get(key);
    if (existing) return existing;
    let dims = tensorDims(request.tensor);
    let values = readWeight(request.tensor, this.external);
    let base = request.name;
    if (request.transpose) {
      const [rows, cols] = dims as [number, number];
      values = transpose2d(values, rows, cols);
      dims = [cols, rows];
      base = `${request.name}_transposed`;
    }
    const options = { type: request.type, symmetric: request.symmetric, reduceRange: request.reduceRange };
    const quantizedName = this.names.fresh(`${base}_quantized`);
    const scaleName = this.names.fresh(`${base}_scale`);
    const zeroPointName = this.names.fresh(`${base}_zero_point`);
    const added: TensorProto[] = [];
    let scales: Float32Array;
    if (request.axis === undefined) {
      const q = quantizeArray(values, options);
      scales = Float32Array.of(q.scale);
      added.push(quantizedTensor(quantizedName, request.type, dims, q.values));
      added.push(floatTensor(scaleName, [], [q.scale]));
      added.push(zeroPointTensor(zeroPointName, request.type, [q.zeroPoint], []));
    } else {
      const q = quantizeArrayPerChannel(values, dims, request.axis, options);
      scales = q.scales;
      const channels = q.scales.length;
      added.push(quantizedTensor(quantizedName, request.type, dims, q.values));
      added.push(floatTensor(scaleName, [channels], q.scales));
      added.push(zeroPointTensor(zeroPointName, request.type, Array.from(q.zeroPoints), [channels]));
    }
    request.graph.initializer = [...(request.graph.initializer ?? []), ...added];
    const result: QuantizedWeight = {
      quantized: quantizedName,
      scale: scaleName,
      zeroPoint: zeroPointName,
      axis: request.axis,
      scales,
      dims,
    };
    this.done.set(key, result);
    return result;
  }
}

/** Why a Gemm cannot be rewritten as MatMul (+ Add), or undefined when it can. */
export function gemmAsMatMulRefusal(node: NodeProto): string | undefined {
  if (attrFloat(node, 'alpha', 1) !== 1) return 'Gemm with alpha ≠ 1';
  if (attrFloat(node, 'beta', 1) !== 1 && (node.input ?? [])[2]) return 'Gemm with beta ≠ 1';
  if (attrInt(node, 'transA', 0) !== 0) return 'Gemm with transA = 1';
  return undefined;
}
