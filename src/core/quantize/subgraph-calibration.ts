/**
 * Values inside If branches made visible to calibration (docs/quantization.md#calibration).
 * onnxruntime returns only main-graph values, so each value a branch computes is carried out of it:
 * the branch gains an output (an Identity of the value), the other branch a matching empty float
 * tensor, and the If node an output that carries whichever branch ran. Branches inside branches are
 * carried out level by level. A run then yields the value when its branch ran and an empty tensor
 * when it did not, so the ranges come from exactly the inputs that took each branch.
 *
 * Loop and Scan bodies are not carried out: a body value changes from one iteration to the next
 * and would have to come out as a scan output, whose shape must not change between iterations.
 */
import type { NameAllocator } from '../onnx/build';
import { AttributeType, DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto, ValueInfoProto } from '../onnx/codec';
import { makeTensor } from '../onnx/tensor';
import { allGraphs, cloneModel, isDefaultDomainNode, makeNode, nameAllocatorFor, subgraphsOf } from './graph';

export interface ExposedTensors {
  /** A copy of the model with the values as main-graph outputs. */
  model: ModelProto;
  /** The main-graph output that carries each value (a value of the main graph carries itself). */
  outputFor: Map<string, string>;
}

interface Carrying {
  names: NameAllocator;
  /** Per graph, the values (original or already carried out of a nested If) to carry out of it. */
  wanted: Map<GraphProto, string[]>;
  /** Carried name → the value it carries. */
  origin: Map<string, string>;
}

function floatOutput(name: string): ValueInfoProto {
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT } } };
}

/**
 * A copy of `model` in which each float value of `tensors` can be fetched as a main-graph output.
 * Values of the main graph, and graph inputs, are not changed; values in Loop or Scan bodies (or
 * in If branches inside them) have no output.
 */
export function exposeTensors(model: ModelProto, tensors: readonly string[]): ExposedTensors {
  const copy = cloneModel(model);
  const main = copy.graph as GraphProto;
  const definedIn = new Map<string, GraphProto>();
  for (const { graph } of allGraphs(copy)) {
    for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) definedIn.set(o, graph);
    if (graph !== main) for (const v of graph.input ?? []) if (v.name) definedIn.set(v.name, graph);
  }
  const carrying: Carrying = { names: nameAllocatorFor(copy), wanted: new Map(), origin: new Map() };
  for (const name of new Set(tensors)) {
    const graph = definedIn.get(name);
    if (!graph) continue;
    wantedIn(carrying, graph).push(name);
    carrying.origin.set(name, name);
  }
  carryOut(main, carrying);
  const outputFor = new Map<string, string>();
  const outputs = new Set((main.output ?? []).map((o) => o.name ?? ''));
  for (const name of carrying.wanted.get(main) ?? []) {
    outputFor.set(carrying.origin.get(name) ?? name, name);
    if (!outputs.has(name)) {
      outputs.add(name);
      main.output = [...(main.output ?? []), { name }];
    }
  }
  return { model: copy, outputFor };
}

function wantedIn(carrying: Carrying, graph: GraphProto): string[] {
  let list = carrying.wanted.get(graph);
  if (!list) {
    list = [];
    carrying.wanted.set(graph, list);
  }
  return list;
}

/** Carries the wanted values of every If branch inside `graph` out into `graph`, innermost first. */
function carryOut(graph: GraphProto, carrying: Carrying): void {
  for (const node of graph.node ?? []) {
    const bodies = subgraphsOf(node);
    if (bodies.length === 0) continue;
    for (const body of bodies) carryOut(body, carrying);
    if (node.op_type !== 'If' || !isDefaultDomainNode(node)) continue;
    const thenBranch = (node.attribute ?? []).find((a) => a.name === 'then_branch')?.g;
    const elseBranch = (node.attribute ?? []).find((a) => a.name === 'else_branch')?.g;
    if (!thenBranch || !elseBranch) continue;
    const fromThen = carrying.wanted.get(thenBranch) ?? [];
    const fromElse = carrying.wanted.get(elseBranch) ?? [];
    if (fromThen.length + fromElse.length === 0) continue;
    appendOutputs(thenBranch, fromThen, 0, fromElse.length, carrying.names);
    appendOutputs(elseBranch, fromElse, fromThen.length, 0, carrying.names);
    const carried = [...fromThen, ...fromElse].map((name) => {
      const out = carrying.names.fresh(`${name}_calibration`);
      carrying.origin.set(out, carrying.origin.get(name) ?? name);
      return out;
    });
    node.output = [...(node.output ?? []), ...carried];
    wantedIn(carrying, graph).push(...carried);
  }
}

/** `before` empty outputs, an output for each of `values`, then `after` empty outputs. */
function appendOutputs(branch: GraphProto, values: readonly string[], before: number, after: number, names: NameAllocator): void {
  const added: NodeProto[] = [];
  const outputs: ValueInfoProto[] = [];
  const empty = (): void => {
    const name = names.fresh('calibration_empty');
    added.push(
      makeNode('Constant', [], [name], names.fresh('calibration_empty_Constant'), [
        { name: 'value', type: AttributeType.TENSOR, t: makeTensor('', DataType.FLOAT, [0], new Float32Array(0)) },
      ]),
    );
    outputs.push(floatOutput(name));
  };
  for (let i = 0; i < before; i++) empty();
  for (const value of values) {
    const name = names.fresh(`${value}_calibration`);
    added.push(makeNode('Identity', [value], [name], names.fresh(`${value}_calibration_Identity`)));
    outputs.push(floatOutput(name));
  }
  for (let i = 0; i < after; i++) empty();
  branch.node = [...(branch.node ?? []), ...added];
  branch.output = [...(branch.output ?? []), ...outputs];
}
