/**
 * Building small ONNX models for tests directly with the generated codec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributeType,
  DataType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../../../src/core/onnx/codec';
import { makeTensor } from '../../../../src/core/onnx/tensor';

export { DataType };

export type DimSpec = number | string | null;

/** A tensor ValueInfo; a null dim is unnamed ("?"), `shape: undefined` means unknown rank. */
export function tensorValue(name: string, elemType: number, shape?: DimSpec[]): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        ...(shape
          ? {
              shape: {
                dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})),
              },
            }
          : {}),
      },
    },
  };
}

export type AttrValue = number | number[] | string | TensorProto | GraphProto | { float: number } | { floats: number[] };

export function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  if ('node' in value || 'output' in value) return { name, type: AttributeType.GRAPH, g: value as GraphProto };
  return { name, type: AttributeType.TENSOR, t: value as TensorProto };
}

export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  extra: { domain?: string; name?: string } = {},
): NodeProto {
  return {
    op_type: op,
    input: inputs,
    output: outputs,
    name: extra.name ?? `${op}_${outputs[0] ?? ''}`,
    ...(extra.domain ? { domain: extra.domain } : {}),
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** Deterministic pseudo-random values (so test models are reproducible). */
export function seededValues(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 0xffffffff - 0.5) * 0.2;
  }
  return out;
}

export function floatTensor(name: string, dims: number[], values?: Float32Array | number[]): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  return makeTensor(name, DataType.FLOAT, dims, values ?? seededValues(count, name.length + count));
}

export function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  return makeTensor(name, DataType.INT64, dims, values);
}

export interface ModelSpec {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
  opset?: number;
  irVersion?: number;
  extraOpsets?: { domain: string; version: number }[];
  name?: string;
  metadata?: Record<string, string>;
}

export function makeModel(spec: ModelSpec): ModelProto {
  const graph: GraphProto = {
    name: spec.name ?? 'test',
    node: spec.nodes,
    input: spec.inputs,
    output: spec.outputs,
    initializer: spec.initializers ?? [],
    value_info: spec.valueInfo ?? [],
  };
  return {
    ir_version: spec.irVersion ?? 8,
    producer_name: 'inferscope-tests',
    producer_version: '1',
    opset_import: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.extraOpsets ?? [])],
    graph,
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

/** A graph for an attribute (If branches, Loop bodies). */
export function subgraph(
  name: string,
  nodes: NodeProto[],
  outputs: ValueInfoProto[],
  inputs: ValueInfoProto[] = [],
  initializers: TensorProto[] = [],
): GraphProto {
  return { name, node: nodes, output: outputs, input: inputs, initializer: initializers };
}

/** A small real CNN: Conv → Relu → MaxPool → Flatten → Gemm, with fixed weights. */
export function smallCnn(batch: DimSpec = 'batch'): ModelProto {
  return makeModel({
    name: 'small_cnn',
    inputs: [tensorValue('image', DataType.FLOAT, [batch, 1, 8, 8])],
    outputs: [tensorValue('logits', DataType.FLOAT, [batch, 10])],
    initializers: [
      floatTensor('conv_w', [4, 1, 3, 3]),
      floatTensor('conv_b', [4]),
      floatTensor('fc_w', [10, 64]),
      floatTensor('fc_b', [10]),
    ],
    nodes: [
      node('Conv', ['image', 'conv_w', 'conv_b'], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node('Relu', ['conv'], ['relu']),
      node('MaxPool', ['relu'], ['pool'], { kernel_shape: [2, 2], strides: [2, 2] }),
      node('Flatten', ['pool'], ['flat'], { axis: 1 }),
      node('Gemm', ['flat', 'fc_w', 'fc_b'], ['logits'], { transB: 1 }),
    ],
  });
}

/** A medium model with several tensors, so truncation can land in many different places. */
export function mediumModel(): ModelProto {
  const model = smallCnn();
  model.metadata_props = [{ key: 'purpose', value: 'truncation tests' }];
  model.graph!.doc_string = 'x'.repeat(50);
  return model;
}

export function tempDir(prefix = 'inferscope-onnx-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
