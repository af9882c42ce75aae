/**
 * The element type of every value in a model. Saved optimized models carry no value_info for
 * intermediates, so the main graph is asked of onnxruntime itself: every intermediate name is
 * appended to graph.output, a session is created (optimizations off, nothing run) and
 * `outputMetadata` says each output's type. Values inside If/Loop/Scan bodies are out of
 * ORT's reach this way; their types are propagated here op by op.
 */
import * as ort from 'onnxruntime-node';
import { InferscopeError } from '../../shared/errors';
import { DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto, ValueInfoProto } from '../onnx/codec';
import { dtypeFromName } from '../onnx/dtypes';
import { isExternal, tensorByteSize, tensorDims } from '../onnx/tensor';
import { cloneMessage } from '../onnx/walk';
import { encodeModel } from '../onnx/write';
import { attrInt, attrTensor, findAttribute } from '../onnx/attributes';
import { cloneGraph, declaredElementType, subgraphsOf } from './graph';

/** Initializers of at least this many bytes become typed inputs of the type probe. */
const PROBE_INLINE_BYTES = 4096;

/** Value name → ONNX DataType. Names are unique model-wide (subgraphs included), so one map serves all graphs. */
export type ElementTypes = Map<string, number>;

export async function discoverElementTypes(model: ModelProto): Promise<ElementTypes> {
  const graph = model.graph;
  if (!graph) throw new InferscopeError('MODEL_UNSUPPORTED', 'The model has no graph.');
  const types: ElementTypes = new Map();
  for (const t of graph.initializer ?? []) if (t.name && t.data_type) types.set(t.name, t.data_type);
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.value_info ?? [])]) {
    const declared = declaredElementType(v);
    if (v.name && declared) types.set(v.name, declared);
  }

  const probe = cloneMessage(model);
  const probeGraph = cloneGraph(graph);
  probe.graph = probeGraph;
  // Weights are not needed to know types, only their declared type and shape: as typed graph
  // inputs they cost nothing to load. (External ones would need their files; large inline ones
  // would make this probe session as big as the model, on top of the model we already hold.)
  // Small initializers stay: shape tensors keep shape inference exact.
  const externalInputs: ValueInfoProto[] = [];
  probeGraph.initializer = (probeGraph.initializer ?? []).filter((t) => {
    if (!isExternal(t) && (tensorByteSize(t) ?? 0) < PROBE_INLINE_BYTES) return true;
    externalInputs.push({
      name: t.name ?? '',
      type: { tensor_type: { elem_type: t.data_type ?? 0, shape: { dim: tensorDims(t).map((d) => ({ dim_value: d })) } } },
    });
    return false;
  });
  const inputNames = new Set((probeGraph.input ?? []).map((i) => i.name ?? ''));
  probeGraph.input = [...(probeGraph.input ?? []), ...externalInputs.filter((i) => !inputNames.has(i.name ?? ''))];
  const outputNames = new Set((probeGraph.output ?? []).map((o) => o.name ?? ''));
  const extra: ValueInfoProto[] = [];
  for (const node of probeGraph.node ?? []) {
    for (const o of node.output ?? []) {
      if (o && !outputNames.has(o)) {
        outputNames.add(o);
        extra.push({ name: o });
      }
    }
  }
  probeGraph.output = [...(probeGraph.output ?? []), ...extra];

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encodeModel(probe), {
      graphOptimizationLevel: 'disabled',
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('QUANTIZE_FAILED', `onnxruntime could not load the model to find its tensor types: ${message}`, {
      detail: message,
      cause: error,
    });
  }
  try {
    for (const meta of session.outputMetadata) {
      if (!meta.isTensor) continue;
      const type = dtypeFromName(meta.type);
      if (type !== undefined) types.set(meta.name, type);
    }
  } finally {
    await session.release();
  }
  for (const node of graph.node ?? []) for (const sub of subgraphsOf(node)) propagateSubgraph(sub, types);
  return types;
}

/** Types inside a body, from its declared inputs, initializers and outer values, op by op. */
export function propagateSubgraph(graph: GraphProto, types: ElementTypes): void {
  for (const t of graph.initializer ?? []) if (t.name && t.data_type) types.set(t.name, t.data_type);
  for (const v of [...(graph.input ?? []), ...(graph.value_info ?? [])]) {
    const declared = declaredElementType(v);
    if (v.name && declared) types.set(v.name, declared);
  }
  for (const node of graph.node ?? []) {
    for (const sub of subgraphsOf(node)) propagateSubgraph(sub, types);
    const outputs = node.output ?? [];
    const inferred = inferNodeOutputTypes(node, types);
    outputs.forEach((name, i) => {
      const t = inferred[i];
      if (name && t !== undefined && !types.has(name)) types.set(name, t);
    });
  }
  for (const v of graph.output ?? []) {
    const declared = declaredElementType(v);
    if (v.name && declared && !types.has(v.name)) types.set(v.name, declared);
  }
}

const BOOL_OUTPUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const INT64_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

/** Output element types of one node, where the operator makes them knowable; undefined entries are unknown. */
export function inferNodeOutputTypes(node: NodeProto, types: ElementTypes): (number | undefined)[] {
  const op = node.op_type ?? '';
  const input = (i: number): number | undefined => {
    const name = (node.input ?? [])[i];
    return name ? types.get(name) : undefined;
  };
  const count = (node.output ?? []).length;
  const all = (t: number | undefined) => Array.from({ length: count }, () => t);
  const standard = !node.domain || node.domain === 'ai.onnx';
  if (!standard) {
    if (node.domain === 'com.microsoft') {
      if (op === 'DynamicQuantizeLinear') return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
      if (op === 'MatMulNBits' || op === 'MatMulIntegerToFloat' || op === 'DynamicQuantizeMatMul') return all(input(0));
    }
    return all(undefined);
  }
  if (BOOL_OUTPUT.has(op)) return all(DataType.BOOL);
  if (INT64_OUTPUT.has(op)) return all(DataType.INT64);
  switch (op) {
    case 'Cast':
      return [attrInt(node, 'to')];
    case 'CastLike':
      return [input(1)];
    case 'Constant': {
      const t = attrTensor(node, 'value');
      if (t) return [t.data_type ?? undefined];
      if (findAttribute(node, 'value_float') || findAttribute(node, 'value_floats')) return [DataType.FLOAT];
      if (findAttribute(node, 'value_int') || findAttribute(node, 'value_ints')) return [DataType.INT64];
      if (findAttribute(node, 'value_string') || findAttribute(node, 'value_strings')) return [DataType.STRING];
      return [undefined];
    }
    case 'ConstantOfShape':
      return [attrTensor(node, 'value')?.data_type ?? DataType.FLOAT];
    case 'QuantizeLinear':
      return [input(2) ?? DataType.UINT8];
    case 'DequantizeLinear':
      return [input(1)];
    case 'DynamicQuantizeLinear':
      return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    case 'MatMulInteger':
    case 'ConvInteger':
      return [DataType.INT32];
    case 'QLinearConv':
    case 'QLinearMatMul':
      return [input(7)];
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return [attrInt(node, 'dtype') ?? input(0)];
    case 'RandomNormal':
    case 'RandomUniform':
      return [attrInt(node, 'dtype') ?? DataType.FLOAT];
    case 'Multinomial':
      return [attrInt(node, 'dtype') ?? DataType.INT32];
    case 'TopK':
      return [input(0), DataType.INT64];
    case 'MaxPool':
      return [input(0), DataType.INT64];
    case 'Dropout':
      return [input(0), DataType.BOOL];
    case 'Unique':
      return [input(0), DataType.INT64, DataType.INT64, DataType.INT64];
    case 'Where':
      return [input(1)];
    case 'OneHot':
      return [input(2)];
    case 'If': {
      const branch = findAttribute(node, 'then_branch')?.g;
      return (branch?.output ?? []).map((o) => (o.name ? types.get(o.name) : undefined) ?? declaredElementType(o));
    }
    case 'Loop': {
      // Loop outputs are the body's outputs without the condition.
      const body = findAttribute(node, 'body')?.g;
      return (body?.output ?? []).slice(1).map((o) => (o.name ? types.get(o.name) : undefined) ?? declaredElementType(o));
    }
    case 'Scan': {
      const body = findAttribute(node, 'body')?.g;
      return (body?.output ?? []).map((o) => (o.name ? types.get(o.name) : undefined) ?? declaredElementType(o));
    }
    case 'Split':
    case 'SplitToSequence':
      return op === 'Split' ? all(input(0)) : [undefined];
    default:
      if (op.startsWith('Sequence') || op.startsWith('Optional') || op === 'ConcatFromSequence') return all(undefined);
      // Everything else keeps the type of its first (data) input: elementwise math, shape
      // manipulation, reductions, convolutions, normalizations.
      return all(firstKnown(node, types));
  }
}

function firstKnown(node: NodeProto, types: ElementTypes): number | undefined {
  for (const name of node.input ?? []) {
    if (!name) continue;
    const t = types.get(name);
    if (t !== undefined) return t;
  }
  return undefined;
}
