/**
 * What a rewrite of one node works with when Inferscope lifts an old model to opset 13: the node
 * itself (a copy, edited in place), the graph it sits in, the nodes to put before and after it,
 * constants to add as initializers, what shape inference learned about its inputs, and the
 * coded refusal for a node whose meaning cannot be kept.
 */
import { InferscopeError } from '../../../shared/errors';
import { float32ToFloat16Bits } from '../../quantize/math';
import type { NameAllocator } from '../build';
import { AttributeType, DataType, int64ToBigInt } from '../codec';
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from '../codec';
import { dtypeName } from '../dtypes';
import type { NodeShapes, ValueShape } from '../shapes';
import { makeTensor } from '../tensor';

/** One converted node, in words ("min/max attributes → inputs"). */
export interface UpgradeChange {
  node: string;
  op: string;
  what: string;
}

/** The state of one graph (the main graph or an If/Loop/Scan body) while its nodes are rewritten. */
export interface GraphEdit {
  graph: GraphProto;
  names: NameAllocator;
  /** Values read in this graph: node inputs, reads from inside bodies, graph outputs. */
  used: Set<string>;
  /** Initializers the rewrites add to this graph. */
  added: TensorProto[];
  /** What shape inference learned about each node (nodes it could not reach are missing). */
  shapes: Map<NodeProto, NodeShapes>;
}

export class NodeEdit {
  /** Nodes that run before the rewritten node, in order. */
  readonly before: NodeProto[] = [];
  /** Nodes that run after it (a Reshape back to the original shape). */
  readonly after: NodeProto[] = [];
  private readonly notes: string[] = [];

  constructor(
    readonly node: NodeProto,
    readonly graph: GraphEdit,
    /** The model's default-domain opset before the upgrade. */
    readonly opset: number,
  ) {}

  get op(): string {
    return this.node.op_type ?? '';
  }

  /** How messages name the node: its name, else its op and first output. */
  get label(): string {
    return this.node.name || `${this.op} → ${(this.node.output ?? [])[0] ?? '?'}`;
  }

  /** Throws the coded refusal: "Node 'bn1' (BatchNormalization, opset 7) uses spatial=0, which …". */
  refuse(why: string): never {
    throw new InferscopeError('UPGRADE_UNSUPPORTED', `Node '${this.label}' (${this.op}, opset ${this.opset}) ${why}.`, {
      detail: this.label,
    });
  }

  /** Records what was changed, for the plan shown to the user. */
  note(what: string): void {
    this.notes.push(what);
  }

  /** The plan's line for this node, if anything was changed. */
  change(originalOp: string): UpgradeChange | undefined {
    if (this.notes.length === 0) return undefined;
    return { node: this.label, op: originalOp, what: this.notes.join('; ') };
  }

  // -------------------------------------------------------------------------------------------
  // Attributes

  attribute(name: string): AttributeProto | undefined {
    return (this.node.attribute ?? []).find((a) => a.name === name);
  }

  /** Removes an attribute and returns it (undefined when the node did not have it). */
  take(name: string): AttributeProto | undefined {
    const found = this.attribute(name);
    if (found) this.node.attribute = (this.node.attribute ?? []).filter((a) => a !== found);
    return found;
  }

  /** An INT attribute's value, exact. */
  int64Of(attribute: AttributeProto): bigint {
    return int64ToBigInt(attribute.i);
  }

  /** The INT attribute's value, or undefined. */
  int(name: string): number | undefined {
    const a = this.attribute(name);
    return a && a.i !== undefined && a.i !== null ? Number(int64ToBigInt(a.i)) : undefined;
  }

  setInt(name: string, value: number): void {
    this.take(name);
    this.node.attribute = [...(this.node.attribute ?? []), { name, type: AttributeType.INT, i: value }];
  }

  setString(name: string, value: string): void {
    this.take(name);
    this.node.attribute = [...(this.node.attribute ?? []), { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) }];
  }

  // -------------------------------------------------------------------------------------------
  // Inputs and outputs

  input(index: number): string {
    return (this.node.input ?? [])[index] ?? '';
  }

  /** Sets input `index`, filling skipped optional inputs with ''. */
  setInput(index: number, name: string): void {
    const inputs = [...(this.node.input ?? [])];
    while (inputs.length < index) inputs.push('');
    inputs[index] = name;
    this.node.input = inputs;
  }

  /** What shape inference knows about input `index`. */
  inputShape(index: number): ValueShape | undefined {
    return this.graph.shapes.get(this.node)?.inputs[index];
  }

  /** The input's rank when known. */
  inputRank(index: number): number | undefined {
    return this.inputShape(index)?.shape?.length;
  }

  /** True when something in the graph (a node, a body, a graph output) reads output `index`. */
  outputUsed(index: number): boolean {
    const name = (this.node.output ?? [])[index];
    return !!name && this.graph.used.has(name);
  }

  /** Drops the outputs from `count` on (none may be read), with any value_info that described them. */
  keepOutputs(count: number): void {
    const dropped = new Set((this.node.output ?? []).slice(count).filter(Boolean));
    this.node.output = (this.node.output ?? []).slice(0, count);
    if (dropped.size > 0 && this.graph.graph.value_info) {
      this.graph.graph.value_info = this.graph.graph.value_info.filter((v) => !dropped.has(v.name ?? ''));
    }
  }

  // -------------------------------------------------------------------------------------------
  // New names, nodes and constants

  /** A name no one in the model uses, prefixed by the node's name. */
  fresh(suffix: string): string {
    const base = this.node.name || `${this.op}_${(this.node.output ?? [])[0] ?? 'node'}`;
    return this.graph.names.fresh(`${base}_${suffix}`);
  }

  /** A node to run before this one; returns its single output. */
  addBefore(opType: string, inputs: readonly string[], suffix: string, attributes: AttributeProto[] = []): string {
    const output = this.fresh(`${suffix}_output`);
    const node: NodeProto = { name: this.fresh(suffix), op_type: opType, input: [...inputs], output: [output] };
    if (attributes.length > 0) node.attribute = attributes;
    this.before.push(node);
    return output;
  }

  /** An int64 initializer (exact beyond 2^53: Slice's "to the end" is INT64_MAX). */
  int64Constant(suffix: string, values: readonly (number | bigint)[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh(suffix);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.graph.added.push(makeTensor(name, DataType.INT64, dims, data));
    return name;
  }

  /** A float scalar initializer of the given element type (float, double or float16). */
  floatScalar(suffix: string, dataType: number, value: number, purpose: string): string {
    const name = this.fresh(suffix);
    let tensor: TensorProto;
    if (dataType === DataType.FLOAT) tensor = makeTensor(name, DataType.FLOAT, [], new Float32Array([value]));
    else if (dataType === DataType.DOUBLE) tensor = makeTensor(name, DataType.DOUBLE, [], new Float64Array([value]));
    else if (dataType === DataType.FLOAT16) tensor = makeTensor(name, DataType.FLOAT16, [], new Uint16Array([float32ToFloat16Bits(value)]));
    else if (!dataType) this.refuse(`needs ${purpose}, but the element type of its input is unknown`);
    else this.refuse(`needs ${purpose} for a ${dtypeName(dataType)} input, which this operator does not take at this opset`);
    this.graph.added.push(tensor);
    return name;
  }

  /** A float32 1-D initializer. */
  floatConstant(suffix: string, values: readonly number[]): string {
    const name = this.fresh(suffix);
    this.graph.added.push(makeTensor(name, DataType.FLOAT, [values.length], new Float32Array(values)));
    return name;
  }
}

/** An INTS attribute as exact int64 values. */
export function intsOf(attribute: AttributeProto): bigint[] {
  return (attribute.ints ?? []).map((v) => int64ToBigInt(v));
}
