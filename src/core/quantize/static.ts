/**
 * Static int8 in QDQ form (quantize_static, QuantFormat.QDQ; docs/quantization.md#int8-static-qdq): calibrate
 * activation ranges on the user's inputs, then put QuantizeLinear → DequantizeLinear pairs on
 * activations and DequantizeLinear after int8 weights and int32 biases, in the main graph and in
 * every If branch (calibration observes branch values through the If, subgraph-calibration.ts).
 * onnxruntime fuses the pattern into QLinearConv / QLinearMatMul at load time on CPU.
 */
import { isX86 } from '../hardware/cpu-isa';
import type { ModelProto, NodeProto } from '../onnx/codec';
import { InferscopeError } from '../../shared/errors';
import { alreadyQuantizedReason, lowPrecisionFloatReason } from './already-quantized';
import { calibrate } from './calibrate';
import {
  assertApplicable,
  basicChecks,
  finish,
  NodeSelection,
  OK,
  prepare,
  refuse,
  skip,
  warnUnknownNames,
  type Workspace,
} from './common';
import { discoverElementTypes } from './element-types';
import { allGraphs, consumersOf, opsetVersion, type GraphEntry } from './graph';
import { preprocess } from './preprocess';
import { Scratch } from './scratch';
import { bodyOwners, HANDLED, QdqPlan, SharedParameters, unobservableOwner, WEIGHTED } from './static-plan';
import { magnifiedNodes } from './static-sensitive';
import { staticSettingsFrom, type StaticSettings } from './static-settings';
import { ActivationParameters, QdqWriter } from './static-writer';
import { inlineExternalData } from './tensors';
import type { Applicability, InputSource, ProgressCallback, Transformation, TransformOptions, TransformResult } from './types';
import { WeightStore } from './weights';

export { chooseInt8Types, type Int8Types } from './static-settings';

const MIN_OPSET = 10;
const PER_CHANNEL_OPSET = 13;

function activationsWithSeveralReaders(plans: readonly QdqPlan[]): number {
  let count = 0;
  for (const plan of plans) {
    const consumers = consumersOf(plan.graph);
    for (const name of plan.activations) if ((consumers.get(name) ?? []).length > 1) count++;
  }
  return count;
}

function isStandard(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** Why static int8 has nothing to quantize in this model, or undefined when it has. */
function noCandidatesReason(model: ModelProto): string | undefined {
  const entries = allGraphs(model);
  const owners = bodyOwners(entries);
  let blocker: NodeProto | undefined;
  for (const entry of entries) {
    if (!(entry.graph.node ?? []).some((n) => WEIGHTED.has(n.op_type ?? '') && isStandard(n))) continue;
    const unobservable = unobservableOwner(entry, owners);
    if (!unobservable) return undefined;
    blocker ??= unobservable;
  }
  if (blocker) {
    return (
      `The model's Conv, ConvTranspose, Gemm and MatMul nodes are all inside ${blocker.op_type} bodies, whose values ` +
      `calibration cannot observe (they change from one iteration to the next). Use int8-dynamic.`
    );
  }
  return 'The model has no Conv, ConvTranspose, Gemm or MatMul to quantize.';
}

export const int8Static: Transformation = {
  mode: 'int8-static',
  title: 'int8 (static, QDQ)',

  canApply(model: ModelProto, options?: Partial<TransformOptions>): Applicability {
    const basic = basicChecks(model, MIN_OPSET, 'Static int8 quantization (QuantizeLinear/DequantizeLinear)');
    if (!basic.ok) return basic;
    const quantized = alreadyQuantizedReason(model);
    if (quantized) return refuse(quantized);
    const lowPrecision = lowPrecisionFloatReason(model, 'calibrate and quantize the fp32 model instead.');
    if (lowPrecision) return refuse(lowPrecision);
    const nothing = noCandidatesReason(model);
    if (nothing) return refuse(nothing);
    const opset = opsetVersion(model) ?? 0;
    if (options?.perChannel && opset < PER_CHANNEL_OPSET) {
      return refuse(
        `Per-channel QDQ needs opset ${PER_CHANNEL_OPSET} (DequantizeLinear's axis); this model uses opset ${opset}. Use ` +
          `per-tensor or re-export the model.`,
      );
    }
    return OK;
  },

  async apply(model: ModelProto, options: TransformOptions, onProgress?: ProgressCallback): Promise<TransformResult> {
    assertApplicable(this.canApply(model, options));
    const { calibrationData } = options;
    if (!calibrationData) {
      throw new InferscopeError(
        'QUANTIZE_UNSUPPORTED',
        'Static int8 quantization needs calibration inputs (a few representative batches).',
      );
    }
    const settings = staticSettingsFrom(options);
    // Sessions of a model past protobuf's 2 GiB run from files here; the folder goes at the end.
    const scratch = new Scratch(options.scratchAboveBytes);
    try {
      onProgress?.({ stage: 'prepare', message: 'folding constants and batch normalization' });
      const preprocessed = await preprocess(model, options.external, scratch);
      // From here on, weights are read where pre-processing left them.
      const opts = { ...options, calibrationData, external: preprocessed.external };
      const result = await quantizeStatic(prepare(preprocessed.model), settings, opts, scratch, onProgress);
      // The variant must not point into the scratch folder: what stayed external comes inline.
      if (preprocessed.external) result.model = inlineExternalData(result.model, preprocessed.external);
      return result;
    } finally {
      await scratch.dispose();
    }
  },
};

/**
 * One plan per graph calibration can observe: the main graph and If branches (inside other If
 * branches too). Nodes in Loop and Scan bodies are reported and left as they are.
 */
function planGraphs(ws: Workspace, plan: (entry: GraphEntry) => QdqPlan): QdqPlan[] {
  const entries = allGraphs(ws.model);
  const owners = bodyOwners(entries);
  const plans: QdqPlan[] = [];
  for (const entry of entries) {
    const blocker = entry.owner ? unobservableOwner(entry, owners) : undefined;
    if (blocker) {
      for (const node of entry.graph.node ?? []) {
        if (HANDLED.has(node.op_type ?? '') && isStandard(node)) {
          skip(ws.report, node, `inside a ${blocker.op_type} body: calibration cannot observe its values`);
        }
      }
      continue;
    }
    const made = plan(entry);
    made.build();
    plans.push(made);
  }
  return plans;
}

/**
 * Branch plans whose values calibration saw. A branch that no calibration input took has no
 * ranges: its nodes stay float, with the reason.
 */
function keepObserved(plans: readonly QdqPlan[], calibrated: ReadonlySet<string>, observed: ReadonlySet<string>, ws: Workspace): QdqPlan[] {
  let unrun = 0;
  const kept = plans.filter((plan) => {
    const owner = plan.entry.owner;
    if (!owner) return true;
    const needed = [...plan.activations].filter((n) => calibrated.has(n));
    const unseen = needed.filter((n) => !observed.has(n));
    if (unseen.length === 0) return true;
    const ran = needed.some((n) => plan.produced.has(n) && observed.has(n));
    const why = ran
      ? `calibration saw no values of ${unseen[0]} (inside ${owner.op_type} "${owner.name ?? ''}")`
      : `in a branch of ${owner.op_type} "${owner.name ?? ''}" that no calibration input took`;
    for (const node of plan.quantizedNodes) skip(ws.report, node, why);
    if (!ran) unrun += plan.quantizedNodes.size;
    return false;
  });
  if (unrun > 0) {
    ws.report.warnings.push(
      `${unrun} nodes in If branches that no calibration input took stay float: calibration has no ranges for them. ` +
        `Calibrate on inputs that take those branches too to quantize them.`,
    );
  }
  return kept;
}

function reportSettings(ws: Workspace, settings: StaticSettings): void {
  ws.report.settings = {
    activationType: settings.activationType,
    weightType: settings.weightType,
    reduceRange: settings.reduceRange,
    perChannel: settings.perChannel,
    calibrationMethod: settings.calibration.method,
    typesChosenBecause: settings.reason,
  };
  if (settings.calibration.movingAverage) ws.report.settings.movingAverage = true;
  if (settings.calibration.method !== 'minmax') ws.report.settings.bins = settings.calibration.bins;
  if (settings.calibration.method === 'percentile') ws.report.settings.percentile = settings.calibration.percentile;
}

/**
 * What the per-channel option did: `perChannel` says whether any weight got per-channel scales,
 * `perChannelNodes` how many nodes, and a warning names the kinds whose weights stayed per-tensor.
 */
function reportPerChannel(ws: Workspace, plans: readonly QdqPlan[]): void {
  const perTensor = new Map<string, number>();
  let perChannel = 0;
  for (const use of plans.flatMap((p) => p.weights)) {
    if (use.axis !== undefined) perChannel++;
    else {
      const op = use.node.op_type ?? '';
      const kind =
        op === 'ConvTranspose'
          ? 'ConvTranspose with group > 1'
          : use.slot === 0
            ? `${op} with a constant first input`
            : `${op} weights that are not 2-D`;
      perTensor.set(kind, (perTensor.get(kind) ?? 0) + 1);
    }
  }
  ws.report.settings.perChannel = perChannel > 0;
  ws.report.settings.perChannelNodes = perChannel;
  if (perTensor.size > 0) {
    const kinds = [...perTensor].map(([kind, count]) => `${count} ${kind}`).join(', ');
    ws.report.warnings.push(`Some weights stay per-tensor (one scale per weight tensor): ${kinds}.`);
  }
}

/** The QDQ plan, calibration and rewrite, on the pre-processed model. */
async function quantizeStatic(
  ws: Workspace,
  settings: StaticSettings,
  options: TransformOptions & { calibrationData: InputSource },
  scratch: Scratch,
  onProgress?: ProgressCallback,
): Promise<TransformResult> {
  // Pre-processing keeps node names of surviving nodes; include/exclude lists still apply.
  reportSettings(ws, settings);
  const types = await discoverElementTypes(ws.model);
  const selection = new NodeSelection(options);
  const shared = new SharedParameters();
  const keepFloat = magnifiedNodes(ws.model);
  const planned = planGraphs(ws, (entry) => new QdqPlan(entry, types, settings, selection, ws.report, shared, keepFloat));
  const calibrated = new Set<string>();
  for (const plan of planned) {
    for (const n of plan.activations) if (!shared.shares.has(n) && !shared.fixedRanges.has(n)) calibrated.add(n);
  }
  onProgress?.({ stage: 'calibrate', message: `${calibrated.size} tensors` });
  const { ranges, batches, observed } = await calibrate(ws.model, [...calibrated], options.calibrationData, settings.calibration, {
    external: options.external,
    onProgress,
    scratch,
  });
  ws.report.settings.calibrationBatches = batches;
  onProgress?.({ stage: 'quantize' });
  const plans = keepObserved(planned, calibrated, observed, ws);
  const sharedReaders = activationsWithSeveralReaders(plans);
  const attention = plans.flatMap((p) => p.activationProducts());
  if (attention.length > 0) {
    ws.report.warnings.push(
      `${attention.length} MatMuls multiply two run-time tensors (attention scores and context: ` +
        `${attention.slice(0, 3).join(', ')}${attention.length > 3 ? ', …' : ''}). Static int8 inside attention usually costs ` +
        `accuracy; dynamic int8 is the usual choice for transformers, or exclude these nodes.`,
    );
  }
  const params = new ActivationParameters(shared, ranges, settings);
  const weights = new WeightStore(ws.names, options.external);
  const writers = plans.map((plan) => new QdqWriter(ws, plan, settings, params, weights, options));
  // Parameters are fixed before any value is renamed, in every graph.
  for (const writer of writers) writer.fixParameters();
  for (const writer of writers) writer.write();
  ws.report.nodesQuantized = plans.reduce((n, p) => n + p.quantizedNodes.size, 0);
  if (settings.perChannel) reportPerChannel(ws, plans);
  ws.report.settings.foldedActivations = writers.reduce((n, w) => n + w.removedNodes, 0);
  if (allGraphs(ws.model).length > 1) {
    ws.report.settings.subgraphNodesQuantized = plans.filter((p) => p.entry.owner).reduce((n, p) => n + p.quantizedNodes.size, 0);
  }
  const x86 = !options.cpu || isX86(options.cpu.arch);
  if (settings.activationType === 'int8' && x86 && sharedReaders > 0) {
    ws.report.warnings.push(
      `onnxruntime on x86 turns int8 Q/DQ pairs into the uint8 form its fused kernels need only where a tensor has one reader: ` +
        `${sharedReaders} quantized tensors have several, and their readers stay float operators behind DequantizeLinear. ` +
        `activationType 'uint8' fuses everywhere.`,
    );
  }
  warnUnknownNames(selection, ws.model, ws.report);
  onProgress?.({ stage: 'finish' });
  return { model: finish(ws), report: ws.report };
}
