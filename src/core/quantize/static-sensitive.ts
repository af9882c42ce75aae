/**
 * Values static int8 leaves in float because the operator they flow into magnifies the rounding of
 * small values (docs/quantization.md#where-q-and-dq-go): a logarithm, a square root, a reciprocal or a
 * divisor. int8 keeps one absolute step for a whole tensor, so the small values of a wide range
 * (the quiet bins of a spectrum, a small variance) round to zero or near it, and log(0) is −∞.
 * Audio front ends (magnitude → log-mel) and hand-written normalizations are where this happens.
 *
 * From each such input the analysis walks back through elementwise arithmetic and data movement
 * to the weighted node (Conv, MatMul, …) that produced the value; every node on the way, and that
 * weighted node, stays float. A reduction ends the walk: a mean or a sum over many values (the
 * variance of a normalization) does not keep the small entries of its input.
 */
import type { ModelProto, NodeProto } from '../onnx/codec';
import { allGraphs, isDefaultDomainNode } from './graph';

/** Operators whose result magnifies an error in (some of) their inputs near zero: op → input slots. */
const MAGNIFYING_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Log: [0],
  Sqrt: [0],
  Reciprocal: [0],
  Div: [1],
};

/** Elementwise arithmetic and data movement: a value read through them keeps its small entries. */
const PASS_THROUGH = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Sqrt',
  'Abs',
  'Neg',
  'Clip',
  'Relu',
  'Max',
  'Min',
  'Identity',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Slice',
  'Concat',
  'Pad',
  'Split',
  'Expand',
  'Tile',
]);

/** Where walking back stops: the node that made the value is weighted, and stays float too. */
const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface Magnified {
  /** Nodes that stay float → why. */
  nodes: Map<NodeProto, string>;
  /** Values that get no Q/DQ (whoever reads them) → why. */
  values: Map<string, string>;
}

/** Every node whose output reaches a magnifying input through elementwise ops, and the values on the way. */
export function magnifiedNodes(model: ModelProto): Magnified {
  const producer = new Map<string, NodeProto>();
  const entries = allGraphs(model);
  const stored = new Set<string>();
  for (const { graph } of entries) {
    for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) producer.set(o, node);
    for (const t of graph.initializer ?? []) if (t.name) stored.add(t.name);
  }
  const found = new Map<NodeProto, string>();
  const values = new Map<string, string>();
  for (const { graph } of entries) {
    for (const sink of graph.node ?? []) {
      const slots = isDefaultDomainNode(sink) ? MAGNIFYING_INPUTS[sink.op_type ?? ''] : undefined;
      if (!slots) continue;
      const why =
        `its output flows into ${sink.op_type} "${sink.name ?? ''}", which magnifies the int8 rounding of small values` +
        (sink.op_type === 'Log' ? ' (log 0 = −∞)' : '');
      const stack = slots.map((slot) => (sink.input ?? [])[slot]).filter((n): n is string => !!n);
      const seen = new Set<string>();
      while (stack.length > 0) {
        const name = stack.pop() as string;
        if (seen.has(name)) continue;
        seen.add(name);
        // Stored constants are quantized (or not) for each reader on its own.
        if (!values.has(name) && !stored.has(name)) values.set(name, why);
        const node = producer.get(name);
        if (!node || !isDefaultDomainNode(node) || found.has(node)) continue;
        const op = node.op_type ?? '';
        if (WEIGHTED.has(op)) found.set(node, why);
        else if (PASS_THROUGH.has(op)) {
          found.set(node, why);
          for (const input of node.input ?? []) if (input) stack.push(input);
        }
      }
    }
  }
  return { nodes: found, values };
}
