/**
 * A small typed builder for ONNX graphs written in code: the sample zoo, tests, and the
 * quantizer's tests use it. What it guarantees, so callers don't have to:
 * every tensor is little-endian `raw_data` (scalars have `dims: []`), every attribute has its
 * `type`, every node/tensor/initializer name comes from one allocator shared with subgraphs,
 * and a node may only read values that already exist (so nodes come out topologically sorted).
 */
import { InferscopeError } from '../../shared/errors';
import { AttributeType, DataType, encodeModelProto } from './codec';
import type {
  AttributeProto,
  DimensionProto,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  TensorProto,
  ValueInfoProto,
} from './codec';

/** Element types by the names onnxruntime uses for tensors. */
export type ElementType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int4'
  | 'uint4'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

const DATA_TYPES: Record<ElementType, DataType> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
  float64: DataType.DOUBLE,
  int4: DataType.INT4,
  uint4: DataType.UINT4,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
  int32: DataType.INT32,
  uint32: DataType.UINT32,
  int64: DataType.INT64,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
  string: DataType.STRING,
};

export function dataTypeOf(type: ElementType): DataType {
  return DATA_TYPES[type];
}

/** A number is a fixed size, a string a symbolic one ("batch"), null a size nobody names. */
export type Dim = number | string | null;

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | readonly string[];

/** Which element types each kind of array may carry; the first is what it means by default. */
function elementTypesFor(data: TensorData): readonly ElementType[] {
  if (Array.isArray(data)) return ['string'];
  if (data instanceof Float32Array) return ['float32'];
  if (data instanceof Float64Array) return ['float64'];
  if (data instanceof Int8Array) return ['int8'];
  // Bit patterns of narrower types travel in the unsigned array of their storage width.
  if (data instanceof Uint8Array) return ['uint8', 'bool', 'int4', 'uint4'];
  if (data instanceof Int16Array) return ['int16'];
  if (data instanceof Uint16Array) return ['uint16', 'float16', 'bfloat16'];
  if (data instanceof Int32Array) return ['int32'];
  if (data instanceof Uint32Array) return ['uint32'];
  if (data instanceof BigInt64Array) return ['int64'];
  if (data instanceof BigUint64Array) return ['uint64'];
  throw misuse('unsupported tensor data array');
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of the array's bytes in little-endian order, whatever the host's order. */
function littleEndianBytes(data: Exclude<TensorData, readonly string[]>): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  const width = data.BYTES_PER_ELEMENT;
  if (HOST_IS_LITTLE_ENDIAN || width === 1) return bytes;
  for (let at = 0; at < bytes.length; at += width) bytes.subarray(at, at + width).reverse();
  return bytes;
}

function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw misuse(`tensor dimension ${d} is not a non-negative integer`);
    count *= d;
  }
  return count;
}

const utf8 = new TextEncoder();

const builtTensors = new WeakSet<object>();
const builtGraphs = new WeakSet<object>();

/**
 * A TensorProto holding `data` with shape `dims` (`[]` for a scalar). `type` picks a narrower
 * meaning for the same storage: 'bool' for a Uint8Array, 'float16' for a Uint16Array of bit
 * patterns, 'int4'/'uint4' for a Uint8Array of packed nibbles (first element in the low nibble).
 */
export function tensor(name: string, data: TensorData, dims: readonly number[], type?: ElementType): TensorProto {
  const allowed = elementTypesFor(data);
  const elementType = type ?? allowed[0];
  if (elementType === undefined || !allowed.includes(elementType)) {
    throw misuse(`tensor ${name}: ${type ?? '?'} data cannot be stored in this array (expected ${allowed.join(' or ')})`);
  }
  const count = elementCount(dims);
  const stored = elementType === 'int4' || elementType === 'uint4' ? Math.ceil(count / 2) : count;
  if (data.length !== stored) {
    throw misuse(`tensor ${name}: shape [${dims.join(', ')}] needs ${stored} stored values, got ${data.length}`);
  }
  const proto: TensorProto = { dims: [...dims], data_type: DATA_TYPES[elementType] };
  // Tensors inside Constant attributes carry no name of their own.
  if (name) proto.name = name;
  if (Array.isArray(data)) proto.string_data = data.map((s) => utf8.encode(s));
  else proto.raw_data = littleEndianBytes(data as Exclude<TensorData, readonly string[]>);
  builtTensors.add(proto);
  return proto;
}

export function valueInfo(name: string, type: ElementType, shape?: readonly Dim[]): ValueInfoProto {
  const tensorType: NonNullable<NonNullable<ValueInfoProto['type']>['tensor_type']> = { elem_type: DATA_TYPES[type] };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d): DimensionProto => {
        if (d === null) return {};
        if (typeof d === 'string') return { dim_param: d };
        if (!Number.isInteger(d) || d < 0) throw misuse(`${name}: dimension ${d} is not a non-negative integer`);
        return { dim_value: d };
      }),
    };
  }
  return { name, type: { tensor_type: tensorType } };
}

// ---------------------------------------------------------------------------------------------
// Attributes

const ATTRIBUTE = Symbol('onnx attribute');

/** An attribute whose ONNX type is spelled out, for values a plain JS value can't tell apart. */
export interface TypedAttribute {
  readonly [ATTRIBUTE]: true;
  readonly proto: Omit<AttributeProto, 'name'>;
}

function typed(proto: Omit<AttributeProto, 'name'>): TypedAttribute {
  return { [ATTRIBUTE]: true, proto };
}

/**
 * Explicit attribute types. Plain values are inferred (integer number or bigint → int, other
 * number → float, string → string, arrays likewise, GraphBuilder → graph, tensors from `tensor()`
 * → tensor); use these where the operator wants a float that happens to be whole (`alpha: attr.float(1)`).
 */
export const attr = {
  float: (value: number): TypedAttribute => typed({ type: AttributeType.FLOAT, f: value }),
  int: (value: number | bigint): TypedAttribute => typed({ type: AttributeType.INT, i: intValue(value) }),
  string: (value: string): TypedAttribute => typed({ type: AttributeType.STRING, s: utf8.encode(value) }),
  tensor: (value: TensorProto): TypedAttribute => typed({ type: AttributeType.TENSOR, t: value }),
  graph: (value: GraphProto | GraphBuilder): TypedAttribute =>
    typed({ type: AttributeType.GRAPH, g: value instanceof GraphBuilder ? value.build() : value }),
  floats: (values: readonly number[]): TypedAttribute => typed({ type: AttributeType.FLOATS, floats: [...values] }),
  ints: (values: readonly (number | bigint)[]): TypedAttribute => typed({ type: AttributeType.INTS, ints: values.map(intValue) }),
  strings: (values: readonly string[]): TypedAttribute =>
    typed({ type: AttributeType.STRINGS, strings: values.map((s) => utf8.encode(s)) }),
};

export type AttributeValue =
  | number
  | bigint
  | string
  | readonly number[]
  | readonly bigint[]
  | readonly string[]
  | TensorProto
  | GraphProto
  | GraphBuilder
  | TypedAttribute;

function intValue(value: number | bigint): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  // Attributes we write (axes, perms, sizes) stay well inside 2^53; anything else is a mistake here.
  if (!Number.isSafeInteger(n)) throw misuse(`integer attribute value ${String(value)} is not a safe integer`);
  return n;
}

function isTypedAttribute(value: unknown): value is TypedAttribute {
  return typeof value === 'object' && value !== null && ATTRIBUTE in value;
}

export function attribute(name: string, value: AttributeValue): AttributeProto {
  let proto: Omit<AttributeProto, 'name'>;
  if (isTypedAttribute(value)) proto = value.proto;
  else if (value instanceof GraphBuilder) proto = attr.graph(value).proto;
  else if (typeof value === 'number') proto = (Number.isInteger(value) ? attr.int(value) : attr.float(value)).proto;
  else if (typeof value === 'bigint') proto = attr.int(value).proto;
  else if (typeof value === 'string') proto = attr.string(value).proto;
  else if (Array.isArray(value)) {
    if (value.length === 0) throw misuse(`attribute ${name}: an empty list needs an explicit type (attr.ints([]) …)`);
    if (value.every((v) => typeof v === 'string')) proto = attr.strings(value as string[]).proto;
    else if (value.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))))
      proto = attr.ints(value as (number | bigint)[]).proto;
    else if (value.every((v) => typeof v === 'number')) proto = attr.floats(value as number[]).proto;
    else throw misuse(`attribute ${name}: mixed list`);
  } else if (builtTensors.has(value as object)) proto = attr.tensor(value as TensorProto).proto;
  else if (builtGraphs.has(value as object)) proto = attr.graph(value as GraphProto).proto;
  else throw misuse(`attribute ${name}: wrap tensors and graphs not made here in attr.tensor()/attr.graph()`);
  return { name, ...proto };
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * One namespace over node, value and initializer names, subgraphs included, so a generated name
 * can never shadow or collide with another anywhere in the model.
 */
export class NameAllocator {
  private readonly taken = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();

  constructor(existing: Iterable<string> = []) {
    for (const name of existing) this.taken.add(name);
  }

  has(name: string): boolean {
    return this.taken.has(name);
  }

  /** Take exactly `name`; a name chosen by the caller that is already used is a bug, not something to rename. */
  claim(name: string): string {
    if (name === '') throw misuse('names must not be empty');
    if (this.taken.has(name)) throw misuse(`name "${name}" is already used in this model`);
    this.taken.add(name);
    return name;
  }

  /** `base` if free, else `base_1`, `base_2`, … */
  fresh(base: string): string {
    if (!this.taken.has(base)) return this.claim(base);
    let suffix = this.nextSuffix.get(base) ?? 1;
    while (this.taken.has(`${base}_${suffix}`)) suffix++;
    this.nextSuffix.set(base, suffix + 1);
    return this.claim(`${base}_${suffix}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Graphs

export interface NodeOptions {
  /** Operator domain; '' (the default) is the standard ONNX domain. */
  domain?: string;
  /** Node name; generated from the current scope and op type when absent. */
  name?: string;
  docString?: string;
}

export interface GraphBuilderOptions {
  /** Share a namespace with an existing model (or let a quantizer seed it with that model's names). */
  names?: NameAllocator;
  docString?: string;
}

export class GraphBuilder {
  readonly name: string;
  readonly names: NameAllocator;
  private readonly parent: GraphBuilder | undefined;
  private readonly docString: string | undefined;
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly nodes: NodeProto[] = [];
  private readonly valueInfos: ValueInfoProto[] = [];
  /** Values this graph can read: its inputs, initializers and node outputs. */
  private readonly available = new Set<string>();
  private readonly scopes: string[] = [];

  constructor(name: string, options: GraphBuilderOptions = {}, parent?: GraphBuilder) {
    this.name = name;
    this.names = options.names ?? parent?.names ?? new NameAllocator();
    this.docString = options.docString;
    this.parent = parent;
  }

  input(name: string, type: ElementType, shape?: readonly Dim[]): string {
    this.names.claim(name);
    this.inputs.push(valueInfo(name, type, shape));
    this.available.add(name);
    return name;
  }

  /** Declare a graph output; the value must already be produced in this graph (or be one of its inputs). */
  output(name: string, type: ElementType, shape?: readonly Dim[]): string {
    if (!this.available.has(name)) throw misuse(`graph ${this.name}: output ${name} is not produced by this graph`);
    if (this.outputs.some((o) => o.name === name)) throw misuse(`graph ${this.name}: output ${name} declared twice`);
    this.outputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Shape/type annotation for an intermediate value (optional in ONNX; handy for readers and tests). */
  annotate(name: string, type: ElementType, shape?: readonly Dim[]): void {
    if (!this.canRead(name)) throw misuse(`graph ${this.name}: cannot annotate unknown value ${name}`);
    this.valueInfos.push(valueInfo(name, type, shape));
  }

  initializer(name: string, data: TensorData, dims: readonly number[], type?: ElementType): string {
    const proto = tensor(name, data, dims, type);
    this.names.claim(name);
    this.initializers.push(proto);
    this.available.add(name);
    return name;
  }

  /** A name nobody in the model uses yet, derived from `base`. */
  uniqueName(base: string): string {
    return this.names.fresh(base);
  }

  /**
   * Add a node. `inputs` may contain '' for an omitted optional input. `outputs` is either the
   * number of outputs to name automatically (`<node name>_output_<i>`) or the names to use
   * ('' skips an optional output). Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[] = 1,
    attributes: Readonly<Record<string, AttributeValue | undefined>> = {},
    options: NodeOptions = {},
  ): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.canRead(input)) {
        throw misuse(`graph ${this.name}: ${opType} reads ${input}, which no earlier node, input or initializer provides`);
      }
    }
    const nodeName = options.name !== undefined ? this.names.claim(options.name) : this.names.fresh(this.scoped(opType));
    const outputNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.names.fresh(`${nodeName}_output_${i}`))
        : outputs.map((o) => (o === '' ? '' : this.names.claim(o)));
    const node: NodeProto = { name: nodeName, op_type: opType, input: [...inputs], output: outputNames };
    if (options.domain) node.domain = options.domain;
    const attributeList = Object.entries(attributes)
      .filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined)
      .map(([key, value]) => attribute(key, value));
    if (attributeList.length > 0) node.attribute = attributeList;
    if (options.docString) node.doc_string = options.docString;
    this.nodes.push(node);
    for (const o of outputNames) if (o !== '') this.available.add(o);
    return outputNames;
  }

  /** `node` for the common single-output case. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue | undefined>> = {},
    options: NodeOptions & { output?: string } = {},
  ): string {
    const [out] = this.node(opType, inputs, options.output !== undefined ? [options.output] : 1, attributes, options);
    return out as string;
  }

  /** A Constant node producing `data` (the way many exporters keep small values and some keep weights). */
  constant(data: TensorData, dims: readonly number[], options: NodeOptions & { output?: string; type?: ElementType } = {}): string {
    return this.op('Constant', [], { value: attr.tensor(tensor('', data, dims, options.type)) }, options);
  }

  /** Run `build` with node names prefixed by `scope` (PyTorch-style `/layer1/conv/Conv`), return its result. */
  scope<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /**
   * Build a subgraph (an If branch or a Loop body). It shares this model's name allocator and
   * may read values of this graph (outer scope) that exist when it is built.
   */
  subgraph(name: string, define: (graph: GraphBuilder) => void, options: { docString?: string } = {}): GraphProto {
    const sub = new GraphBuilder(name, options.docString !== undefined ? { docString: options.docString } : {}, this);
    define(sub);
    return sub.build();
  }

  build(): GraphProto {
    if (this.outputs.length === 0) throw misuse(`graph ${this.name} has no outputs`);
    const graph: GraphProto = {
      name: this.name,
      node: [...this.nodes],
      input: [...this.inputs],
      output: [...this.outputs],
      initializer: [...this.initializers],
    };
    if (this.valueInfos.length > 0) graph.value_info = [...this.valueInfos];
    if (this.docString) graph.doc_string = this.docString;
    builtGraphs.add(graph);
    return graph;
  }

  private canRead(name: string): boolean {
    return this.available.has(name) || (this.parent?.canRead(name) ?? false);
  }

  private scoped(opType: string): string {
    return this.scopes.length === 0 ? opType : `/${this.scopes.join('/')}/${opType}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Models

/** ONNX's release table (onnx/helper.py VERSION_TABLE): the IR version each opset first shipped with. */
const IR_FOR_OPSET: readonly (readonly [maxOpset: number, ir: number])[] = [
  [8, 3],
  [9, 4],
  [10, 5],
  [11, 6],
  [14, 7],
  [18, 8],
  [20, 9],
  [22, 10],
  [23, 11],
  [24, 12],
];

/** The IR version an opset was released with (opset 17 → 8, 19 → 9, 21 → 10). */
export function irVersionForOpset(opset: number): number {
  for (const [maxOpset, ir] of IR_FOR_OPSET) if (opset <= maxOpset) return ir;
  return 13;
}

/** Opset versions assumed for other domains when a graph uses them and the caller named none. */
const DEFAULT_DOMAIN_VERSIONS: Readonly<Record<string, number>> = { 'com.microsoft': 1, 'ai.onnx.ml': 3 };

export interface ModelOptions {
  /** Default-domain opset; 17 unless said. */
  opset?: number;
  /** Defaults to the IR version the opset shipped with. */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  /** Opsets for other domains (e.g. com.microsoft); domains the graph uses but this omits get defaults. */
  extraOpsets?: readonly { domain: string; version: number }[];
  metadata?: Readonly<Record<string, string>>;
  docString?: string;
  domain?: string;
  modelVersion?: number;
}

export function buildModel(graph: GraphProto | GraphBuilder, options: ModelOptions = {}): ModelProto {
  const graphProto = graph instanceof GraphBuilder ? graph.build() : graph;
  const opset = options.opset ?? 17;
  const opsets: OperatorSetIdProto[] = [{ domain: '', version: opset }];
  for (const extra of options.extraOpsets ?? []) {
    if (isDefaultDomain(extra.domain)) throw misuse('set the default-domain opset with `opset`, not extraOpsets');
    if (!opsets.some((o) => o.domain === extra.domain)) opsets.push({ domain: extra.domain, version: extra.version });
  }
  for (const domain of domainsUsed(graphProto)) {
    if (opsets.some((o) => o.domain === domain)) continue;
    const version = DEFAULT_DOMAIN_VERSIONS[domain];
    if (version === undefined) throw misuse(`the graph uses domain ${domain}: give its opset in extraOpsets`);
    opsets.push({ domain, version });
  }
  const model: ModelProto = {
    ir_version: options.irVersion ?? irVersionForOpset(opset),
    opset_import: opsets,
    producer_name: options.producerName ?? 'inferscope',
    graph: graphProto,
  };
  if (options.producerVersion) model.producer_version = options.producerVersion;
  if (options.domain) model.domain = options.domain;
  if (options.modelVersion !== undefined) model.model_version = options.modelVersion;
  if (options.docString) model.doc_string = options.docString;
  if (options.metadata) {
    model.metadata_props = Object.entries(options.metadata).map(([key, value]) => ({ key, value }));
  }
  return model;
}

/** `buildModel`, serialized. */
export function buildModelBytes(graph: GraphProto | GraphBuilder, options: ModelOptions = {}): Uint8Array {
  return encodeModelProto(buildModel(graph, options));
}

function isDefaultDomain(domain: string | null | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

/** Non-default domains of every node, subgraphs included, in first-use order. */
function domainsUsed(graph: GraphProto, found: Set<string> = new Set()): Set<string> {
  for (const node of graph.node ?? []) {
    if (!isDefaultDomain(node.domain)) found.add(node.domain as string);
    for (const a of node.attribute ?? []) {
      if (a.g) domainsUsed(a.g, found);
      for (const g of a.graphs ?? []) domainsUsed(g, found);
    }
  }
  return found;
}

function misuse(message: string): InferscopeError {
  return new InferscopeError('INTERNAL', `ONNX graph builder: ${message}`);
}
