/**
 * Walking a model's graphs while its nodes are lifted to opset 13: every node of the default
 * domain in the main graph and in every If/Loop/Scan body (any GRAPH or GRAPHS attribute) goes
 * through the changes of its operator since the model's opset. New nodes go right before the
 * node that reads them (a Reshape back right after), new constants into the same graph.
 */
import type { NameAllocator } from '../build';
import type { GraphProto, NodeProto } from '../codec';
import { inferShapes, type GraphShapes, type NodeShapes } from '../shapes';
import { outerReads, subgraphsOf } from '../../quantize/graph';
import { NodeEdit, type GraphEdit, type UpgradeChange } from './context';
import { DEPRECATED, HISTORY, rewritesAfter, sinceVersion } from './schema';

export interface UpgradeRun {
  opset: number;
  target: number;
  names: NameAllocator;
  shapes: Map<NodeProto, NodeShapes>;
  changes: UpgradeChange[];
}

function isDefaultDomain(domain: string | null | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

/** What shape inference learns about every node, bodies included; empty when it cannot run. */
export function nodeShapes(graph: GraphProto, opset: number): Map<NodeProto, NodeShapes> {
  const map = new Map<NodeProto, NodeShapes>();
  const collect = (result: GraphShapes): void => {
    for (const record of result.nodes) {
      map.set(record.node, record);
      for (const sub of record.subgraphs) collect(sub.result);
    }
  };
  try {
    collect(inferShapes(graph, { opset }));
  } catch {
    // Without shapes, rewrites take their always-correct forms or refuse where a type is needed.
  }
  return map;
}

/** Names read in this graph: node inputs, outer values read inside bodies, graph outputs. */
function usedNames(graph: GraphProto): Set<string> {
  const used = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const name of node.input ?? []) if (name) used.add(name);
    for (const sub of subgraphsOf(node)) for (const name of outerReads(sub)) used.add(name);
  }
  for (const output of graph.output ?? []) if (output.name) used.add(output.name);
  return used;
}

/** Runs a node through its operator's changes from the model's opset to the target. */
function upgradeNode(edit: NodeEdit, target: number): void {
  let op = edit.op;
  const known = sinceVersion(op, edit.opset);
  if (known === undefined) {
    edit.refuse(
      op in HISTORY
        ? `is not an operator of opset ${edit.opset} (it is experimental or newer), so it has no conversion`
        : 'is not an ONNX operator Inferscope knows how to convert',
    );
  }
  let since = known;
  const deprecated = DEPRECATED[op];
  if (deprecated) {
    deprecated.rewrite(edit);
    op = deprecated.becomes;
    since = deprecated.at;
  }
  for (const rewrite of rewritesAfter(op, since, target)) rewrite(edit);
}

/** Upgrades one graph and, first, the bodies of its nodes. */
export function upgradeGraph(graph: GraphProto, run: UpgradeRun): void {
  const edit: GraphEdit = { graph, names: run.names, used: usedNames(graph), added: [], shapes: run.shapes };
  const nodes: NodeProto[] = [];
  for (const node of graph.node ?? []) {
    for (const sub of subgraphsOf(node)) upgradeGraph(sub, run);
    if (!isDefaultDomain(node.domain)) {
      nodes.push(node);
      continue;
    }
    const nodeEdit = new NodeEdit(node, edit, run.opset);
    const op = nodeEdit.op;
    upgradeNode(nodeEdit, run.target);
    nodes.push(...nodeEdit.before, node, ...nodeEdit.after);
    const change = nodeEdit.change(op);
    if (change) run.changes.push(change);
  }
  graph.node = nodes;
  if (edit.added.length > 0) graph.initializer = [...(graph.initializer ?? []), ...edit.added];
}
