/**
 * Where static int8 puts its Q/DQ (docs/quantization.md#where-q-and-dq-go), worked out graph by graph
 * before anything is changed: the main graph and every If branch whose values calibration can
 * observe. Names are unique model-wide, so the tensors whose parameters follow another tensor, and
 * the fixed ranges, are kept in one place for all graphs.
 */
import { attrFloat, attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, NodeProto, TensorProto } from '../onnx/codec';
import { readTensorNumbers, tensorDims } from '../onnx/tensor';
import { skip, type NodeSelection } from './common';
import type { ElementTypes } from './element-types';
import { consumersOf, graphOutputNames, subgraphsOf, type GraphEntry, type ValueUse } from './graph';
import type { TensorRange } from './histogram';
import type { Magnified } from './static-sensitive';
import type { StaticSettings } from './static-settings';
import type { TransformReport } from './types';

export const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** Outputs hold a subset (or a rearrangement) of the input's values: they reuse its scale and zero point. */
export const SHARES_INPUT = new Set([
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Slice',
  'MaxPool',
  'Resize',
  'Pad',
  'TopK',
]);
/** Every float input and output is an activation with its own range. */
export const GENERIC = new Set(['Add', 'Mul', 'Sigmoid', 'Softmax', 'Concat', 'LeakyRelu', 'GlobalAveragePool', 'AveragePool']);
export const CLIPPING = new Set(['Relu', 'Clip']);
export const HANDLED = new Set([...WEIGHTED, ...SHARES_INPUT, ...GENERIC, ...CLIPPING]);

/**
 * Outputs whose range the operator fixes, whatever the inputs: never calibrated. A probability
 * calibrated on inputs that never make it large (a detector's score map on images without the
 * object) would otherwise clip every later output to that small range.
 */
export const FIXED_OUTPUT_RANGES: Readonly<Record<string, TensorRange>> = {
  Softmax: { min: 0, max: 1 },
  Sigmoid: { min: 0, max: 1 },
};

export interface WeightUse {
  node: NodeProto;
  slot: number;
  axis: number | undefined;
}

export interface BiasUse {
  node: NodeProto;
  slot: number;
  /** The activation whose scale multiplies the weight's. */
  activation: string;
  weightSlot: number;
  /** Gemm's beta, folded into the values. */
  factor: number;
}

/** Parameters that follow other tensors, for every graph of the model. */
export class SharedParameters {
  /** Output → the input whose scale and zero point it reuses. */
  readonly shares = new Map<string, string>();
  /** Relu/Clip input → output whose range it takes. */
  readonly rangeFromOutput = new Map<string, string>();
  readonly fixedRanges = new Map<string, TensorRange>();
}

/** A float initializer visible from a graph, and the graph that holds it. */
export interface VisibleInitializer {
  tensor: TensorProto;
  graph: GraphProto;
}

/**
 * The initializers a graph can read: its own, and those of enclosing graphs that no input or
 * node output of a nearer graph shadows.
 */
export function visibleInitializers(entry: GraphEntry): Map<string, VisibleInitializer> {
  const visible = new Map<string, VisibleInitializer>();
  const chain = [...entry.ancestors, entry.graph];
  chain.forEach((graph, depth) => {
    if (depth > 0) {
      for (const v of graph.input ?? []) if (v.name) visible.delete(v.name);
      for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) visible.delete(o);
    }
    for (const tensor of graph.initializer ?? []) if (tensor.name) visible.set(tensor.name, { tensor, graph });
  });
  return visible;
}

/** Which tensors of one graph get Q/DQ, and which nodes that makes quantized. */
export class QdqPlan {
  readonly activations = new Set<string>();
  /** Initializer inputs of GENERIC ops: quantized like activations, from their own values. */
  readonly constants = new Map<string, { node: NodeProto; slot: number }[]>();
  readonly weights: WeightUse[] = [];
  readonly biases: BiasUse[] = [];
  readonly removable = new Set<NodeProto>();
  readonly quantizedNodes = new Set<NodeProto>();
  /** Values written by this graph's own nodes. */
  readonly produced = new Set<string>();
  readonly initializers: Map<string, VisibleInitializer>;

  constructor(
    readonly entry: GraphEntry,
    private readonly types: ElementTypes,
    private readonly settings: StaticSettings,
    private readonly selection: NodeSelection,
    private readonly report: TransformReport,
    private readonly shared: SharedParameters,
    /** Nodes and values that stay float whatever the lists say, with the reason (static-sensitive.ts). */
    private readonly keepFloat: Magnified = { nodes: new Map(), values: new Map() },
  ) {
    this.initializers = visibleInitializers(entry);
    for (const node of entry.graph.node ?? []) for (const o of node.output ?? []) if (o) this.produced.add(o);
  }

  get graph(): GraphProto {
    return this.entry.graph;
  }

  /** Quantized MatMuls whose two inputs are both computed at run time (attention's QKᵀ and PV). */
  activationProducts(): string[] {
    return [...this.quantizedNodes]
      .filter((n) => n.op_type === 'MatMul' && (n.input ?? []).slice(0, 2).every((i) => this.activations.has(i)))
      .map((n) => n.name ?? '');
  }

  build(): void {
    const consumers = consumersOf(this.graph);
    const outputs = graphOutputNames(this.graph);
    for (const node of this.graph.node ?? []) this.markDirect(node);
    for (const node of this.graph.node ?? []) this.markFollowing(node, consumers, outputs);
  }

  private isFloat(name: string | undefined): name is string {
    return !!name && this.types.get(name) === DataType.FLOAT;
  }

  floatInitializer(name: string | undefined): TensorProto | undefined {
    if (!name) return undefined;
    const t = this.initializers.get(name)?.tensor;
    return t && t.data_type === DataType.FLOAT ? t : undefined;
  }

  private refused(node: NodeProto): boolean {
    const why = this.selection.refusal(node) ?? this.keepFloat.nodes.get(node) ?? this.readsFloatOnly(node);
    if (why) skip(this.report, node, why);
    return why !== undefined;
  }

  /** Why a node must stay float because a value it reads or writes must: a Q/DQ there would reach every reader. */
  private readsFloatOnly(node: NodeProto): string | undefined {
    for (const name of [...(node.input ?? []), ...(node.output ?? [])]) {
      const why = name ? this.keepFloat.values.get(name) : undefined;
      if (why) return `${name} stays float: it ${why.replace(/^its output /, '')}`;
    }
    return undefined;
  }

  private markDirect(node: NodeProto): void {
    const op = node.op_type ?? '';
    if ((node.domain && node.domain !== 'ai.onnx') || !(WEIGHTED.has(op) || GENERIC.has(op))) return;
    if (this.refused(node)) return;
    const [output] = node.output ?? [];
    if (!this.isFloat(output)) return;
    if (op === 'Conv' || op === 'ConvTranspose') {
      if (!this.markConv(node, output)) return;
    } else if (op === 'Gemm') {
      if (!this.markGemm(node, output)) return;
    } else if (op === 'MatMul') {
      this.markMatMul(node, output);
    } else {
      this.markGeneric(node, op);
    }
    this.quantizedNodes.add(node);
  }

  private markConv(node: NodeProto, output: string): boolean {
    const [x, w, b] = node.input ?? [];
    if (!this.isFloat(x) || !this.floatInitializer(w)) {
      skip(this.report, node, 'the weight is computed at run time');
      return false;
    }
    const group = attrInt(node, 'group', 1);
    const axis = !this.settings.perChannel ? undefined : node.op_type === 'Conv' ? 0 : group === 1 ? 1 : undefined;
    this.activations.add(x);
    this.weights.push({ node, slot: 1, axis });
    if (b && this.floatInitializer(b)) this.biases.push({ node, slot: 2, activation: x, weightSlot: 1, factor: 1 });
    this.activations.add(output);
    return true;
  }

  private markGemm(node: NodeProto, output: string): boolean {
    const [a, b, c] = node.input ?? [];
    if (!this.isFloat(a) || !this.isFloat(b)) return false;
    this.activations.add(a);
    const weight = this.floatInitializer(b);
    const transB = attrInt(node, 'transB', 0) === 1;
    if (weight) {
      const dims = tensorDims(weight);
      this.weights.push({ node, slot: 1, axis: this.settings.perChannel && dims.length === 2 ? (transB ? 0 : 1) : undefined });
      const columns = dims[transB ? 0 : 1];
      const bias = this.floatInitializer(c);
      if (bias && tensorDims(bias).length === 1 && tensorDims(bias)[0] === columns) {
        this.biases.push({ node, slot: 2, activation: a, weightSlot: 1, factor: attrFloat(node, 'beta', 1) });
      }
    } else {
      this.activations.add(b);
    }
    this.activations.add(output);
    return true;
  }

  private markMatMul(node: NodeProto, output: string): void {
    (node.input ?? []).forEach((name, slot) => {
      if (!this.isFloat(name)) return;
      const weight = this.floatInitializer(name);
      if (weight) {
        const perChannel = this.settings.perChannel && slot === 1 && tensorDims(weight).length === 2;
        this.weights.push({ node, slot, axis: perChannel ? 1 : undefined });
      } else {
        this.activations.add(name);
      }
    });
    this.activations.add(output);
  }

  private markGeneric(node: NodeProto, op: string): void {
    (node.input ?? []).forEach((name, slot) => {
      if (!this.isFloat(name)) return;
      if (this.floatInitializer(name)) {
        const uses = this.constants.get(name) ?? [];
        uses.push({ node, slot });
        this.constants.set(name, uses);
      } else {
        this.activations.add(name);
      }
    });
    for (const o of node.output ?? []) if (this.isFloat(o)) this.activations.add(o);
    const fixed = FIXED_OUTPUT_RANGES[op];
    const [output] = node.output ?? [];
    if (fixed && output) this.shared.fixedRanges.set(output, fixed);
  }

  /** Relu/Clip and data-movement ops follow a quantized input (one pass: nodes are in topological order). */
  private markFollowing(node: NodeProto, consumers: Map<string, ValueUse[]>, outputs: Set<string>): void {
    const op = node.op_type ?? '';
    if ((node.domain && node.domain !== 'ai.onnx') || !(SHARES_INPUT.has(op) || CLIPPING.has(op))) return;
    const [input] = node.input ?? [];
    const [output] = node.output ?? [];
    if (!input || !this.activations.has(input) || !this.isFloat(output)) return;
    if (this.refused(node)) return;
    this.activations.add(output);
    this.quantizedNodes.add(node);
    if (SHARES_INPUT.has(op)) {
      this.shared.shares.set(output, input);
      return;
    }
    // Only a value of this graph (not one a body reads from outside), read by this node alone, may
    // take the node's output range.
    const local = !this.entry.owner || this.produced.has(input);
    const onlyReader = local && (consumers.get(input) ?? []).length === 1 && !outputs.has(input);
    if (!onlyReader) return;
    this.shared.rangeFromOutput.set(input, output);
    // With asymmetric activations the Q of the input already clips below at 0: the node is
    // redundant, unless a body of another node reads its output (its readers there stay as they are).
    const readInBody = (consumers.get(output) ?? []).some((use) => use.input < 0);
    if (!outputs.has(output) && !readInBody && (op === 'Relu' || this.clipsAtZero(node))) this.removable.add(node);
  }

  private clipsAtZero(node: NodeProto): boolean {
    const minName = (node.input ?? [])[1];
    if (minName) {
      const t = this.initializers.get(minName)?.tensor;
      if (!t) return false;
      return readTensorNumbers(t)[0] === 0;
    }
    // Clip before opset 11 keeps min as an attribute; absent min means no lower bound.
    return (node.attribute ?? []).some((a) => a.name === 'min' && a.f === 0);
  }
}

/**
 * The first node on the way from the main graph to `entry` whose body calibration cannot observe (a
 * Loop or a Scan), or undefined when every body on the way is an If branch.
 */
export function unobservableOwner(entry: GraphEntry, owners: ReadonlyMap<GraphProto, NodeProto>): NodeProto | undefined {
  for (const graph of [...entry.ancestors.slice(1), entry.graph]) {
    const owner = owners.get(graph);
    if (owner && (owner.op_type !== 'If' || (owner.domain && owner.domain !== 'ai.onnx'))) return owner;
  }
  return undefined;
}

/** Every body of the model → the node that holds it. */
export function bodyOwners(entries: readonly GraphEntry[]): Map<GraphProto, NodeProto> {
  const owners = new Map<GraphProto, NodeProto>();
  for (const { graph } of entries) for (const node of graph.node ?? []) for (const sub of subgraphsOf(node)) owners.set(sub, node);
  return owners;
}
