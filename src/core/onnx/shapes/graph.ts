/**
 * Shape propagation over an ONNX graph, with folding of small constant tensors (the
 * Shape → Gather → Concat → Reshape chains exporters emit), so that MACs can be counted
 * without running anything. Every rule answers "unknown" rather than guess: a dimension is a
 * number, a symbolic name the user has not given a value for, or null.
 *
 * Declared shapes (value_info, graph outputs) fill in whatever the rules cannot derive.
 */
import { InferscopeError } from '../../../shared/errors';
import { int64ToNumber, type GraphProto, type NodeProto } from '../codec';
import { directSubgraphs } from '../walk';
import {
  isNum,
  Scope,
  tensorValueShape,
  type Ctx,
  type GraphShapes,
  type InferContext,
  type NodeShapes,
  type ShapeOptions,
  type ValueShape,
} from './context';
import { controlFlow } from './control-flow';
import { declaredDim, preferKnown, typeToValueShape, type OnnxDim } from './declared';
import { RULES } from './rules';

/** Nodes ordered so producers come first; ONNX requires this already, but not every exporter complies. */
function topoOrder(graph: GraphProto, scope: Scope): NodeProto[] {
  const nodes = graph.node ?? [];
  const available = new Set<string>();
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producedBy.set(o, i)));
  let sorted = true;
  nodes.forEach((n, i) => {
    for (const input of n.input ?? []) {
      const p = input ? producedBy.get(input) : undefined;
      if (p !== undefined && p > i) sorted = false;
    }
  });
  if (sorted) return nodes;
  const done = new Set<number>();
  const order: NodeProto[] = [];
  for (const name of scope.own().keys()) available.add(name);
  let progress = true;
  while (progress && order.length < nodes.length) {
    progress = false;
    nodes.forEach((n, i) => {
      if (done.has(i)) return;
      const ready = (n.input ?? []).every((input) => !input || !producedBy.has(input) || available.has(input));
      if (ready) {
        done.add(i);
        order.push(n);
        (n.output ?? []).forEach((o) => available.add(o));
        progress = true;
      }
    });
  }
  nodes.forEach((n, i) => !done.has(i) && order.push(n));
  return order;
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

function inferNode(node: NodeProto, scope: Scope, ctx: InferContext): NodeShapes {
  const inputNames = node.input ?? [];
  const inputs = inputNames.map((name) => (name ? scope.get(name) : undefined));
  const op = node.op_type ?? '';
  const domain = node.domain ?? '';
  const outputCount = (node.output ?? []).length;
  const record: NodeShapes = { node, inputs, outputs: [], subgraphs: [] };

  let outputs: (ValueShape | undefined)[] = [];
  if (op === 'If' || op === 'Loop' || op === 'Scan') {
    outputs = controlFlow(node, inputs, scope, ctx, record, inferGraphIn);
  } else {
    const rule = DEFAULT_DOMAINS.has(domain) || domain === 'com.microsoft' ? RULES[op] : undefined;
    if (rule) {
      const ruleCtx: Ctx = {
        node,
        op,
        domain,
        opset: ctx.opset,
        input: (i) => inputs[i],
        numbers: (i) => {
          const v = inputs[i]?.value;
          return v && v.every(isNum) ? (v as number[]) : undefined;
        },
        inputCount: inputNames.length,
        outputCount,
      };
      try {
        outputs = rule(ruleCtx);
      } catch (error) {
        // A rule that trips over an odd model leaves the shapes unknown; a model that breaks
        // the operator's rules (a zero stride) is refused, naming the node.
        if (error instanceof InferscopeError && error.code === 'MODEL_INVALID') throw error;
        outputs = [];
      }
    }
    // Subgraphs of other ops (rare) still get their nodes inferred for counting.
    for (const sub of directSubgraphs(node)) {
      if (op !== 'If' && op !== 'Loop' && op !== 'Scan') {
        record.subgraphs.push({ attribute: sub.attribute, result: inferGraphIn(sub.graph, new Scope(scope), ctx) });
      }
    }
  }
  record.outputs = (node.output ?? []).map((_, i) => outputs[i]);
  return record;
}

/** Infer a graph whose inputs (if any) are already in `scope` or declared on the graph. */
function inferGraphIn(graph: GraphProto, scope: Scope, ctx: InferContext, inputsSet = false): GraphShapes {
  const declaredDim_ = (d: OnnxDim) => declaredDim(d, ctx.resolveParam);
  if (!inputsSet) {
    for (const vi of graph.input ?? []) {
      if (!vi.name || scope.own().has(vi.name)) continue;
      const info = typeToValueShape(vi.type, declaredDim_);
      if (info) scope.set(vi.name, info);
    }
  }
  for (const tensor of graph.initializer ?? []) if (tensor.name) scope.set(tensor.name, tensorValueShape(tensor));
  for (const sparse of graph.sparse_initializer ?? []) {
    const name = sparse.values?.name;
    if (name) scope.set(name, { dtype: sparse.values?.data_type ?? undefined, shape: (sparse.dims ?? []).map((d) => int64ToNumber(d)) });
  }
  const declared = new Map<string, ValueShape>();
  for (const vi of [...(graph.value_info ?? []), ...(graph.output ?? [])]) {
    if (!vi.name) continue;
    const info = typeToValueShape(vi.type, declaredDim_);
    if (info) declared.set(vi.name, info);
  }

  const nodes: NodeShapes[] = [];
  for (const node of topoOrder(graph, scope)) {
    const record = inferNode(node, scope, ctx);
    (node.output ?? []).forEach((name, i) => {
      if (!name) return;
      const inferred = record.outputs[i];
      const hint = declared.get(name);
      const merged = preferKnown(inferred, hint);
      record.outputs[i] = merged;
      if (merged) scope.set(name, merged);
    });
    nodes.push(record);
  }
  return { graph, nodes, values: scope.own() };
}

/**
 * Infer shapes for the main graph. Graph inputs take their declared shapes with symbolic
 * dims resolved through `options`; initializers are constants (even when also listed as inputs).
 */
export function inferShapes(graph: GraphProto, options: ShapeOptions = {}): GraphShapes {
  const resolveParam = options.resolveParam ?? ((p: string) => p);
  const resolveUnnamed = options.resolveUnnamed ?? (() => null);
  const scope = new Scope();
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const vi of graph.input ?? []) {
    if (!vi.name || initializers.has(vi.name)) continue;
    const info = typeToValueShape(vi.type, (d, axis) => {
      const dim = declaredDim(d, resolveParam);
      if (dim === null && !d.dim_param) return resolveUnnamed(vi.name ?? '', axis);
      return dim;
    });
    scope.set(vi.name, info ?? { dtype: undefined, shape: undefined });
  }
  return inferGraphIn(graph, scope, { resolveParam, opset: options.opset ?? 21 }, true);
}
