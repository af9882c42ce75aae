/**
 * An fp16 variant as an fp32 model that stores every fp16 value through a Cast to float16 and
 * back (docs/quantization.md#fp16). onnxruntime's CPU provider runs fp16 operators it has no
 * fp16 kernel for in float32 and drops the casts between them, so on a CPU a variant never
 * rounds or overflows between such operators: its outputs there say little about a GPU, where
 * each value is stored in float16. Explicit Cast pairs in a float32 model are kept by every
 * optimization level, so this copy computes as a GPU does (float32 arithmetic inside an
 * operator, float16 between operators) on any CPU.
 *
 * The main graph only: for a variant with subgraphs and float16 values there is no copy (null).
 */
import { DataType } from '../onnx/codec';
import type { AttributeProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/codec';
import { readFloatTensor, tensorDims } from '../onnx/tensor';
import type { ExternalDataReader } from '../onnx/tensor';
import { cloneMessage } from '../onnx/walk';
import type { ElementTypes } from './element-types';
import { attrs, makeNode, nameAllocatorFor, subgraphsOf } from './graph';
import { ownedTensor } from './tensors';

const DTYPE_ATTRIBUTES = new Set(['to', 'dtype']);

function widen(tensor: TensorProto, external: ExternalDataReader | undefined): TensorProto {
  const out = ownedTensor(tensor.name ?? '', DataType.FLOAT, tensorDims(tensor), readFloatTensor(tensor, external));
  if (!tensor.name) delete out.name;
  return out;
}

function widenAttribute(a: AttributeProto, external: ExternalDataReader | undefined): AttributeProto {
  if (a.t && a.t.data_type === DataType.FLOAT16) return { ...cloneMessage(a), t: widen(a.t, external) };
  return a;
}

function floatInfo(info: ValueInfoProto): ValueInfoProto {
  if (info.type?.tensor_type?.elem_type !== DataType.FLOAT16) return info;
  return { ...cloneMessage(info), type: { ...info.type, tensor_type: { ...info.type.tensor_type, elem_type: DataType.FLOAT } } };
}

/**
 * The emulating copy of `variant`, whose value types are `types` (float16 where the variant
 * stores a value in float16); null when it has subgraphs too. The variant is not changed.
 */
export function emulateFp16Storage(variant: ModelProto, types: ElementTypes, external?: ExternalDataReader): ModelProto | null {
  const graph = variant.graph ?? {};
  const isHalf = (name: string | null | undefined) => !!name && types.get(name) === DataType.FLOAT16;
  const nodes = graph.node ?? [];
  if (nodes.some((n) => subgraphsOf(n).length > 0) && [...types.values()].includes(DataType.FLOAT16)) return null;
  const names = nameAllocatorFor(variant);
  const out: NodeProto[] = [];
  /** value → Cast(to float16) → Cast(to float): `name` then holds float32 values that float16 can store. */
  const round = (raw: string, name: string) => {
    const stored = names.fresh(`${name}_stored_fp16`);
    out.push(makeNode('Cast', [raw], [stored], names.fresh(`${name}_store_fp16`), [attrs.int('to', DataType.FLOAT16)]));
    out.push(makeNode('Cast', [stored], [name], names.fresh(`${name}_load_fp16`), [attrs.int('to', DataType.FLOAT)]));
  };
  // A float16 graph input is fed float32 (the records are float32) and rounded before anything reads it.
  const readAs = new Map<string, string>();
  for (const input of graph.input ?? []) {
    if (!isHalf(input.name)) continue;
    const name = input.name as string;
    const rounded = names.fresh(`${name}_as_fp16`);
    round(name, rounded);
    readAs.set(name, rounded);
  }
  for (const node of nodes) {
    const copy = cloneMessage(node);
    copy.input = (node.input ?? []).map((i) => readAs.get(i) ?? i);
    copy.attribute = (node.attribute ?? []).map((a) => {
      // Cast(to = float16) and dtype = float16 now make float32; the rounding below stores them as float16.
      if (DTYPE_ATTRIBUTES.has(a.name ?? '') && Number(a.i) === DataType.FLOAT16) return attrs.int(a.name ?? '', DataType.FLOAT);
      return widenAttribute(a, external);
    });
    const rounded: [string, string][] = [];
    copy.output = (node.output ?? []).map((o) => {
      if (!isHalf(o)) return o;
      const raw = names.fresh(`${o}_computed`);
      rounded.push([raw, o]);
      return raw;
    });
    out.push(copy);
    for (const [raw, name] of rounded) round(raw, name);
  }
  const emulated = cloneMessage(variant);
  emulated.graph = {
    ...cloneMessage(graph),
    input: (graph.input ?? []).map(floatInfo),
    output: (graph.output ?? []).map(floatInfo),
    value_info: [],
    initializer: (graph.initializer ?? []).map((t) => (t.data_type === DataType.FLOAT16 ? widen(t, external) : t)),
    node: out,
  };
  return emulated;
}
