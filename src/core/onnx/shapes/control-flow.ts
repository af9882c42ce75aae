/**
 * If, Loop and Scan: their bodies are inferred in the node's scope, and the node's outputs follow
 * from the bodies' (the branch known to run, or what both branches agree on; loop-carried values;
 * scanned outputs stacked over the iterations when their number is known).
 */
import { InferscopeError } from '../../../shared/errors';
import { DataType, type GraphProto, type NodeProto, type ValueInfoProto } from '../codec';
import { attrInt, attrInts } from '../attributes';
import { directSubgraphs } from '../walk';
import {
  isNum,
  mergeShapes,
  normAxis,
  sameShape,
  Scope,
  type GraphShapes,
  type InferContext,
  type NodeShapes,
  type ValueShape,
} from './context';
import { declaredDim, typeToValueShape } from './declared';

/** Infers a graph in a scope: graph.ts's, handed in so that the two modules do not import each other. */
export type InferGraph = (graph: GraphProto, scope: Scope, ctx: InferContext, inputsSet?: boolean) => GraphShapes;

interface ControlFlowNode {
  node: NodeProto;
  inputs: (ValueShape | undefined)[];
  scope: Scope;
  ctx: InferContext;
  /** Gets the bodies' shapes, and iterations or the taken branch when known. */
  record: NodeShapes;
  inferGraph: InferGraph;
}

export function controlFlow(
  node: NodeProto,
  inputs: (ValueShape | undefined)[],
  scope: Scope,
  ctx: InferContext,
  record: NodeShapes,
  inferGraph: InferGraph,
): (ValueShape | undefined)[] {
  const call: ControlFlowNode = { node, inputs, scope, ctx, record, inferGraph };
  const op = node.op_type ?? '';
  const graphs = directSubgraphs(node);
  if (op === 'If') return ifOutputs(call, graphs);
  const body = graphs.find((g) => g.attribute === 'body')?.graph;
  if (!body) return [];
  return op === 'Loop' ? loopOutputs(call, body) : scanOutputs(call, body);
}

function ifOutputs(
  { node, inputs, scope, ctx, record, inferGraph }: ControlFlowNode,
  graphs: { attribute: string; graph: GraphProto }[],
): (ValueShape | undefined)[] {
  const cond = inputs[0]?.value?.[0];
  if (isNum(cond)) record.takenBranch = cond ? 'then_branch' : 'else_branch';
  const results: Record<string, GraphShapes> = {};
  for (const { attribute, graph } of graphs) {
    const result = branchShapes(graph, attribute, scope, ctx, record.takenBranch, inferGraph);
    results[attribute] = result;
    record.subgraphs.push({ attribute, result });
  }
  const thenOut = results.then_branch ? graphOutputs(results.then_branch, scope) : [];
  const elseOut = results.else_branch ? graphOutputs(results.else_branch, scope) : [];
  if (record.takenBranch) return record.takenBranch === 'then_branch' ? thenOut : elseOut;
  return (node.output ?? []).map((_, i) => {
    const a = thenOut[i];
    const b = elseOut[i];
    if (!a || !b) return undefined;
    return { dtype: a.dtype ?? b.dtype, shape: sameShape(a.shape, b.shape) ? a.shape : mergeShapes(a.shape, b.shape) };
  });
}

function loopOutputs({ node, inputs, scope, ctx, record, inferGraph }: ControlFlowNode, body: GraphProto): (ValueShape | undefined)[] {
  const bodyScope = new Scope(scope);
  const bodyInputs = body.input ?? [];
  // Body inputs: iteration number, condition, then the loop-carried values.
  const trip = inputs[0]?.value?.[0];
  const condName = node.input?.[1];
  record.iterations = isNum(trip) && !condName ? trip : null;
  bodyInputs.forEach((vi, i) => {
    if (!vi.name) return;
    const outer = i === 0 ? { dtype: DataType.INT64, shape: [] } : i === 1 ? { dtype: DataType.BOOL, shape: [] } : inputs[i];
    const info = outer?.shape ? { dtype: outer.dtype, shape: outer.shape } : declaredInput(vi, ctx);
    if (info) bodyScope.set(vi.name, info);
  });
  const result = inferGraph(body, bodyScope, ctx, true);
  record.subgraphs.push({ attribute: 'body', result });
  const bodyOut = graphOutputs(result, scope);
  const carried = Math.max(0, bodyInputs.length - 2);
  return (node.output ?? []).map((_, i) => {
    if (i < carried) {
      const initial = inputs[i + 2];
      const fromBody = bodyOut[i + 1];
      if (initial && fromBody && sameShape(initial.shape, fromBody.shape)) return { dtype: initial.dtype, shape: initial.shape };
      return fromBody ? { dtype: fromBody.dtype, shape: mergeShapes(initial?.shape, fromBody.shape) } : undefined;
    }
    const scanned = bodyOut[i + 1];
    if (!scanned?.shape) return scanned ? { dtype: scanned.dtype, shape: undefined } : undefined;
    return { dtype: scanned.dtype, shape: [record.iterations ?? null, ...scanned.shape] };
  });
}

/** Scan (opset 9+): inputs are N state values then M scanned sequences. */
function scanOutputs({ node, inputs, scope, ctx, record, inferGraph }: ControlFlowNode, body: GraphProto): (ValueShape | undefined)[] {
  const bodyScope = new Scope(scope);
  const bodyInputs = body.input ?? [];
  const numScanInputs = attrInt(node, 'num_scan_inputs', 0);
  const stateCount = Math.max(0, (node.input ?? []).length - numScanInputs);
  const scanAxes = attrInts(node, 'scan_input_axes') ?? new Array(numScanInputs).fill(0);
  let iterations: number | null = null;
  bodyInputs.forEach((vi, i) => {
    if (!vi.name) return;
    const outer = inputs[i];
    let info: ValueShape | undefined;
    if (i < stateCount) info = outer?.shape ? { dtype: outer.dtype, shape: outer.shape } : declaredInput(vi, ctx);
    else if (outer?.shape) {
      const axis = normAxis(scanAxes[i - stateCount] ?? 0, outer.shape.length);
      if (axis !== undefined) {
        const length = outer.shape[axis];
        if (typeof length === 'number') iterations = length;
        info = { dtype: outer.dtype, shape: outer.shape.filter((_, k) => k !== axis) };
      }
    } else info = declaredInput(vi, ctx);
    if (info) bodyScope.set(vi.name, info);
  });
  record.iterations = iterations;
  const result = inferGraph(body, bodyScope, ctx, true);
  record.subgraphs.push({ attribute: 'body', result });
  const bodyOut = graphOutputs(result, scope);
  return (node.output ?? []).map((_, i) => {
    const out = bodyOut[i];
    if (i < stateCount || !out) return out;
    return { dtype: out.dtype, shape: out.shape ? [iterations, ...out.shape] : undefined };
  });
}

/** A body's outputs; an output that passes an outer value straight through is found in the outer scope. */
function graphOutputs(result: GraphShapes, scope: Scope): (ValueShape | undefined)[] {
  return (result.graph.output ?? []).map((o) => (o.name ? (result.values.get(o.name) ?? scopeLookup(result, o.name, scope)) : undefined));
}

function declaredInput(vi: ValueInfoProto | undefined, ctx: InferContext): ValueShape | undefined {
  return typeToValueShape(vi?.type, (d) => declaredDim(d, ctx.resolveParam));
}

/**
 * An If branch's shapes. A branch that may not run can hold shapes that are only valid for other
 * inputs (a large kernel for large images): only a branch known to run makes the model invalid.
 */
function branchShapes(
  graph: GraphProto,
  attribute: string,
  scope: Scope,
  ctx: InferContext,
  taken: string | undefined,
  inferGraph: InferGraph,
): GraphShapes {
  try {
    return inferGraph(graph, new Scope(scope), ctx);
  } catch (error) {
    if (!(error instanceof InferscopeError) || error.code !== 'MODEL_INVALID' || taken === attribute) throw error;
    return { graph, nodes: [], values: new Map() };
  }
}

function scopeLookup(result: GraphShapes, name: string, scope: Scope): ValueShape | undefined {
  return result.values.get(name) ?? scope.get(name);
}
