/**
 * The fp16 rewrite itself (following ONNX Runtime's transformers/float16.py): float32 weights and
 * values become float16, except around nodes that must stay fp32, with one Cast per (value,
 * target) in the graph of the node that needs it, subgraphs included. Which nodes stay fp32 for
 * range reasons (constants or activations float16 cannot hold) is decided before, and given here
 * by node name with the reason.
 */
import { attrInt, findAttribute } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/codec';
import { tensorDims, tensorElementCount } from '../onnx/tensor';
import type { ExternalDataReader } from '../onnx/tensor';
import { cloneMessage } from '../onnx/walk';
import { NodeSelection, skip, warnUnknownNames, type Workspace } from './common';
import type { ElementTypes } from './element-types';
import { removeRedundantCasts } from './fp16-casts';
import { allGraphs, attrs, graphOutputNames, makeNode, removeInitializerInputs, subgraphsOf } from './graph';
import { convertToFloat16Into, type Float16Conversion } from './math';
import { forEachFloatChunk, ownedTensor } from './tensors';
import type { TransformOptions } from './types';

/** float16.py's DEFAULT_OP_BLOCK_LIST: operators without fp16 kernels or that need fp32 range. */
export const DEFAULT_FP16_BLOCK_LIST: readonly string[] = [
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'RandomUniformLike',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'TreeEnsemble',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
];

/** Integer-arithmetic operators of already-quantized models: their float scales stay float32. */
export const QUANTIZED_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearConv',
  'QLinearMatMul',
]);

/** Contrib operators known to take float16 activations and scales (4-bit weights in q4f16). */
const FP16_CONTRIB_OPS = new Set(['com.microsoft:MatMulNBits']);

/** Inputs that keep float32 whatever the node runs in (ONNX types them separately). */
export const FLOAT32_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [1, 2],
};

/** Inputs of any type: no Cast needed in front of them. */
export const ANY_TYPE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Cast: [0],
  Shape: [0],
  Size: [0],
};

/** Outputs that stay float32 when the node runs in fp16 (LayerNormalization's Mean and InvStdDev are type U). */
const FLOAT32_OUTPUTS: Readonly<Record<string, readonly number[]>> = {
  LayerNormalization: [1, 2],
};

/** Attributes naming an output element type. */
const DTYPE_OPS = new Set(['EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'Bernoulli']);

type Precision = 'fp16' | 'fp32';

export interface Fp16Settings {
  keepIoTypes: boolean;
  blockList: Set<string>;
  /** Nodes kept in fp32 by name, with the reason the report gives (constants or activations out of fp16's range). */
  keep: ReadonlyMap<string, string>;
}

/** Whether input `slot` of a node running in fp16 is read as float16 (not kept float32, not type-agnostic). */
export function readsAsFloat16(node: NodeProto, slot: number): boolean {
  if (!isDefaultDomain(node)) return true;
  const op = node.op_type ?? '';
  return !(FLOAT32_INPUTS[op]?.includes(slot) ?? false) && !(ANY_TYPE_INPUTS[op]?.includes(slot) ?? false);
}

function nodeKey(node: NodeProto): string {
  return `${node.domain || ''}:${node.op_type ?? ''}`;
}

function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

export class Fp16Converter {
  private readonly precision = new Map<string, Precision>();
  /** Nodes that run in fp16 (everything else keeps fp32). */
  private readonly converted = new Set<NodeProto>();
  private readonly selection: NodeSelection;
  private readonly external: ExternalDataReader | undefined;
  private clampedTiny = 0;
  private clampedHuge = 0;

  constructor(
    private readonly ws: Workspace,
    private readonly types: ElementTypes,
    private readonly settings: Fp16Settings,
    options: TransformOptions,
  ) {
    this.selection = new NodeSelection(options);
    this.external = options.external;
  }

  run(): void {
    const main = this.ws.model.graph as GraphProto;
    this.decide(main, true);
    this.convertInitializers();
    for (const input of main.input ?? []) {
      if (!input.name || this.types.get(input.name) !== DataType.FLOAT) continue;
      if (this.settings.keepIoTypes) this.precision.set(input.name, 'fp32');
      else {
        this.precision.set(input.name, 'fp16');
        setElemType(input, DataType.FLOAT16);
      }
    }
    this.process(main);
    this.fixMainOutputs(main);
    this.updateDeclaredTypes();
    removeRedundantCasts(this.ws.model, this.types);
    warnUnknownNames(this.selection, this.ws.model, this.ws.report);
    if (this.clampedTiny > 0) {
      this.ws.report.warnings.push(
        `${this.clampedTiny} weight values were too small for float16 and became ±5.96e-8 (weights this small add next to nothing; ` +
          `small constants a result depends on are kept in fp32 instead).`,
      );
    }
    // Values beyond the half range keep their readers in fp32 (fp16-constants.ts); none should get here.
    if (this.clampedHuge > 0) this.ws.report.warnings.push(`${this.clampedHuge} values beyond ±65504 were clamped there.`);
  }

  /** Names of the nodes that run in fp16. */
  convertedNames(): Set<string> {
    return new Set([...this.converted].map((node) => node.name ?? ''));
  }

  /** Which nodes run in fp16: not blocked, not excluded, with known input types, inside a converted body. */
  private decide(graph: GraphProto, context: boolean): void {
    for (const node of graph.node ?? []) {
      let reason: string | undefined;
      if (!context) reason = 'inside a body kept in fp32';
      else if (this.settings.blockList.has(node.op_type ?? '')) reason = 'on the fp16 block list';
      else if (QUANTIZED_OPS.has(node.op_type ?? '') && isDefaultDomain(node)) reason = 'quantized operator: its scales stay float32';
      else if (!isDefaultDomain(node) && !FP16_CONTRIB_OPS.has(nodeKey(node)))
        reason = `${node.domain} operator without a known fp16 kernel`;
      else if ((node.input ?? []).some((name) => name && !this.types.has(name))) reason = 'an input of unknown element type';
      else reason = this.selection.refusal(node) ?? this.settings.keep.get(node.name ?? '');
      const converted = reason === undefined;
      if (converted) this.converted.add(node);
      else if (context && touchesFloat(node, this.types)) skip(this.ws.report, node, reason as string);
      for (const sub of subgraphsOf(node)) this.decide(sub, converted);
    }
  }

  /** What precision input `slot` of `node` needs; undefined when any will do. */
  private expected(node: NodeProto, slot: number): Precision | undefined {
    const op = node.op_type ?? '';
    if (isDefaultDomain(node) && ANY_TYPE_INPUTS[op]?.includes(slot)) return undefined;
    if (!this.converted.has(node)) return 'fp32';
    if (isDefaultDomain(node) && FLOAT32_INPUTS[op]?.includes(slot)) return 'fp32';
    return 'fp16';
  }

  /** Weights become fp16 when every reader runs in fp16; shared with an fp32 reader they stay fp32 (ORT folds the Cast). */
  private convertInitializers(): void {
    const wants = new Map<string, Set<Precision>>();
    for (const { graph } of allGraphs(this.ws.model)) {
      for (const node of graph.node ?? []) {
        (node.input ?? []).forEach((name, slot) => {
          if (!name) return;
          const e = this.expected(node, slot);
          if (!e) return;
          let set = wants.get(name);
          if (!set) wants.set(name, (set = new Set()));
          set.add(e);
        });
      }
    }
    const converted = new Set<string>();
    for (const { graph } of allGraphs(this.ws.model)) {
      const outputs = graphOutputNames(graph);
      graph.initializer = (graph.initializer ?? []).map((tensor) => {
        const name = tensor.name ?? '';
        if (tensor.data_type !== DataType.FLOAT) return tensor;
        const want = wants.get(name);
        if (!want || want.has('fp32') || !want.has('fp16') || outputs.has(name)) {
          this.precision.set(name, 'fp32');
          return tensor;
        }
        this.precision.set(name, 'fp16');
        converted.add(name);
        return this.toFloat16Tensor(tensor);
      });
    }
    // A converted weight no longer matches a float32 graph-input declaration of the same name.
    if (this.ws.model.graph) removeInitializerInputs(this.ws.model.graph, converted);
  }

  private toFloat16Tensor(tensor: TensorProto): TensorProto {
    const converted: Float16Conversion = { bits: new Uint16Array(tensorElementCount(tensor)), clampedTiny: 0, clampedHuge: 0 };
    forEachFloatChunk(tensor, this.external, (chunk, offset) => convertToFloat16Into(chunk, converted, offset));
    this.clampedTiny += converted.clampedTiny;
    this.clampedHuge += converted.clampedHuge;
    const out = ownedTensor(tensor.name ?? '', DataType.FLOAT16, tensorDims(tensor), converted.bits);
    if (!tensor.name) delete out.name;
    return out;
  }

  private process(graph: GraphProto, owner?: NodeProto): void {
    const ownerConverted = owner ? this.converted.has(owner) : false;
    if (owner) {
      // Loop and Scan bodies take the carried values in the precision the node now passes them.
      for (const input of graph.input ?? []) {
        if (!input.name || this.types.get(input.name) !== DataType.FLOAT) continue;
        this.precision.set(input.name, ownerConverted ? 'fp16' : 'fp32');
        if (ownerConverted) setElemType(input, DataType.FLOAT16);
      }
    }
    const casts = new Map<string, string>();
    const out: NodeProto[] = [];
    const castTo = (name: string, target: Precision): string => {
      const key = `${name}|${target}`;
      let cast = casts.get(key);
      if (!cast) {
        cast = this.ws.names.fresh(`${name}_${target}`);
        out.push(
          makeNode('Cast', [name], [cast], this.ws.names.fresh(`${name}_to_${target}`), [
            attrs.int('to', target === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT),
          ]),
        );
        this.precision.set(cast, target);
        this.types.set(cast, DataType.FLOAT);
        casts.set(key, cast);
      }
      return cast;
    };
    for (const node of graph.node ?? []) {
      const converted = this.converted.has(node);
      for (const a of node.attribute ?? []) {
        if (a.g) this.process(a.g, node);
        for (const g of a.graphs ?? []) this.process(g, node);
      }
      const inputs = node.input ?? [];
      inputs.forEach((name, slot) => {
        if (!name || this.types.get(name) !== DataType.FLOAT) return;
        const want = this.expected(node, slot);
        const have = this.precision.get(name) ?? 'fp32';
        if (want && want !== have) inputs[slot] = castTo(name, want);
      });
      if (converted) {
        this.convertAttributes(node);
        this.ws.report.nodesQuantized += touchesFloat(node, this.types) ? 1 : 0;
      }
      (node.output ?? []).forEach((name, slot) => {
        if (!name) return;
        const type = this.types.get(name);
        if (type !== DataType.FLOAT) return;
        const keeps32 = FLOAT32_OUTPUTS[node.op_type ?? '']?.includes(slot) ?? false;
        this.precision.set(name, converted && !keeps32 ? 'fp16' : 'fp32');
      });
      out.push(node);
    }
    if (owner) {
      // Body outputs must match what the node declares to its graph: fp16 exactly when the node converted.
      for (const output of graph.output ?? []) {
        const name = output.name ?? '';
        if (this.types.get(name) !== DataType.FLOAT) continue;
        const want: Precision = ownerConverted ? 'fp16' : 'fp32';
        if ((this.precision.get(name) ?? 'fp32') !== want) output.name = castTo(name, want);
        setElemType(output, want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT);
      }
    }
    graph.node = out;
  }

  private convertAttributes(node: NodeProto): void {
    const op = node.op_type ?? '';
    node.attribute = (node.attribute ?? []).map((a) => {
      if (a.t && a.t.data_type === DataType.FLOAT) {
        const copy = cloneMessage(a);
        copy.t = this.toFloat16Tensor(a.t);
        return copy;
      }
      if (op === 'Cast' && a.name === 'to' && Number(a.i) === DataType.FLOAT) return attrs.int('to', DataType.FLOAT16);
      if (DTYPE_OPS.has(op) && a.name === 'dtype' && Number(a.i) === DataType.FLOAT) return attrs.int('dtype', DataType.FLOAT16);
      return a;
    });
    // RandomNormal/RandomUniform default to float32 output when dtype is absent.
    if ((op === 'RandomNormal' || op === 'RandomUniform') && !findAttribute(node, 'dtype')) {
      node.attribute = [...(node.attribute ?? []), attrs.int('dtype', DataType.FLOAT16)];
    }
    // A Cast to float16 produces float16; keep the type map in step for the cleanup pass.
    if (op === 'Cast' && attrInt(node, 'to') === DataType.FLOAT16) {
      for (const o of node.output ?? []) if (o) this.precision.set(o, 'fp16');
    }
  }

  /**
   * Main-graph outputs keep their names and, with keepIoTypes, their float32 type: the producer
   * writes an internal name and a Cast back to float32 writes the output.
   */
  private fixMainOutputs(main: GraphProto): void {
    for (const output of main.output ?? []) {
      const name = output.name ?? '';
      if (this.types.get(name) !== DataType.FLOAT) continue;
      const want: Precision = this.settings.keepIoTypes ? 'fp32' : 'fp16';
      const have = this.precision.get(name) ?? 'fp32';
      if (have === want) {
        setElemType(output, want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT);
        continue;
      }
      const internal = this.ws.names.fresh(`${name}_${have}`);
      renameValue(this.ws.model, name, internal);
      this.precision.set(internal, have);
      this.types.set(internal, DataType.FLOAT);
      main.node = [
        ...(main.node ?? []),
        makeNode('Cast', [internal], [name], this.ws.names.fresh(`${name}_to_${want}`), [
          attrs.int('to', want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT),
        ]),
      ];
      this.precision.set(name, want);
      setElemType(output, want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT);
    }
  }

  /** value_info entries follow the new types; the type map too (for the Cast cleanup). */
  private updateDeclaredTypes(): void {
    for (const [name, p] of this.precision)
      if (p === 'fp16' && this.types.get(name) === DataType.FLOAT) this.types.set(name, DataType.FLOAT16);
    for (const { graph } of allGraphs(this.ws.model)) {
      for (const info of graph.value_info ?? []) {
        if (info.name && info.type?.tensor_type?.elem_type === DataType.FLOAT && this.precision.get(info.name) === 'fp16') {
          setElemType(info, DataType.FLOAT16);
        }
      }
    }
  }
}

function touchesFloat(node: NodeProto, types: ElementTypes): boolean {
  return [...(node.input ?? []), ...(node.output ?? [])].some((n) => n && types.get(n) === DataType.FLOAT);
}

function setElemType(info: { type?: { tensor_type?: { elem_type?: number | null } | null } | null }, type: number): void {
  if (info.type?.tensor_type) info.type.tensor_type.elem_type = type;
}

/** Rename a value everywhere it is written or read (never the main graph's declared outputs). */
function renameValue(model: ModelProto, from: string, to: string): void {
  for (const { graph, owner } of allGraphs(model)) {
    for (const node of graph.node ?? []) {
      node.input = (node.input ?? []).map((n) => (n === from ? to : n));
      node.output = (node.output ?? []).map((n) => (n === from ? to : n));
    }
    for (const info of graph.value_info ?? []) if (info.name === from) info.name = to;
    if (owner) for (const o of graph.output ?? []) if (o.name === from) o.name = to;
  }
}
