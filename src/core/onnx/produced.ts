/**
 * Weights a graph makes rather than stores: ConstantOfShape (and the random generators) fed only
 * by constants, the way some exporters write zero-initialized or untrained weights. They are
 * parameters as much as initializers are; a generator fed by a graph input (zeros for a state
 * shaped like the batch) is not.
 */
import { DataType } from './codec';
import { numel, type GraphShapes } from './shapes';

export interface ProducedTensor {
  /** Op type of the node that makes it. */
  op: string;
  dtype: number;
  count: number;
}

const GENERATORS = new Set(['ConstantOfShape', 'RandomNormal', 'RandomUniform', 'EyeLike']);
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** Tensors made from constants by generator nodes, subgraphs included, with their element counts. */
export function producedTensors(shapes: GraphShapes): ProducedTensor[] {
  const found: ProducedTensor[] = [];
  collect(shapes, new Set(), found);
  return found;
}

function collect(shapes: GraphShapes, outer: ReadonlySet<string>, found: ProducedTensor[]): void {
  const constants = new Set(outer);
  const initializers = new Set((shapes.graph.initializer ?? []).map((t) => t.name ?? ''));
  // A subgraph's own inputs (loop state) shadow outer names and vary by iteration.
  for (const vi of shapes.graph.input ?? []) if (vi.name && !initializers.has(vi.name)) constants.delete(vi.name);
  for (const name of initializers) if (name) constants.add(name);
  for (const record of shapes.nodes) {
    const node = record.node;
    const op = node.op_type ?? '';
    const fromConstants =
      DEFAULT_DOMAINS.has(node.domain ?? '') &&
      record.subgraphs.length === 0 &&
      (node.input ?? []).every((name) => !name || constants.has(name));
    if (GENERATORS.has(op) && fromConstants) {
      const out = record.outputs[0];
      const count = numel(out?.shape);
      if (count !== undefined) found.push({ op, dtype: out?.dtype ?? DataType.FLOAT, count });
    }
    if (fromConstants) for (const name of node.output ?? []) if (name) constants.add(name);
    for (const sub of record.subgraphs) collect(sub.result, constants, found);
  }
}
