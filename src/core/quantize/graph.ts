/**
 * Graph surgery shared by every transformation (docs/quantization.md#graph-handling): copying a model so the
 * input stays untouched, Constant weights turned into initializers, one name allocator for the
 * whole model, who reads which value (outer-scope reads from If/Loop bodies included),
 * removing what is no longer used, topological order, opsets.
 */
import { InferscopeError } from '../../shared/errors';
import { NameAllocator } from '../onnx/build';
import { AttributeType, DataType, int64ToNumber } from '../onnx/codec';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/codec';
import { makeTensor } from '../onnx/tensor';
import { cloneMessage } from '../onnx/walk';

// ---------------------------------------------------------------------------------------------
// Copying

/**
 * A copy of the model whose containers (graphs, nodes, attributes, value infos, lists) can be
 * edited freely. TensorProtos are shared, never mutated: transformations replace them.
 */
export function cloneModel(model: ModelProto): ModelProto {
  const copy = cloneMessage(model);
  if (model.graph) copy.graph = cloneGraph(model.graph);
  if (model.opset_import) copy.opset_import = model.opset_import.map((o) => cloneMessage(o));
  if (model.metadata_props) copy.metadata_props = model.metadata_props.map((p) => cloneMessage(p));
  return copy;
}

export function cloneGraph(graph: GraphProto): GraphProto {
  const copy = cloneMessage(graph);
  copy.node = (graph.node ?? []).map(cloneNode);
  copy.input = (graph.input ?? []).map(cloneValueInfo);
  copy.output = (graph.output ?? []).map(cloneValueInfo);
  copy.value_info = (graph.value_info ?? []).map(cloneValueInfo);
  copy.initializer = [...(graph.initializer ?? [])];
  if (graph.sparse_initializer) copy.sparse_initializer = [...graph.sparse_initializer];
  return copy;
}

export function cloneNode(node: NodeProto): NodeProto {
  const copy = cloneMessage(node);
  copy.input = [...(node.input ?? [])];
  copy.output = [...(node.output ?? [])];
  copy.attribute = (node.attribute ?? []).map((a) => {
    const attribute = cloneMessage(a);
    if (a.g) attribute.g = cloneGraph(a.g);
    if (a.graphs?.length) attribute.graphs = a.graphs.map(cloneGraph);
    return attribute;
  });
  return copy;
}

export function cloneValueInfo(info: ValueInfoProto): ValueInfoProto {
  const copy = cloneMessage(info);
  if (info.type) {
    copy.type = cloneMessage(info.type);
    if (info.type.tensor_type) copy.type.tensor_type = cloneMessage(info.type.tensor_type);
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Walking

export interface GraphEntry {
  graph: GraphProto;
  /** The enclosing graphs, innermost last (empty for the main graph). */
  ancestors: GraphProto[];
  /** The node holding this graph as an attribute; undefined for the main graph. */
  owner: NodeProto | undefined;
}

/** The main graph and every If/Loop/Scan body inside it, parents before children. */
export function allGraphs(model: ModelProto): GraphEntry[] {
  const out: GraphEntry[] = [];
  const visit = (graph: GraphProto, ancestors: GraphProto[], owner: NodeProto | undefined): void => {
    out.push({ graph, ancestors, owner });
    for (const node of graph.node ?? []) {
      for (const sub of subgraphsOf(node)) visit(sub, [...ancestors, graph], node);
    }
  };
  if (model.graph) visit(model.graph, [], undefined);
  return out;
}

export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g) out.push(a.g);
    for (const g of a.graphs ?? []) out.push(g);
  }
  return out;
}

/** Every name used anywhere: nodes, values, initializers, graph inputs/outputs, value infos. */
export function modelNames(model: ModelProto): Set<string> {
  const names = new Set<string>();
  const add = (n: string | null | undefined) => {
    if (n) names.add(n);
  };
  for (const { graph } of allGraphs(model)) {
    add(graph.name);
    for (const v of graph.input ?? []) add(v.name);
    for (const v of graph.output ?? []) add(v.name);
    for (const v of graph.value_info ?? []) add(v.name);
    for (const t of graph.initializer ?? []) add(t.name);
    for (const s of graph.sparse_initializer ?? []) add(s.values?.name);
    for (const node of graph.node ?? []) {
      add(node.name);
      for (const n of node.input ?? []) add(n);
      for (const n of node.output ?? []) add(n);
    }
  }
  return names;
}

export function nameAllocatorFor(model: ModelProto): NameAllocator {
  return new NameAllocator(modelNames(model));
}

/** Gives every unnamed node a unique name (ORT and include/exclude lists refer to nodes by name). */
export function nameUnnamedNodes(model: ModelProto, names: NameAllocator): void {
  for (const { graph } of allGraphs(model)) {
    for (const node of graph.node ?? []) {
      if (!node.name) node.name = names.fresh(`${node.op_type ?? 'node'}_${(node.output ?? [])[0] ?? ''}`.replace(/_$/, ''));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Who reads what

/**
 * Names a graph reads from enclosing scopes: read by its nodes (or their bodies) but not
 * defined by its inputs, initializers or node outputs.
 */
export function outerReads(graph: GraphProto): Set<string> {
  const defined = new Set<string>();
  for (const v of graph.input ?? []) if (v.name) defined.add(v.name);
  for (const t of graph.initializer ?? []) if (t.name) defined.add(t.name);
  for (const s of graph.sparse_initializer ?? []) if (s.values?.name) defined.add(s.values.name);
  for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) defined.add(o);
  const reads = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const i of node.input ?? []) if (i && !defined.has(i)) reads.add(i);
    for (const sub of subgraphsOf(node)) for (const r of outerReads(sub)) if (!defined.has(r)) reads.add(r);
  }
  for (const o of graph.output ?? []) if (o.name && !defined.has(o.name)) reads.add(o.name);
  return reads;
}

export interface ValueUse {
  node: NodeProto;
  /** Input slot; -1 when the node reads the value inside one of its bodies (outer-scope read). */
  input: number;
}

/** For every value, the nodes of `graph` that read it (a node reading it twice appears twice). */
export function consumersOf(graph: GraphProto): Map<string, ValueUse[]> {
  const uses = new Map<string, ValueUse[]>();
  const add = (name: string, use: ValueUse) => {
    const list = uses.get(name);
    if (list) list.push(use);
    else uses.set(name, [use]);
  };
  for (const node of graph.node ?? []) {
    (node.input ?? []).forEach((name, input) => {
      if (name) add(name, { node, input });
    });
    const implicit = new Set<string>();
    for (const sub of subgraphsOf(node)) for (const r of outerReads(sub)) implicit.add(r);
    for (const name of implicit) add(name, { node, input: -1 });
  }
  return uses;
}

/** The node that writes each value of `graph`. */
export function producersOf(graph: GraphProto): Map<string, NodeProto> {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) producers.set(o, node);
  return producers;
}

export function graphOutputNames(graph: GraphProto): Set<string> {
  return new Set((graph.output ?? []).map((o) => o.name ?? ''));
}

export function initializerMap(graph: GraphProto): Map<string, TensorProto> {
  const map = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) map.set(t.name, t);
  return map;
}

/** Finds an initializer visible from `entry` (its own graph first, then enclosing graphs). */
export function findInitializer(entry: GraphEntry, name: string): { tensor: TensorProto; graph: GraphProto } | undefined {
  for (const graph of [entry.graph, ...[...entry.ancestors].reverse()]) {
    const tensor = (graph.initializer ?? []).find((t) => t.name === name);
    if (tensor) return { tensor, graph };
    // A value defined in this graph by another means shadows nothing further out.
    if ((graph.input ?? []).some((i) => i.name === name)) return undefined;
    if ((graph.node ?? []).some((n) => (n.output ?? []).includes(name))) return undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Constants

/** The tensor a Constant node holds, whatever attribute it uses; undefined for sparse/string-list forms. */
export function constantValue(node: NodeProto, name: string): TensorProto | undefined {
  for (const a of node.attribute ?? []) {
    switch (a.name) {
      case 'value':
        return a.t ? { ...cloneMessage(a.t), name } : undefined;
      case 'value_float':
        return makeTensor(name, DataType.FLOAT, [], [a.f ?? 0]);
      case 'value_floats':
        return makeTensor(name, DataType.FLOAT, [(a.floats ?? []).length], [...(a.floats ?? [])]);
      case 'value_int':
        return makeTensor(name, DataType.INT64, [], [int64ToNumber(a.i)]);
      case 'value_ints':
        return makeTensor(
          name,
          DataType.INT64,
          [(a.ints ?? []).length],
          (a.ints ?? []).map((v) => int64ToNumber(v)),
        );
      default:
        break;
    }
  }
  return undefined;
}

/**
 * Turn Constant nodes into initializers of their own graph (If/Loop bodies included), so
 * weights exporters keep in Constants (PaddleOCR, Silero VAD branches) can be quantized.
 * Constants that are graph outputs stay nodes: an initializer cannot be a graph's output.
 */
export function constantsToInitializers(model: ModelProto): number {
  let moved = 0;
  for (const { graph } of allGraphs(model)) {
    const outputs = graphOutputNames(graph);
    const kept: NodeProto[] = [];
    for (const node of graph.node ?? []) {
      const output = (node.output ?? [])[0];
      const isConstant = node.op_type === 'Constant' && (!node.domain || node.domain === 'ai.onnx');
      const tensor = isConstant && output && !outputs.has(output) ? constantValue(node, output) : undefined;
      if (tensor) {
        graph.initializer = [...(graph.initializer ?? []), tensor];
        moved++;
      } else {
        kept.push(node);
      }
    }
    graph.node = kept;
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Cleaning up

/** Drops graph inputs that name initializers: listed as inputs, weights could be overridden and block ORT's fusions. */
export function removeInitializerInputs(graph: GraphProto, names: Iterable<string>): void {
  const drop = new Set(names);
  graph.input = (graph.input ?? []).filter((i) => !drop.has(i.name ?? ''));
}

/**
 * Remove initializers nothing reads, in every graph. An initializer read only inside an If or
 * Loop body counts as used. Unused initializers listed as graph inputs leave the input list too.
 */
export function removeUnusedInitializers(model: ModelProto): number {
  let removed = 0;
  for (const { graph } of allGraphs(model)) {
    const used = new Set<string>();
    for (const node of graph.node ?? []) {
      for (const i of node.input ?? []) if (i) used.add(i);
      for (const sub of subgraphsOf(node)) for (const r of outerReads(sub)) used.add(r);
    }
    for (const o of graph.output ?? []) if (o.name) used.add(o.name);
    const before = graph.initializer ?? [];
    const gone = before.filter((t) => !used.has(t.name ?? ''));
    if (gone.length === 0) continue;
    removed += gone.length;
    graph.initializer = before.filter((t) => used.has(t.name ?? ''));
    const goneNames = new Set(gone.map((t) => t.name ?? ''));
    graph.input = (graph.input ?? []).filter((i) => !goneNames.has(i.name ?? ''));
    graph.value_info = (graph.value_info ?? []).filter((v) => !goneNames.has(v.name ?? ''));
  }
  return removed;
}

/**
 * Order nodes so each comes after the producers of everything it reads (subgraph reads of
 * outer values included). Keeps the existing order where it is already valid.
 */
export function topologicalSort(graph: GraphProto): void {
  const nodes = graph.node ?? [];
  const producerIndex = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const o of node.output ?? []) if (o) producerIndex.set(o, index);
  });
  const dependencies = nodes.map((node) => {
    const reads = new Set<string>((node.input ?? []).filter(Boolean));
    for (const sub of subgraphsOf(node)) for (const r of outerReads(sub)) reads.add(r);
    const deps = new Set<number>();
    for (const r of reads) {
      const p = producerIndex.get(r);
      if (p !== undefined) deps.add(p);
    }
    return deps;
  });
  const dependents: number[][] = nodes.map(() => []);
  const waiting = dependencies.map((deps, index) => {
    for (const d of deps) (dependents[d] as number[]).push(index);
    return deps.size;
  });
  // Ready nodes come out lowest original index first, so a graph already in order stays as it is.
  const ready = new MinHeap();
  waiting.forEach((count, index) => {
    if (count === 0) ready.push(index);
  });
  const order: number[] = [];
  while (ready.size > 0) {
    const index = ready.pop();
    order.push(index);
    for (const next of dependents[index] as number[]) {
      waiting[next] = (waiting[next] as number) - 1;
      if (waiting[next] === 0) ready.push(next);
    }
  }
  if (order.length !== nodes.length) {
    const placed = new Set(order);
    const stuck = nodes.filter((_, i) => !placed.has(i)).map((n) => n.name || n.op_type);
    throw new InferscopeError('QUANTIZE_FAILED', `The graph "${graph.name ?? ''}" has a cycle (around ${stuck.slice(0, 3).join(', ')}).`);
  }
  graph.node = order.map((i) => nodes[i] as NodeProto);
}

class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as number) <= value) break;
      items[i] = items[parent] as number;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0] as number;
    const last = items.pop() as number;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
        if ((items[child] as number) >= last) break;
        items[i] = items[child] as number;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

export function sortAllGraphs(model: ModelProto): void {
  for (const { graph } of allGraphs(model)) topologicalSort(graph);
}

// ---------------------------------------------------------------------------------------------
// Opsets

function isDefaultDomain(domain: string | null | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

/** The model's opset for a domain ('' = the default ONNX domain); undefined when it imports none. */
export function opsetVersion(model: ModelProto, domain = ''): number | undefined {
  for (const o of model.opset_import ?? []) {
    const matches = isDefaultDomain(domain) ? isDefaultDomain(o.domain) : o.domain === domain;
    if (matches) return int64ToNumber(o.version);
  }
  return undefined;
}

/** Declare a domain the transformed model now uses (com.microsoft for contrib ops). */
export function ensureOpsetImport(model: ModelProto, domain: string, version: number): void {
  const existing = opsetVersion(model, domain);
  if (existing !== undefined) return;
  model.opset_import = [...(model.opset_import ?? []), { domain, version }];
}

export function irVersion(model: ModelProto): number {
  return int64ToNumber(model.ir_version);
}

// ---------------------------------------------------------------------------------------------
// Small builders

/** A node with every attribute's type set, as ORT requires. */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attributes: readonly AttributeProto[] = [],
  domain?: string,
): NodeProto {
  const node: NodeProto = { op_type: opType, name, input: [...inputs], output: [...outputs] };
  if (attributes.length > 0) node.attribute = [...attributes];
  if (domain) node.domain = domain;
  return node;
}

export const attrs = {
  int: (name: string, value: number): AttributeProto => ({ name, type: AttributeType.INT, i: value }),
  float: (name: string, value: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f: value }),
  ints: (name: string, values: readonly number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints: [...values] }),
};

export function isDefaultDomainNode(node: NodeProto): boolean {
  return isDefaultDomain(node.domain);
}

/** The element type a ValueInfoProto declares, if any. */
export function declaredElementType(info: ValueInfoProto | undefined): number | undefined {
  const t = info?.type?.tensor_type?.elem_type;
  return t ? t : undefined;
}
