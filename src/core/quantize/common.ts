/**
 * Steps every transformation shares: preparing a working copy, choosing nodes by the user's
 * include/exclude lists, refusing with a reason, and leaving a clean, sorted graph behind.
 */
import type { SkippedNode } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import type { NameAllocator } from '../onnx/build';
import { DataType } from '../onnx/codec';
import type { ModelProto, NodeProto } from '../onnx/codec';
import {
  allGraphs,
  cloneModel,
  constantsToInitializers,
  irVersion,
  nameAllocatorFor,
  nameUnnamedNodes,
  opsetVersion,
  removeUnusedInitializers,
  sortAllGraphs,
} from './graph';
import type { Applicability, TransformReport } from './types';

export const OK: Applicability = { ok: true };

export function refuse(reason: string): Applicability {
  return { ok: false, reason };
}

/** Throws the refusal as a coded error (apply never writes a model it cannot stand behind). */
export function assertApplicable(result: Applicability): void {
  if (!result.ok) throw new InferscopeError('QUANTIZE_UNSUPPORTED', result.reason);
}

export interface Workspace {
  model: ModelProto;
  names: NameAllocator;
  report: TransformReport;
}

/** A copy of the model ready for surgery: Constant weights as initializers, every node named. */
export function prepare(model: ModelProto): Workspace {
  const copy = cloneModel(model);
  constantsToInitializers(copy);
  const names = nameAllocatorFor(copy);
  nameUnnamedNodes(copy, names);
  return { model: copy, names, report: { nodesQuantized: 0, settings: {}, skipped: [], warnings: [] } };
}

/** Unused initializers gone, every graph in topological order. */
export function finish(workspace: Workspace): ModelProto {
  removeUnusedInitializers(workspace.model);
  sortAllGraphs(workspace.model);
  return workspace.model;
}

export function skip(report: TransformReport, node: NodeProto, reason: string): void {
  const entry: SkippedNode = { node: node.name ?? '', opType: node.op_type ?? '', reason };
  report.skipped.push(entry);
}

/** The user's include/exclude lists (node names). An empty include list means "everything". */
export class NodeSelection {
  private readonly include: Set<string> | undefined;
  private readonly exclude: Set<string>;

  constructor(options: { include?: readonly string[] | undefined; exclude?: readonly string[] | undefined }) {
    this.include = options.include && options.include.length > 0 ? new Set(options.include) : undefined;
    this.exclude = new Set(options.exclude ?? []);
  }

  /** Why the node must stay as it is, or undefined when the user lets it be transformed. */
  refusal(node: NodeProto): string | undefined {
    const name = node.name ?? '';
    if (this.exclude.has(name)) return 'excluded by the user';
    if (this.include && !this.include.has(name)) return 'not in the include list';
    return undefined;
  }

  /** Names in the lists that match no node: most likely typos, worth a warning. */
  unknownNames(model: ModelProto): string[] {
    const present = new Set<string>();
    for (const { graph } of allGraphs(model)) for (const node of graph.node ?? []) if (node.name) present.add(node.name);
    return [...(this.include ?? []), ...this.exclude].filter((n) => !present.has(n));
  }
}

export function warnUnknownNames(selection: NodeSelection, model: ModelProto, report: TransformReport): void {
  const unknown = selection.unknownNames(model);
  if (unknown.length > 0) {
    report.warnings.push(`No node is called ${unknown.map((n) => `"${n}"`).join(', ')} (include/exclude lists match node names exactly).`);
  }
}

/** The element types the model's floats use: its weights and its main-graph interface. */
export function floatTypesOf(model: ModelProto): Set<number> {
  const found = new Set<number>();
  const note = (t: number | null | undefined) => {
    if (t === DataType.FLOAT || t === DataType.FLOAT16 || t === DataType.BFLOAT16 || t === DataType.DOUBLE) found.add(t);
  };
  for (const { graph } of allGraphs(model)) {
    for (const t of graph.initializer ?? []) note(t.data_type);
    for (const node of graph.node ?? []) for (const a of node.attribute ?? []) if (a.t) note(a.t.data_type);
  }
  for (const v of [...(model.graph?.input ?? []), ...(model.graph?.output ?? [])]) note(v.type?.tensor_type?.elem_type);
  return found;
}

export function isFloat16Model(model: ModelProto): boolean {
  return floatTypesOf(model).has(DataType.FLOAT16);
}

/** Checks every mode shares: a graph, an IR version that lets initializers stand alone, an opset. */
export function basicChecks(model: ModelProto, minimumOpset: number, what: string): Applicability {
  if (!model.graph) return refuse('The model has no graph.');
  if (irVersion(model) < 4) {
    return refuse(
      `The model uses ONNX IR version ${irVersion(model)}; ${what} needs IR version 4 or newer (re-export the model with a ` +
        `current exporter).`,
    );
  }
  const opset = opsetVersion(model);
  if (opset === undefined) return refuse('The model imports no ONNX opset.');
  if (opset < minimumOpset) {
    return refuse(
      `${what} needs opset ${minimumOpset} or newer; this model uses opset ${opset}. Re-export it at opset ${minimumOpset}+ ` +
        `(changing the number alone is not safe: operators changed between versions).`,
    );
  }
  return OK;
}
