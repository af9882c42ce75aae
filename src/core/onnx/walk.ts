/**
 * Visiting every graph, node and tensor of a model: the main graph, If/Loop/Scan bodies
 * (attributes of type GRAPH/GRAPHS), model-local functions and training graphs.
 */
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from './codec';

export interface GraphVisit {
  graph: GraphProto;
  /** 0 for the main graph, +1 per enclosing node. */
  depth: number;
  /** The node owning this subgraph and the attribute name ("then_branch", "body", ...). */
  owner?: { node: NodeProto; attribute: string };
}

/** Every graph in the model, the main graph first, subgraphs in document order. */
export function* graphsOf(model: ModelProto): Generator<GraphVisit> {
  if (model.graph) yield* graphAndSubgraphs(model.graph, 0);
  for (const info of model.training_info ?? []) {
    if (info.initialization) yield* graphAndSubgraphs(info.initialization, 0);
    if (info.algorithm) yield* graphAndSubgraphs(info.algorithm, 0);
  }
}

export function* graphAndSubgraphs(graph: GraphProto, depth = 0, owner?: GraphVisit['owner']): Generator<GraphVisit> {
  yield owner ? { graph, depth, owner } : { graph, depth };
  for (const node of graph.node ?? []) yield* subgraphsOfNode(node, depth + 1);
}

export function* subgraphsOfNode(node: NodeProto, depth: number): Generator<GraphVisit> {
  for (const attribute of node.attribute ?? []) {
    const owner = { node, attribute: attribute.name ?? '' };
    if (attribute.g) yield* graphAndSubgraphs(attribute.g, depth, owner);
    for (const g of attribute.graphs ?? []) yield* graphAndSubgraphs(g, depth, owner);
  }
}

/** Direct subgraphs of a node (not recursive), with the attribute they come from. */
export function directSubgraphs(node: NodeProto): { attribute: string; graph: GraphProto }[] {
  const out: { attribute: string; graph: GraphProto }[] = [];
  for (const attribute of node.attribute ?? []) {
    if (attribute.g) out.push({ attribute: attribute.name ?? '', graph: attribute.g });
    for (const g of attribute.graphs ?? []) out.push({ attribute: attribute.name ?? '', graph: g });
  }
  return out;
}

export type TensorRole = 'initializer' | 'sparse-initializer' | 'attribute' | 'sparse-attribute';

export interface TensorVisit {
  tensor: TensorProto;
  role: TensorRole;
  /** The node whose attribute holds the tensor (Constant nodes and the like). */
  node?: NodeProto;
  attribute?: AttributeProto;
  graph?: GraphProto;
  /** For sparse tensors: which half of the SparseTensorProto this is. */
  sparsePart?: 'values' | 'indices';
}

function* tensorsOfNode(node: NodeProto, graph: GraphProto | undefined): Generator<TensorVisit> {
  for (const attribute of node.attribute ?? []) {
    const base = graph ? { node, attribute, graph } : { node, attribute };
    if (attribute.t) yield { tensor: attribute.t, role: 'attribute', ...base };
    for (const t of attribute.tensors ?? []) yield { tensor: t, role: 'attribute', ...base };
    const sparse = [...(attribute.sparse_tensor ? [attribute.sparse_tensor] : []), ...(attribute.sparse_tensors ?? [])];
    for (const s of sparse) {
      if (s.values) yield { tensor: s.values, role: 'sparse-attribute', sparsePart: 'values', ...base };
      if (s.indices) yield { tensor: s.indices, role: 'sparse-attribute', sparsePart: 'indices', ...base };
    }
  }
}

/** Every TensorProto holding data: initializers, sparse initializers, attribute tensors, in every graph and function. */
export function* tensorsOf(model: ModelProto): Generator<TensorVisit> {
  for (const { graph } of graphsOf(model)) {
    for (const tensor of graph.initializer ?? []) yield { tensor, role: 'initializer', graph };
    for (const sparse of graph.sparse_initializer ?? []) {
      if (sparse.values) yield { tensor: sparse.values, role: 'sparse-initializer', sparsePart: 'values', graph };
      if (sparse.indices) yield { tensor: sparse.indices, role: 'sparse-initializer', sparsePart: 'indices', graph };
    }
    for (const node of graph.node ?? []) yield* tensorsOfNode(node, graph);
  }
  for (const fn of model.functions ?? []) {
    for (const node of fn.node ?? []) {
      yield* tensorsOfNode(node, undefined);
      for (const { graph } of subgraphsOfNode(node, 1)) {
        for (const tensor of graph.initializer ?? []) yield { tensor, role: 'initializer', graph };
        for (const inner of graph.node ?? []) yield* tensorsOfNode(inner, graph);
      }
    }
  }
}

/**
 * A copy of a protobufjs message that keeps fields protobufjs does not know (`$unknowns` is
 * non-enumerable, so a plain spread would drop it).
 */
export function cloneMessage<T extends object>(message: T): T {
  const copy = { ...message };
  const unknowns = (message as { $unknowns?: Uint8Array[] }).$unknowns;
  if (unknowns) Object.defineProperty(copy, '$unknowns', { value: unknowns, enumerable: false, writable: true, configurable: true });
  return copy;
}

/**
 * A model with some tensors replaced; the input is not modified. `replace` receives every
 * data tensor (see tensorsOf) and returns it unchanged or a new TensorProto. Only the
 * containers on the way to a replaced tensor are copied.
 */
export function mapTensors(
  model: ModelProto,
  replace: (tensor: TensorProto, visit: { role: TensorRole; depth: number }) => TensorProto,
): ModelProto {
  const mapNode = (node: NodeProto, depth: number): NodeProto => {
    let changed = false;
    const attributes = (node.attribute ?? []).map((attribute) => {
      const next = mapAttribute(attribute, depth);
      if (next !== attribute) changed = true;
      return next;
    });
    if (!changed) return node;
    const copy = cloneMessage(node);
    copy.attribute = attributes;
    return copy;
  };
  const mapSparse = <S extends { values?: TensorProto | null; indices?: TensorProto | null }>(
    sparse: S,
    role: TensorRole,
    depth: number,
  ): S => {
    const values = sparse.values ? replace(sparse.values, { role, depth }) : sparse.values;
    const indices = sparse.indices ? replace(sparse.indices, { role, depth }) : sparse.indices;
    if (values === sparse.values && indices === sparse.indices) return sparse;
    const copy = cloneMessage(sparse);
    copy.values = values;
    copy.indices = indices;
    return copy;
  };
  const mapAttribute = (attribute: AttributeProto, depth: number): AttributeProto => {
    const t = attribute.t ? replace(attribute.t, { role: 'attribute', depth }) : attribute.t;
    const tensors = (attribute.tensors ?? []).map((x) => replace(x, { role: 'attribute', depth }));
    const sparse = attribute.sparse_tensor ? mapSparse(attribute.sparse_tensor, 'sparse-attribute', depth) : attribute.sparse_tensor;
    const sparses = (attribute.sparse_tensors ?? []).map((x) => mapSparse(x, 'sparse-attribute', depth));
    const g = attribute.g ? mapGraph(attribute.g, depth + 1) : attribute.g;
    const graphs = (attribute.graphs ?? []).map((x) => mapGraph(x, depth + 1));
    const same = <X>(a: readonly X[] | null | undefined, b: readonly X[]): boolean =>
      (a ?? []).length === b.length && b.every((x, i) => x === (a ?? [])[i]);
    if (
      t === attribute.t &&
      sparse === attribute.sparse_tensor &&
      g === attribute.g &&
      same(attribute.tensors, tensors) &&
      same(attribute.sparse_tensors, sparses) &&
      same(attribute.graphs, graphs)
    ) {
      return attribute;
    }
    const copy = cloneMessage(attribute);
    if (attribute.t) copy.t = t;
    if (attribute.sparse_tensor) copy.sparse_tensor = sparse;
    if (attribute.g) copy.g = g;
    if (attribute.tensors?.length) copy.tensors = tensors;
    if (attribute.sparse_tensors?.length) copy.sparse_tensors = sparses;
    if (attribute.graphs?.length) copy.graphs = graphs;
    return copy;
  };
  const mapGraph = (graph: GraphProto, depth: number): GraphProto => {
    const initializer = (graph.initializer ?? []).map((t) => replace(t, { role: 'initializer', depth }));
    const sparse = (graph.sparse_initializer ?? []).map((s) => mapSparse(s, 'sparse-initializer', depth));
    const nodes = (graph.node ?? []).map((n) => mapNode(n, depth));
    const unchanged = (a: readonly unknown[] | null | undefined, b: readonly unknown[]) => b.every((x, i) => x === (a ?? [])[i]);
    if (unchanged(graph.initializer, initializer) && unchanged(graph.sparse_initializer, sparse) && unchanged(graph.node, nodes)) {
      return graph;
    }
    const copy = cloneMessage(graph);
    if (graph.initializer?.length) copy.initializer = initializer;
    if (graph.sparse_initializer?.length) copy.sparse_initializer = sparse;
    if (graph.node?.length) copy.node = nodes;
    return copy;
  };

  const copy = cloneMessage(model);
  if (model.graph) copy.graph = mapGraph(model.graph, 0);
  if (model.functions?.length) {
    copy.functions = model.functions.map((fn) => {
      const nodes = (fn.node ?? []).map((n) => mapNode(n, 1));
      if (nodes.every((n, i) => n === fn.node?.[i])) return fn;
      const f = cloneMessage(fn);
      f.node = nodes;
      return f;
    });
  }
  if (model.training_info?.length) {
    copy.training_info = model.training_info.map((info) => {
      const init = info.initialization ? mapGraph(info.initialization, 0) : info.initialization;
      const algo = info.algorithm ? mapGraph(info.algorithm, 0) : info.algorithm;
      if (init === info.initialization && algo === info.algorithm) return info;
      const i = cloneMessage(info);
      if (info.initialization) i.initialization = init;
      if (info.algorithm) i.algorithm = algo;
      return i;
    });
  }
  return copy;
}
