/**
 * Lifting an old ONNX model to IR version 8 and default-domain opset 13, the versions Inferscope's
 * int8 quantizer needs (per-channel QDQ from opset 13, DynamicQuantizeLinear from 11). Trained
 * models often come as IR 3 (weights also listed as graph inputs) and opset 7–12: each operator
 * whose meaning or signature changed since the model's opset is rewritten so that it computes
 * the same thing at opset 13, in the main graph and in every If/Loop/Scan body. An operator that
 * cannot be kept exact is refused (UPGRADE_UNSUPPORTED), naming the node.
 *
 * Pure: the input model is never modified. Nothing is ever downgraded: a model already at opset
 * 13 or later keeps its opset and its operators; other domains (ai.onnx.ml, com.microsoft) are
 * left as they are.
 */
import { InferscopeError } from '../../../shared/errors';
import { cloneModel, irVersion, nameAllocatorFor, opsetVersion } from '../../quantize/graph';
import type { GraphProto, ModelProto, NodeProto } from '../codec';
import { nodeShapes, upgradeGraph } from './graphs';
import type { UpgradeChange } from './context';

export type { UpgradeChange } from './context';

export const UPGRADE_TARGET_OPSET = 13;
export const UPGRADE_TARGET_IR = 8;

export interface UpgradePlan {
  fromIr: number;
  fromOpset: number;
  toIr: number;
  toOpset: number;
  /** One line per converted node. */
  changes: UpgradeChange[];
  /** Graph inputs dropped because an initializer of the same name gives their value. */
  removedInitializerInputs: number;
}

/** True when the model is IR < 4 (initializers doubling as inputs) or its default-domain opset is below `minimumOpset`. */
export function needsUpgrade(model: ModelProto, minimumOpset = UPGRADE_TARGET_OPSET): boolean {
  if (irVersion(model) < 4) return true;
  const opset = opsetVersion(model, '');
  return opset !== undefined && opset < minimumOpset;
}

/**
 * From IR 4 on, an initializer stands alone; one also listed as a graph input is a value the
 * caller could replace, which keeps onnxruntime from folding it. Such inputs are dropped.
 */
function dropInitializerInputs(graph: GraphProto): number {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? '').filter(Boolean));
  const inputs = graph.input ?? [];
  graph.input = inputs.filter((i) => !initializers.has(i.name ?? ''));
  return inputs.length - graph.input.length;
}

function hasDefaultDomainNodes(nodes: readonly NodeProto[] | null | undefined): boolean {
  return (nodes ?? []).some((n) => !n.domain || n.domain === 'ai.onnx');
}

export function upgradeModel(model: ModelProto): { model: ModelProto; plan: UpgradePlan } {
  const copy = cloneModel(model);
  const graph = copy.graph;
  if (!graph) throw new InferscopeError('UPGRADE_UNSUPPORTED', 'The model has no graph to upgrade.');
  const fromIr = irVersion(model);
  const declared = opsetVersion(model, '');
  const fromOpset = declared ?? UPGRADE_TARGET_OPSET;
  const toOpset = Math.max(fromOpset, UPGRADE_TARGET_OPSET);
  const toIr = Math.max(fromIr, UPGRADE_TARGET_IR);
  const removedInitializerInputs = dropInitializerInputs(graph);
  const changes: UpgradeChange[] = [];
  if (declared === undefined && hasDefaultDomainNodes(graph.node)) {
    throw new InferscopeError('UPGRADE_UNSUPPORTED', 'The model uses ONNX operators but imports no ONNX opset.');
  }
  if (fromOpset < UPGRADE_TARGET_OPSET) {
    if ((copy.functions ?? []).some((f) => hasDefaultDomainNodes(f.node))) {
      throw new InferscopeError('UPGRADE_UNSUPPORTED', `The model defines functions at opset ${fromOpset}, which are not converted.`);
    }
    const run = {
      opset: fromOpset,
      target: UPGRADE_TARGET_OPSET,
      names: nameAllocatorFor(copy),
      shapes: nodeShapes(graph, fromOpset),
      changes,
    };
    upgradeGraph(graph, run);
    copy.opset_import = (copy.opset_import ?? []).map((o) =>
      !o.domain || o.domain === 'ai.onnx' ? { ...o, version: UPGRADE_TARGET_OPSET } : o,
    );
  }
  copy.ir_version = toIr;
  return { model: copy, plan: { fromIr, fromOpset, toIr, toOpset, changes, removedInitializerInputs } };
}
