/**
 * Model inspection: what a model takes and returns, how big it is, what it is made of, how
 * much compute one run needs. Reads no weight data beyond small constants, so a large model
 * inspects in well under a second.
 */
import { basename } from 'node:path';
import type {
  MacsUnknown,
  ModelInfo,
  Precision,
  ProducedParameters,
  QuantizationKind,
  SymbolicDim,
  TensorInfo,
} from '../../shared/domain/model';
import { InferscopeError } from '../../shared/errors';
import { dimSetting, listWords } from '../../shared/settings';
import { attrInt, findAttribute } from './attributes';
import { DataType, int64ToNumber, type GraphProto, type Int64, type ModelProto, type TypeProto, type ValueInfoProto } from './codec';
import { dtypeName, dtypeStorageBytes } from './dtypes';
import { countMacs, opKey, type MacSummary } from './macs';
import { explainUnknownMacs } from './macs-reason';
import { producedTensors } from './produced';
import { readModel, type LoadedModel, type ReadModelOptions } from './read';
import { inferShapes, type Dim, type GraphShapes } from './shapes';
import { tensorElementCount } from './tensor';
import { graphAndSubgraphs, tensorsOf } from './walk';

export interface InspectOptions extends ReadModelOptions {
  /** Values for symbolic dimensions, e.g. {batch: 1, sequence: 128}. */
  dims?: Record<string, number>;
}

/** onnxruntime-node 1.30 loads models up to these versions. */
const ORT_MAX_IR_VERSION = 13;
const ORT_MAX_OPSET = 27;

export async function inspectModel(path: string, options: InspectOptions = {}): Promise<ModelInfo> {
  const loaded = await readModel(path, options);
  return inspectLoaded(loaded, options);
}

// ---------------------------------------------------------------------------------------------
// Types and shapes as people read them

export function typeToString(type: TypeProto | null | undefined): string {
  if (!type) return 'unknown';
  if (type.tensor_type) return dtypeName(type.tensor_type.elem_type);
  if (type.sparse_tensor_type) return `sparse_tensor(${dtypeName(type.sparse_tensor_type.elem_type)})`;
  if (type.sequence_type) return `seq(${typeToString(type.sequence_type.elem_type)})`;
  if (type.map_type) return `map(${dtypeName(type.map_type.key_type)},${typeToString(type.map_type.value_type)})`;
  if (type.optional_type) return `optional(${typeToString(type.optional_type.elem_type)})`;
  if (type.opaque_type) return `opaque(${[type.opaque_type.domain, type.opaque_type.name].filter(Boolean).join('.')})`;
  return 'unknown';
}

/** A fixed size; some exporters write -1 for a size left open (as onnxruntime reports one), which is not. */
function hasDimValue(dim: { dim_value?: Int64 | null }): boolean {
  const present = Object.prototype.hasOwnProperty.call(dim, 'dim_value') && dim.dim_value !== null && dim.dim_value !== undefined;
  return present && int64ToNumber(dim.dim_value) >= 0;
}

function declaredShape(type: TypeProto | null | undefined): (number | string)[] | null {
  const shape = type?.tensor_type?.shape ?? type?.sparse_tensor_type?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => (hasDimValue(d) ? int64ToNumber(d.dim_value) : d.dim_param ? d.dim_param : '?'));
}

function tensorInfo(vi: ValueInfoProto): TensorInfo {
  return { name: vi.name ?? '', type: typeToString(vi.type), shape: declaredShape(vi.type) };
}

// ---------------------------------------------------------------------------------------------
// Symbolic dimensions

const BATCH_NAMES = /^(n|b|bs|batch|batch_?size|batches|num_batches|nbatch)$/i;

function isBatchLike(name: string, axis: number, named: boolean): boolean {
  if (/batch/i.test(name) || BATCH_NAMES.test(name)) return true;
  // Exporters leave the leading (batch) axis unnamed or call it unk__N / None.
  return axis === 0 && (!named || /^(unk__\d+|none|\?|dynamic.*|-1)$/i.test(name));
}

export const unnamedDimName = (input: string, axis: number) => `${input}[${axis}]`;

interface DimPlan {
  dims: SymbolicDim[];
  resolveParam: (param: string) => Dim;
  resolveUnnamed: (input: string, axis: number) => Dim;
  unusedUserDims: string[];
}

function planDims(graph: GraphProto, inputs: ValueInfoProto[], userDims: Record<string, number>): DimPlan {
  const found = new Map<string, SymbolicDim>();
  const consider = (name: string, axis: number, named: boolean) => {
    const existing = found.get(name);
    const user = userDims[name];
    if (user !== undefined) found.set(name, { name, value: user, source: 'user' });
    else if (!existing || existing.source === 'unset') {
      if (isBatchLike(name, axis, named)) found.set(name, { name, value: 1, source: 'batch-default' });
      else if (!existing) found.set(name, { name, value: null, source: 'unset' });
    }
  };
  for (const vi of inputs) {
    const dims = vi.type?.tensor_type?.shape?.dim ?? [];
    dims.forEach((d, axis) => {
      if (hasDimValue(d)) return;
      if (d.dim_param) consider(d.dim_param, axis, true);
      else consider(unnamedDimName(vi.name ?? '', axis), axis, false);
    });
  }
  // Names the user set that appear only inside the graph (value_info, outputs) still apply.
  const elsewhere = new Set<string>();
  for (const { graph: g } of graphAndSubgraphs(graph)) {
    for (const vi of [...(g.value_info ?? []), ...(g.output ?? []), ...(g.input ?? [])]) {
      for (const d of vi.type?.tensor_type?.shape?.dim ?? []) if (d.dim_param) elsewhere.add(d.dim_param);
    }
  }
  const unusedUserDims = Object.keys(userDims).filter((k) => !found.has(k) && !elsewhere.has(k));
  const value = (name: string): Dim => {
    const user = userDims[name];
    if (user !== undefined) return user;
    const entry = found.get(name);
    if (entry && entry.value !== null) return entry.value;
    return name;
  };
  return {
    dims: [...found.values()],
    resolveParam: value,
    // An unset unnamed dim travels under its display name ("x[1]"), so what it blocks can name it.
    resolveUnnamed: (input, axis) => value(unnamedDimName(input, axis)),
    unusedUserDims,
  };
}

// ---------------------------------------------------------------------------------------------
// Weights

interface WeightStats {
  total: number;
  bytes: number;
  byDtype: Record<string, { count: number; bytes: number }>;
  /** op type → what nodes of that type make (Constant, ConstantOfShape, ...). */
  fromNodes: Record<string, ProducedParameters>;
  /** Precision bucket → bytes, for the precision verdict. */
  buckets: Map<string, number>;
}

const PRECISION_BUCKET: Record<number, Precision | 'other' | undefined> = {
  [DataType.FLOAT]: 'fp32',
  [DataType.DOUBLE]: 'fp32',
  [DataType.FLOAT16]: 'fp16',
  [DataType.BFLOAT16]: 'bf16',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'int8',
  [DataType.INT4]: 'int4',
  [DataType.UINT4]: 'int4',
};
/** Shape, index and mask tensors: constants, but not weights. */
const NOT_WEIGHTS = new Set<number>([DataType.INT64, DataType.INT32, DataType.BOOL, DataType.STRING, DataType.UNDEFINED]);

/**
 * Precision buckets decided by how tensors are used rather than by their storage type:
 * MatMulNBits / GatherBlockQuantized keep 2–8-bit weights packed in uint8, and the scales
 * and zero points of quantized weights belong to those weights (a 4-bit model with fp16
 * scales is a 4-bit model). Quantization parameters of activations are not weights.
 */
function usageBuckets(model: ModelProto): Map<string, string> {
  const buckets = new Map<string, string>();
  if (!model.graph) return buckets;
  const dtypes = new Map<string, number>();
  for (const { tensor } of tensorsOf(model)) if (tensor.name) dtypes.set(tensor.name, tensor.data_type ?? 0);
  const bucketOfType = (dataType: number | undefined): string | undefined => {
    const b = dataType === undefined ? undefined : PRECISION_BUCKET[dataType];
    return b === 'int8' || b === 'int4' ? b : undefined;
  };
  const assign = (names: (string | undefined)[], bucket: string | undefined) => {
    for (const name of names) if (name && dtypes.has(name) && !buckets.has(name)) buckets.set(name, bucket ?? 'exclude');
  };
  for (const { graph } of graphAndSubgraphs(model.graph)) {
    for (const node of graph.node ?? []) {
      const op = node.op_type ?? '';
      const input = node.input ?? [];
      if (op === 'MatMulNBits' || op === 'MatMulBnb4') {
        const bits = op === 'MatMulBnb4' ? 4 : attrInt(node, 'bits', 4);
        assign([input[1], input[2], input[3], input[4]], bits <= 4 ? 'int4' : 'int8');
      } else if (op === 'GatherBlockQuantized') {
        assign([input[0], input[1], input[2]], attrInt(node, 'bits', 4) <= 4 ? 'int4' : 'int8');
      } else if (op === 'DequantizeLinear' || op === 'QuantizeLinear') {
        // A constant quantized input is a weight; otherwise these are activation parameters.
        const quantized = op === 'DequantizeLinear' && input[0] && dtypes.has(input[0]) ? bucketOfType(dtypes.get(input[0])) : undefined;
        assign([input[1], input[2]], quantized);
      } else if (op === 'QLinearConv' || op === 'QLinearMatMul') {
        assign([input[4], input[5]], bucketOfType(dtypes.get(input[3] ?? '')));
        assign([input[1], input[2], input[6], input[7]], undefined);
      } else if (op === 'MatMulInteger' || op === 'ConvInteger') {
        assign([input[3]], bucketOfType(dtypes.get(input[1] ?? '')));
        assign([input[2]], undefined);
      } else if (op === 'DynamicQuantizeMatMul') {
        assign([input[2], input[3]], bucketOfType(dtypes.get(input[1] ?? '')));
      }
    }
  }
  return buckets;
}

function weightStats(model: ModelProto, shapes: GraphShapes | null): WeightStats {
  const stats: WeightStats = { total: 0, bytes: 0, byDtype: {}, fromNodes: {}, buckets: new Map() };
  const byNode = (op: string, count: number, bytes: number, nodes: number) => {
    const entry = (stats.fromNodes[op] ??= { nodes: 0, count: 0, bytes: 0 });
    entry.nodes += nodes;
    entry.count += count;
    entry.bytes += bytes;
  };
  const usage = usageBuckets(model);
  const add = (dataType: number, count: number, bytes: number, name: string | undefined) => {
    const key = dtypeName(dataType);
    const entry = (stats.byDtype[key] ??= { count: 0, bytes: 0 });
    entry.count += count;
    entry.bytes += bytes;
    stats.total += count;
    stats.bytes += bytes;
    const byUsage = name ? usage.get(name) : undefined;
    if (byUsage === 'exclude' || (byUsage === undefined && NOT_WEIGHTS.has(dataType))) return;
    const bucket: string = byUsage ?? PRECISION_BUCKET[dataType] ?? 'other';
    stats.buckets.set(bucket, (stats.buckets.get(bucket) ?? 0) + bytes);
  };
  const tensorBytes = (dataType: number, count: number, strings: Uint8Array[] | null | undefined) =>
    dataType === DataType.STRING ? (strings ?? []).reduce((a, s) => a + s.length, 0) : (dtypeStorageBytes(dataType, count) ?? 0);

  for (const visit of tensorsOf(model)) {
    const { tensor, role, node } = visit;
    if ((role === 'attribute' || role === 'sparse-attribute') && node?.op_type !== 'Constant') continue;
    const dataType = tensor.data_type ?? DataType.UNDEFINED;
    const count = tensorElementCount(tensor);
    const bytes = tensorBytes(dataType, count, tensor.string_data);
    if (visit.sparsePart === 'indices') {
      // Sparse tensors: the stored values are the parameters; their indices only take space.
      stats.bytes += bytes;
      continue;
    }
    add(dataType, count, bytes, tensor.name ?? undefined);
    if (node?.op_type === 'Constant') byNode('Constant', count, bytes, 1);
  }
  // Constant nodes holding plain numbers in value_float(s) / value_int(s).
  if (model.graph) {
    for (const { graph } of graphAndSubgraphs(model.graph)) {
      for (const node of graph.node ?? []) {
        if (node.op_type !== 'Constant') continue;
        const floats = findAttribute(node, 'value_float') ? 1 : (findAttribute(node, 'value_floats')?.floats?.length ?? 0);
        const ints = findAttribute(node, 'value_int') ? 1 : (findAttribute(node, 'value_ints')?.ints?.length ?? 0);
        if (floats > 0) add(DataType.FLOAT, floats, floats * 4, undefined);
        if (ints > 0) add(DataType.INT64, ints, ints * 8, undefined);
        if (floats + ints > 0) byNode('Constant', floats + ints, floats * 4 + ints * 8, 1);
      }
    }
  }
  // Weights made from constants by ConstantOfShape and the like: in memory once the model runs.
  for (const produced of shapes ? producedTensors(shapes) : []) {
    const bytes = dtypeStorageBytes(produced.dtype, produced.count) ?? 0;
    add(produced.dtype, produced.count, bytes, undefined);
    byNode(produced.op, produced.count, bytes, 1);
  }
  return stats;
}

function precisionOf(stats: WeightStats, inputs: TensorInfo[]): Precision {
  const total = [...stats.buckets.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return inputs.some((i) => i.type === 'float16') ? 'fp16' : 'fp32';
  const [bucket, bytes] = [...stats.buckets.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['other', 0];
  if (bytes / total >= 0.9 && bucket !== 'other') return bucket as Precision;
  return 'mixed';
}

// ---------------------------------------------------------------------------------------------
// Operators

const QUANT_KINDS: Record<string, QuantizationKind> = {
  QuantizeLinear: 'qdq',
  DequantizeLinear: 'qdq',
  MatMulInteger: 'integer-ops',
  ConvInteger: 'integer-ops',
  DynamicQuantizeLinear: 'integer-ops',
  DynamicQuantizeMatMul: 'integer-ops',
  MatMulIntegerToFloat: 'integer-ops',
  DynamicQuantizeLSTM: 'integer-ops',
  QLinearConv: 'qlinear',
  QLinearMatMul: 'qlinear',
  QGemm: 'qlinear',
  QAttention: 'qlinear',
  QEmbedLayerNormalization: 'qlinear',
  MatMulNBits: 'matmulnbits',
  MatMulBnb4: 'matmulnbits',
  GatherBlockQuantized: 'matmulnbits',
};

function quantKind(op: string): QuantizationKind | undefined {
  const direct = QUANT_KINDS[op];
  if (direct) return direct;
  // com.microsoft's QLinearAdd, QLinearMul, QLinearSigmoid, QLinearConcat, ...
  if (op.startsWith('QLinear')) return 'qlinear';
  return undefined;
}

function listFormat(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// Compute

interface ComputeFacts {
  macs: MacSummary;
  /** Why MACs are unknown, in words and for programs; null when they are known. */
  macsReason: string | null;
  macsUnknown: MacsUnknown | null;
  /** Propagated shapes; null when propagation failed. */
  shapes: GraphShapes | null;
}

const NO_MACS: MacSummary = { macs: null, byOp: {}, unknown: {}, notModelled: {}, blockers: [], range: null, controlFlow: [], issues: [] };

/**
 * MACs from propagated shapes, and the warnings that go with them: why they are unknown, what
 * they leave out, which dimensions still need a value.
 */
function countCompute(graph: GraphProto, plan: DimPlan, defaultOpset: number | undefined, warnings: string[]): ComputeFacts {
  let macs: MacSummary = NO_MACS;
  let shapes: GraphShapes | null = null;
  let failure: string | undefined;
  try {
    shapes = inferShapes(graph, {
      resolveParam: plan.resolveParam,
      resolveUnnamed: plan.resolveUnnamed,
      ...(defaultOpset !== undefined ? { opset: defaultOpset } : {}),
    });
    macs = countMacs(shapes);
  } catch (error) {
    // A model our rules trip over still gets every other fact; compute is just unknown. One that
    // breaks ONNX's rules (a zero stride: infinite MACs) is refused, naming the node.
    if (error instanceof InferscopeError && error.code === 'MODEL_INVALID') throw error;
    failure = error instanceof Error ? error.message : String(error);
  }
  const unset = plan.dims.filter((d) => d.value === null).map((d) => d.name);
  let explained: { reason: string; unknown: MacsUnknown } | null = null;
  if (macs.macs === null) {
    explained = explainUnknownMacs(macs, unset, failure);
    warnings.push(explained.reason);
  }
  if (Object.keys(macs.notModelled).length > 0) {
    warnings.push(`MACs leave out ${listFormat(macs.notModelled)} (attention kernels are not modelled).`);
  }
  if (unset.length > 0 && macs.macs !== null) {
    warnings.push(
      `Dimension${unset.length === 1 ? '' : 's'} ${unset.map((n) => `"${n}"`).join(', ')} ha${unset.length === 1 ? 's' : 've'} ` +
        `no value; set ${listWords(unset.map((n) => dimSetting(n)))} to benchmark.`,
    );
  }
  return { macs, macsReason: explained?.reason ?? null, macsUnknown: explained?.unknown ?? null, shapes };
}

// ---------------------------------------------------------------------------------------------
// The model as a whole

/** Graph inputs that are really inputs: initializers listed as inputs too are constants a run may override. */
function realGraphInputs(graph: GraphProto, warnings: string[]): ValueInfoProto[] {
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const s of graph.sparse_initializer ?? []) initializerNames.add(s.values?.name ?? '');
  const realInputs = (graph.input ?? []).filter((vi) => !initializerNames.has(vi.name ?? ''));
  const overridable = (graph.input ?? []).length - realInputs.length;
  if (overridable > 0) {
    warnings.push(
      `${overridable} initializer${overridable === 1 ? ' is' : 's are'} also listed as graph ` +
        `input${overridable === 1 ? '' : 's'}: they can be overridden at run time, which keeps onnxruntime from folding them as constants.`,
    );
  }
  return realInputs;
}

interface OperatorCensus {
  opHistogram: Record<string, number>;
  kinds: Set<QuantizationKind>;
  nodeCount: number;
}

/** Operators, subgraphs included, and the kinds of quantization they show. */
function operatorCensus(graph: GraphProto): OperatorCensus {
  const opHistogram: Record<string, number> = {};
  const kinds = new Set<QuantizationKind>();
  let nodeCount = 0;
  for (const { graph: g } of graphAndSubgraphs(graph)) {
    for (const node of g.node ?? []) {
      nodeCount++;
      const key = opKey(node);
      opHistogram[key] = (opHistogram[key] ?? 0) + 1;
      const kind = quantKind(node.op_type ?? '');
      if (kind) kinds.add(kind);
    }
  }
  return { opHistogram, kinds, nodeCount };
}

/** What onnxruntime 1.30 cannot load, and a model that imports no operator set. */
function versionWarnings(irVersion: number, defaultOpset: number | undefined, opsetCount: number): string[] {
  const warnings: string[] = [];
  if (irVersion > ORT_MAX_IR_VERSION) {
    warnings.push(`IR version ${irVersion} is newer than onnxruntime 1.30 loads (up to ${ORT_MAX_IR_VERSION}).`);
  }
  if (defaultOpset !== undefined && defaultOpset > ORT_MAX_OPSET) {
    warnings.push(`Opset ${defaultOpset} is newer than onnxruntime 1.30 supports (up to ${ORT_MAX_OPSET}).`);
  }
  if (defaultOpset === undefined && opsetCount === 0) warnings.push('The model imports no operator set.');
  return warnings;
}

export function inspectLoaded(loaded: LoadedModel, options: InspectOptions = {}): ModelInfo {
  const model = loaded.model;
  const graph: GraphProto = model.graph ?? {};
  const warnings: string[] = [];

  const opsets = (model.opset_import ?? []).map((o) => ({
    domain: o.domain ? o.domain : 'ai.onnx',
    version: int64ToNumber(o.version),
  }));
  const defaultOpset = opsets.find((o) => o.domain === 'ai.onnx')?.version;

  const realInputs = realGraphInputs(graph, warnings);
  const inputs = realInputs.map(tensorInfo);
  const outputs = (graph.output ?? []).map(tensorInfo);

  const userDims = options.dims ?? {};
  const plan = planDims(graph, realInputs, userDims);
  for (const name of plan.unusedUserDims) warnings.push(`The model has no dimension named "${name}"; that value was ignored.`);

  const { opHistogram, kinds, nodeCount } = operatorCensus(graph);
  if ((model.functions ?? []).length > 0) {
    warnings.push(
      `The model defines ${model.functions?.length} local function${model.functions?.length === 1 ? '' : 's'}; calls to them ` +
        `are counted as single operators and their compute is not included in MACs.`,
    );
  }

  const { macs, macsReason, macsUnknown, shapes } = countCompute(graph, plan, defaultOpset, warnings);

  // Weights and precision.
  const stats = weightStats(model, shapes);
  const precision = precisionOf(stats, inputs);
  const quantization = [...kinds].sort();
  const quantized = quantization.length > 0 || precision === 'int8' || precision === 'int4';

  const irVersion = int64ToNumber(model.ir_version);
  warnings.push(...versionWarnings(irVersion, defaultOpset, opsets.length));

  const metadata: Record<string, string> = {};
  for (const entry of model.metadata_props ?? []) metadata[entry.key ?? ''] = entry.value ?? '';

  return {
    name: basename(loaded.path),
    path: loaded.path,
    sizeBytes: loaded.sizeBytes,
    externalDataBytes: loaded.externalData.reduce((a, f) => a + f.fileBytes, 0),
    irVersion,
    opsets,
    producer: { name: model.producer_name ?? '', version: model.producer_version ?? '' },
    graphName: graph.name ?? '',
    inputs,
    outputs,
    parameters: { total: stats.total, bytes: stats.bytes, byDtype: stats.byDtype, fromNodes: stats.fromNodes },
    opHistogram,
    nodeCount,
    externalData: loaded.externalData.map((f) => ({ location: f.location, bytes: f.bytes, tensors: f.tensors })),
    quantized,
    quantization,
    precision,
    metadata,
    macs: macs.macs,
    macsReason,
    macsUnknown,
    macsRange: macs.range,
    macsControlFlow: macs.controlFlow.map(({ node, op, counted, basis, branches, iterations, note }) => ({
      node,
      op,
      counted,
      basis,
      branches,
      iterations,
      note,
    })),
    macsByOp: macs.byOp,
    flops: macs.macs === null ? null : 2 * macs.macs,
    dims: plan.dims,
    warnings,
  };
}
