/**
 * The last step of fp16 conversion: Casts that do nothing (to the type a value already has) and
 * float↔float Cast pairs that come back to where they started are removed, in every graph.
 */
import { attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto } from '../onnx/codec';
import type { ElementTypes } from './element-types';
import { allGraphs, graphOutputNames, isDefaultDomainNode, subgraphsOf } from './graph';

/**
 * Casts that do nothing (to the type the value already has) and Cast pairs that come back to
 * where they started are removed, in every graph. Outputs of a graph are never renamed.
 */
export function removeRedundantCasts(model: ModelProto, types: ElementTypes): number {
  let removed = 0;
  for (const { graph } of allGraphs(model)) {
    const outputs = graphOutputNames(graph);
    let changed = true;
    while (changed) {
      changed = false;
      const producers = new Map<string, NodeProto>();
      const readers = new Map<string, number>();
      for (const node of graph.node ?? []) {
        for (const o of node.output ?? []) if (o) producers.set(o, node);
        for (const i of node.input ?? []) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
        for (const sub of subgraphsOf(node)) countReads(sub, readers);
      }
      for (const node of graph.node ?? []) {
        if (node.op_type !== 'Cast' || !isDefaultDomainNode(node)) continue;
        const input = (node.input ?? [])[0] ?? '';
        const output = (node.output ?? [])[0] ?? '';
        if (!input || !output || outputs.has(output)) continue;
        const to = attrInt(node, 'to');
        let source: string | undefined;
        if (types.get(input) === to) source = input;
        else {
          const first = producers.get(input);
          const firstSource = first && first.op_type === 'Cast' && isDefaultDomainNode(first) ? (first.input ?? [])[0] : undefined;
          // Only float↔float round trips: int→float→int or float→int→float casts round or truncate on purpose.
          const floats = isFloatType(types.get(input)) && isFloatType(to);
          if (firstSource && floats && types.get(firstSource) === to && readers.get(input) === 1 && !outputs.has(input))
            source = firstSource;
        }
        if (source === undefined) continue;
        replaceReads(graph, output, source);
        graph.node = (graph.node ?? []).filter((n) => n !== node);
        removed++;
        changed = true;
        break;
      }
    }
    // The first Cast of a removed pair now has no readers.
    const read = new Map<string, number>();
    for (const node of graph.node ?? []) {
      for (const i of node.input ?? []) if (i) read.set(i, 1);
      for (const sub of subgraphsOf(node)) countReads(sub, read);
    }
    graph.node = (graph.node ?? []).filter((n) => {
      const dead = n.op_type === 'Cast' && isDefaultDomainNode(n) && (n.output ?? []).every((o) => !read.has(o) && !outputs.has(o));
      if (dead) removed++;
      return !dead;
    });
  }
  return removed;
}

function isFloatType(type: number | undefined): boolean {
  return type === DataType.FLOAT || type === DataType.FLOAT16;
}

function countReads(graph: GraphProto, readers: Map<string, number>): void {
  for (const node of graph.node ?? []) {
    for (const i of node.input ?? []) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
    for (const sub of subgraphsOf(node)) countReads(sub, readers);
  }
  for (const o of graph.output ?? []) if (o.name) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
}

function replaceReads(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map((n) => (n === from ? to : n));
    for (const sub of subgraphsOf(node)) replaceReadsDeep(sub, from, to);
  }
}

function replaceReadsDeep(graph: GraphProto, from: string, to: string): void {
  replaceReads(graph, from, to);
  for (const o of graph.output ?? []) if (o.name === from) o.name = to;
}
