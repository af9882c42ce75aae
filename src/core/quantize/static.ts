/**
 * Static int8 in QDQ form (quantize_static, QuantFormat.QDQ; docs/quantization.md#int8-static-qdq): calibrate
 * activation ranges on the user's inputs, then put QuantizeLinear → DequantizeLinear pairs on
 * activations and DequantizeLinear after int8 weights and int32 biases. onnxruntime fuses the
 * pattern into QLinearConv / QLinearMatMul at load time on CPU.
 */
import { attrFloat, attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/codec';
import { readTensorNumbers, tensorDims } from '../onnx/tensor';
import { inferenceFlags, isArm, isX86 } from '../hardware/cpu-isa';
import type { QuantizeCpu } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import { calibrate, DEFAULT_HISTOGRAM_BINS, DEFAULT_PERCENTILE, type CalibrationSettings } from './calibrate';
import {
  assertApplicable,
  basicChecks,
  finish,
  isFloat16Model,
  NodeSelection,
  OK,
  prepare,
  refuse,
  skip,
  warnUnknownNames,
  type Workspace,
} from './common';
import { discoverElementTypes, type ElementTypes } from './element-types';
import {
  allGraphs,
  attrs,
  consumersOf,
  graphOutputNames,
  initializerMap,
  makeNode,
  opsetVersion,
  removeInitializerInputs,
  subgraphsOf,
} from './graph';
import type { TensorRange } from './histogram';
import { computeScaleZeroPoint, fullRange, isSignedQuantType, quantRange, roundHalfEven, type ScaleZeroPoint } from './math';
import { preprocess } from './preprocess';
import { Scratch } from './scratch';
import { floatTensor, inlineExternalData, int32Tensor, readWeight, zeroPointTensor } from './tensors';
import type { Applicability, InputSource, ProgressCallback, Transformation, TransformOptions, TransformResult } from './types';
import { WeightStore, type QuantizedWeight } from './weights';

const MIN_OPSET = 10;
const PER_CHANNEL_OPSET = 13;

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** Outputs hold a subset (or a rearrangement) of the input's values: they reuse its scale and zero point. */
const SHARES_INPUT = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Slice', 'MaxPool', 'Resize', 'Pad', 'TopK']);
/** Every float input and output is an activation with its own range. */
const GENERIC = new Set(['Add', 'Mul', 'Sigmoid', 'Softmax', 'Concat', 'LeakyRelu', 'GlobalAveragePool', 'AveragePool']);
const CLIPPING = new Set(['Relu', 'Clip']);
const HANDLED = new Set([...WEIGHTED, ...SHARES_INPUT, ...GENERIC, ...CLIPPING]);

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export interface Int8Types {
  activationType: 'int8' | 'uint8';
  weightType: 'int8' | 'uint8';
  reduceRange: boolean;
  /** Why these, for the report. */
  reason: string;
}

/**
 * ORT's CPU guidance: x86 without VNNI multiplies u8×s8 in 16-bit lanes that can saturate, so
 * uint8 activations with 7-bit weights; with VNNI (AVX512-VNNI or AVX-VNNI) and on ARM, int8 both.
 */
export function chooseInt8Types(cpu: QuantizeCpu | undefined): Int8Types {
  if (!cpu)
    return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'CPU not given: int8 activations and weights' };
  if (isArm(cpu.arch))
    return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'ARM: int8 activations and weights' };
  if (isX86(cpu.arch)) {
    const present = new Set(
      inferenceFlags(cpu.arch, cpu.flags)
        .filter((f) => f.present)
        .map((f) => f.name),
    );
    if (present.has('avx512_vnni') || present.has('avx_vnni')) {
      return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'x86 with VNNI: int8 activations and weights' };
    }
    return {
      activationType: 'uint8',
      weightType: 'int8',
      reduceRange: true,
      reason: 'x86 without VNNI: uint8 activations, int8 weights with reduce_range (avoids u8×s8 saturation)',
    };
  }
  return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: `${cpu.arch}: int8 activations and weights` };
}

interface StaticSettings extends Int8Types {
  perChannel: boolean;
  weightSymmetric: boolean;
  calibration: CalibrationSettings;
}

function settingsFrom(options: Partial<TransformOptions>): StaticSettings {
  const chosen = chooseInt8Types(options.cpu);
  const weightType = options.weightType ?? chosen.weightType;
  const method = options.calibrationMethod ?? 'minmax';
  return {
    activationType: options.activationType ?? chosen.activationType,
    weightType,
    reduceRange: options.reduceRange ?? chosen.reduceRange,
    reason: chosen.reason,
    perChannel: options.perChannel ?? false,
    weightSymmetric: options.symmetric ?? isSignedQuantType(weightType),
    calibration: {
      method,
      movingAverage: method === 'minmax' && (options.movingAverage ?? false),
      bins: options.bins ?? DEFAULT_HISTOGRAM_BINS,
      percentile: options.percentile ?? DEFAULT_PERCENTILE,
    },
  };
}

interface WeightUse {
  node: NodeProto;
  slot: number;
  axis: number | undefined;
}

interface BiasUse {
  node: NodeProto;
  slot: number;
  /** The activation whose scale multiplies the weight's. */
  activation: string;
  weightSlot: number;
  /** Gemm's beta, folded into the values. */
  factor: number;
}

/** Which tensors get Q/DQ, worked out on the main graph before anything is changed. */
class QdqPlan {
  readonly activations = new Set<string>();
  /** Initializer inputs of GENERIC ops: quantized like activations, from their own values. */
  readonly constants = new Map<string, { node: NodeProto; slot: number }[]>();
  readonly weights: WeightUse[] = [];
  readonly biases: BiasUse[] = [];
  readonly shares = new Map<string, string>();
  /** Relu/Clip input → output whose range it takes. */
  readonly rangeFromOutput = new Map<string, string>();
  readonly fixedRanges = new Map<string, TensorRange>();
  readonly removable = new Set<NodeProto>();
  readonly quantizedNodes = new Set<NodeProto>();

  constructor(
    private readonly graph: GraphProto,
    private readonly types: ElementTypes,
    private readonly settings: StaticSettings,
    private readonly selection: NodeSelection,
    private readonly ws: Workspace,
  ) {}

  private readonly initializers = new Map<string, TensorProto>();

  /** Quantized MatMuls whose two inputs are both computed at run time (attention's QKᵀ and PV). */
  activationProducts(): string[] {
    return [...this.quantizedNodes]
      .filter((n) => n.op_type === 'MatMul' && (n.input ?? []).slice(0, 2).every((i) => this.activations.has(i)))
      .map((n) => n.name ?? '');
  }

  build(): void {
    for (const [name, tensor] of initializerMap(this.graph)) this.initializers.set(name, tensor);
    const consumers = consumersOf(this.graph);
    const outputs = graphOutputNames(this.graph);
    for (const node of this.graph.node ?? []) this.markDirect(node);
    for (const node of this.graph.node ?? []) this.markFollowing(node, consumers, outputs);
  }

  private isFloat(name: string | undefined): name is string {
    return !!name && this.types.get(name) === DataType.FLOAT;
  }

  private floatInitializer(name: string | undefined): TensorProto | undefined {
    if (!name) return undefined;
    const t = this.initializers.get(name);
    return t && t.data_type === DataType.FLOAT ? t : undefined;
  }

  private refused(node: NodeProto): boolean {
    const why = this.selection.refusal(node);
    if (why) skip(this.ws.report, node, why);
    return why !== undefined;
  }

  private markDirect(node: NodeProto): void {
    const op = node.op_type ?? '';
    if ((node.domain && node.domain !== 'ai.onnx') || !(WEIGHTED.has(op) || GENERIC.has(op))) return;
    if (this.refused(node)) return;
    const inputs = node.input ?? [];
    const [output] = node.output ?? [];
    if (!this.isFloat(output)) return;
    if (op === 'Conv' || op === 'ConvTranspose') {
      const [x, w, b] = inputs;
      if (!this.isFloat(x) || !this.floatInitializer(w)) {
        skip(this.ws.report, node, 'the weight is computed at run time');
        return;
      }
      const group = attrInt(node, 'group', 1);
      const axis = !this.settings.perChannel ? undefined : op === 'Conv' ? 0 : group === 1 ? 1 : undefined;
      this.activations.add(x);
      this.weights.push({ node, slot: 1, axis });
      if (b && this.floatInitializer(b)) this.biases.push({ node, slot: 2, activation: x, weightSlot: 1, factor: 1 });
      this.activations.add(output);
    } else if (op === 'Gemm') {
      const [a, b, c] = inputs;
      if (!this.isFloat(a) || !this.isFloat(b)) return;
      this.activations.add(a);
      const weight = this.floatInitializer(b);
      const transB = attrInt(node, 'transB', 0) === 1;
      if (weight) {
        const dims = tensorDims(weight);
        this.weights.push({ node, slot: 1, axis: this.settings.perChannel && dims.length === 2 ? (transB ? 0 : 1) : undefined });
        const columns = dims[transB ? 0 : 1];
        const bias = this.floatInitializer(c);
        if (bias && tensorDims(bias).length === 1 && tensorDims(bias)[0] === columns) {
          this.biases.push({ node, slot: 2, activation: a, weightSlot: 1, factor: attrFloat(node, 'beta', 1) });
        }
      } else {
        this.activations.add(b);
      }
      this.activations.add(output);
    } else if (op === 'MatMul') {
      inputs.forEach((name, slot) => {
        if (!this.isFloat(name)) return;
        const weight = this.floatInitializer(name);
        if (weight) {
          const perChannel = this.settings.perChannel && slot === 1 && tensorDims(weight).length === 2;
          this.weights.push({ node, slot, axis: perChannel ? 1 : undefined });
        } else {
          this.activations.add(name);
        }
      });
      this.activations.add(output);
    } else {
      inputs.forEach((name, slot) => {
        if (!this.isFloat(name)) return;
        if (this.floatInitializer(name)) {
          const uses = this.constants.get(name) ?? [];
          uses.push({ node, slot });
          this.constants.set(name, uses);
        } else {
          this.activations.add(name);
        }
      });
      for (const o of node.output ?? []) if (this.isFloat(o)) this.activations.add(o);
      if (op === 'Softmax') this.fixedRanges.set(output, { min: 0, max: 1 });
    }
    this.quantizedNodes.add(node);
  }

  /** Relu/Clip and data-movement ops follow a quantized input (one pass: nodes are in topological order). */
  private markFollowing(node: NodeProto, consumers: Map<string, { node: NodeProto }[]>, outputs: Set<string>): void {
    const op = node.op_type ?? '';
    if ((node.domain && node.domain !== 'ai.onnx') || !(SHARES_INPUT.has(op) || CLIPPING.has(op))) return;
    const [input] = node.input ?? [];
    const [output] = node.output ?? [];
    if (!input || !this.activations.has(input) || !this.isFloat(output)) return;
    if (this.refused(node)) return;
    this.activations.add(output);
    this.quantizedNodes.add(node);
    if (SHARES_INPUT.has(op)) {
      this.shares.set(output, input);
      return;
    }
    const onlyReader = (consumers.get(input) ?? []).length === 1 && !outputs.has(input);
    if (!onlyReader) return;
    this.rangeFromOutput.set(input, output);
    // With asymmetric activations the Q of the input already clips below at 0: the node is redundant.
    if (!outputs.has(output) && (op === 'Relu' || this.clipsAtZero(node))) this.removable.add(node);
  }

  private clipsAtZero(node: NodeProto): boolean {
    const minName = (node.input ?? [])[1];
    if (minName) {
      const t = this.initializers.get(minName);
      if (!t) return false;
      return readTensorNumbers(t)[0] === 0;
    }
    // Clip before opset 11 keeps min as an attribute; absent min means no lower bound.
    return (node.attribute ?? []).some((a) => a.name === 'min' && a.f === 0);
  }
}

class QdqWriter {
  private readonly weightStore: WeightStore;
  private readonly params = new Map<string, ScaleZeroPoint>();
  /** DequantizeLinear output of each quantized weight → that weight (biases need its scales). */
  private readonly weightByOutput = new Map<string, QuantizedWeight>();
  /** Relu/Clip nodes folded into the Q/DQ of their input. */
  removedNodes = 0;

  constructor(
    private readonly ws: Workspace,
    private readonly plan: QdqPlan,
    private readonly settings: StaticSettings,
    private readonly ranges: Map<string, TensorRange>,
    private readonly options: TransformOptions,
  ) {
    this.weightStore = new WeightStore(ws.names, options.external);
  }

  private get graph(): GraphProto {
    return this.ws.model.graph as GraphProto;
  }

  /** Scale and zero point of an activation, following shared parameters to their source. */
  private paramsOf(name: string): ScaleZeroPoint {
    const known = this.params.get(name);
    if (known) return known;
    const source = this.plan.shares.get(name);
    let result: ScaleZeroPoint;
    if (source) result = this.paramsOf(source);
    else {
      const rangeName = this.plan.rangeFromOutput.get(name) ?? name;
      const range = this.plan.fixedRanges.get(rangeName) ?? this.ranges.get(rangeName);
      if (!range) throw new InferscopeError('INTERNAL', `No calibrated range for ${name}.`);
      result = computeScaleZeroPoint(range.min, range.max, quantRange(this.settings.activationType), { symmetric: false });
    }
    this.params.set(name, result);
    return result;
  }

  write(): void {
    // Parameters are fixed before any value is renamed.
    for (const name of this.plan.activations) this.paramsOf(name);
    this.removeRedundantActivations();
    const outputs = graphOutputNames(this.graph);
    const added: NodeProto[] = [];
    for (const name of this.plan.activations) added.push(...this.quantizeActivation(name, outputs));
    for (const [name, uses] of this.plan.constants) added.push(...this.quantizeConstant(name, uses));
    const weightDq = new Map<string, string>();
    for (const use of this.plan.weights) {
      const name = (use.node.input ?? [])[use.slot] as string;
      const quantized = this.quantizeWeight(name, use.axis);
      let dq = weightDq.get(quantized.quantized);
      if (!dq) {
        dq = this.ws.names.fresh(`${name}_DequantizeLinear_Output`);
        added.push(
          makeNode(
            'DequantizeLinear',
            [quantized.quantized, quantized.scale, quantized.zeroPoint],
            [dq],
            this.ws.names.fresh(`${name}_DequantizeLinear`),
            quantized.axis !== undefined ? [attrs.int('axis', quantized.axis)] : [],
          ),
        );
        weightDq.set(quantized.quantized, dq);
        this.weightByOutput.set(dq, quantized);
      }
      (use.node.input as string[])[use.slot] = dq;
    }
    for (const bias of this.plan.biases) added.push(...this.quantizeBias(bias));
    this.graph.node = [...(this.graph.node ?? []), ...added];
  }

  private quantizeWeight(name: string, axis: number | undefined): QuantizedWeight {
    const tensor = initializerMap(this.graph).get(name) as TensorProto;
    return this.weightStore.get({
      name,
      tensor,
      graph: this.graph,
      axis,
      type: this.settings.weightType,
      // Per-channel weights are always symmetric.
      symmetric: axis !== undefined ? true : this.settings.weightSymmetric,
      reduceRange: this.settings.reduceRange,
    });
  }

  /**
   * Relu/Clip whose input's Q/DQ already clips at zero: readers of the output read the input.
   * Only when the zero point sits at the bottom of the range (calibrated minimum ≥ 0); a
   * symmetric range (percentile calibration) would let negative values through.
   */
  private removeRedundantActivations(): void {
    const bottom = fullRange(this.settings.activationType).qmin;
    for (const node of this.plan.removable) {
      const input = (node.input ?? [])[0] as string;
      const output = (node.output ?? [])[0] as string;
      if (this.paramsOf(output).zeroPoint !== bottom) continue;
      this.removedNodes++;
      this.graph.node = (this.graph.node ?? []).filter((n) => n !== node);
      replaceReads(this.graph, output, input);
      this.plan.activations.delete(output);
      for (const [out, source] of this.plan.shares) if (source === output) this.plan.shares.set(out, input);
    }
  }

  private quantizeActivation(name: string, outputs: Set<string>): NodeProto[] {
    const { scale, zeroPoint } = this.paramsOf(name);
    const scaleName = this.ws.names.fresh(`${name}_scale`);
    const zeroPointName = this.ws.names.fresh(`${name}_zero_point`);
    this.graph.initializer = [
      ...(this.graph.initializer ?? []),
      floatTensor(scaleName, [], [scale]),
      zeroPointTensor(zeroPointName, this.settings.activationType, [zeroPoint], []),
    ];
    const quantized = this.ws.names.fresh(`${name}_QuantizeLinear_Output`);
    const isInput = (this.graph.input ?? []).some((i) => i.name === name);
    let source = name;
    let dequantized: string;
    if (outputs.has(name) && !isInput) {
      // A graph output keeps its name: the producer writes a new name and the DQ writes the output.
      source = this.ws.names.fresh(`${name}_QuantizeLinear_Input`);
      for (const node of this.graph.node ?? []) node.output = (node.output ?? []).map((o) => (o === name ? source : o));
      dequantized = name;
    } else {
      dequantized = this.ws.names.fresh(`${name}_DequantizeLinear_Output`);
      for (const node of this.graph.node ?? []) node.input = (node.input ?? []).map((i) => (i === name ? dequantized : i));
    }
    return [
      makeNode('QuantizeLinear', [source, scaleName, zeroPointName], [quantized], this.ws.names.fresh(`${name}_QuantizeLinear`)),
      makeNode('DequantizeLinear', [quantized, scaleName, zeroPointName], [dequantized], this.ws.names.fresh(`${name}_DequantizeLinear`)),
    ];
  }

  private quantizeConstant(name: string, uses: { node: NodeProto; slot: number }[]): NodeProto[] {
    const tensor = initializerMap(this.graph).get(name) as TensorProto;
    const q = this.weightStore.get({
      name,
      tensor,
      graph: this.graph,
      axis: undefined,
      type: this.settings.activationType,
      symmetric: false,
      reduceRange: false,
    });
    const dq = this.ws.names.fresh(`${name}_DequantizeLinear_Output`);
    for (const { node, slot } of uses) (node.input as string[])[slot] = dq;
    return [makeNode('DequantizeLinear', [q.quantized, q.scale, q.zeroPoint], [dq], this.ws.names.fresh(`${name}_DequantizeLinear`))];
  }

  /** int32 bias with scale s_in·s_w[c] and zero point 0; one copy per node that reads it. */
  private quantizeBias(bias: BiasUse): NodeProto[] {
    const name = (bias.node.input ?? [])[bias.slot] as string;
    const tensor = initializerMap(this.graph).get(name);
    if (!tensor) return [];
    const inputScale = this.paramsOf(bias.activation).scale;
    const weightName = (bias.node.input ?? [])[bias.weightSlot] as string;
    const weight = this.weightByOutput.get(weightName);
    if (!weight) return [];
    const values = readWeight(tensor, this.options.external);
    const perChannel = weight.scales.length > 1;
    const scales = Float32Array.from(perChannel ? weight.scales : [weight.scales[0] as number], (s) => Math.fround(inputScale * s));
    const quantized = new Int32Array(values.length);
    for (let c = 0; c < values.length; c++) {
      const s = scales[perChannel ? c : 0] as number;
      // float32 division as numpy does it on float32 arrays, then half-to-even.
      const q = s > 0 ? roundHalfEven(Math.fround(Math.fround((values[c] as number) * bias.factor) / s)) : 0;
      quantized[c] = Math.min(INT32_MAX, Math.max(INT32_MIN, q));
    }
    const base = name;
    const qName = this.ws.names.fresh(`${base}_quantized`);
    const scaleName = this.ws.names.fresh(`${base}_quantized_scale`);
    const zeroPointName = this.ws.names.fresh(`${base}_quantized_zero_point`);
    const scaleDims = perChannel ? [scales.length] : [];
    this.graph.initializer = [
      ...(this.graph.initializer ?? []),
      int32Tensor(qName, tensorDims(tensor), quantized),
      floatTensor(scaleName, scaleDims, scales),
      int32Tensor(zeroPointName, scaleDims, new Int32Array(scales.length)),
    ];
    // Sole reader: the DQ takes over the bias's name. Shared: each reader gets its own copy.
    const readers = consumersOf(this.graph).get(name) ?? [];
    let output: string;
    if (readers.length === 1) {
      this.graph.initializer = (this.graph.initializer ?? []).filter((t) => t.name !== name);
      removeInitializerInputs(this.graph, [name]);
      output = name;
    } else {
      output = this.ws.names.fresh(`${base}_DequantizeLinear_Output`);
      (bias.node.input as string[])[bias.slot] = output;
    }
    if (bias.factor !== 1) {
      bias.node.attribute = (bias.node.attribute ?? []).map((a) => (a.name === 'beta' ? attrs.float('beta', 1) : a));
    }
    return [
      makeNode(
        'DequantizeLinear',
        [qName, scaleName, zeroPointName],
        [output],
        this.ws.names.fresh(`${base}_DequantizeLinear`),
        perChannel ? [attrs.int('axis', 0)] : [],
      ),
    ];
  }
}

function replaceReads(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map((n) => (n === from ? to : n));
    for (const sub of subgraphsOf(node)) replaceReads(sub, from, to);
  }
}

function activationsWithSeveralReaders(graph: GraphProto, activations: Set<string>): number {
  const consumers = consumersOf(graph);
  let count = 0;
  for (const name of activations) if ((consumers.get(name) ?? []).length > 1) count++;
  return count;
}

function hasCandidates(model: ModelProto): boolean {
  return (model.graph?.node ?? []).some((n) => WEIGHTED.has(n.op_type ?? '') && (!n.domain || n.domain === 'ai.onnx'));
}

function reportSubgraphNodes(ws: Workspace): void {
  for (const { graph, owner } of allGraphs(ws.model)) {
    if (!owner) continue;
    for (const node of graph.node ?? []) {
      if (HANDLED.has(node.op_type ?? '')) skip(ws.report, node, `inside a ${owner.op_type} body: calibration cannot observe it`);
    }
  }
}

export const int8Static: Transformation = {
  mode: 'int8-static',
  title: 'int8 (static, QDQ)',

  canApply(model: ModelProto, options?: Partial<TransformOptions>): Applicability {
    const basic = basicChecks(model, MIN_OPSET, 'Static int8 quantization (QuantizeLinear/DequantizeLinear)');
    if (!basic.ok) return basic;
    if (isFloat16Model(model)) return refuse('The model is already fp16: calibrate and quantize the fp32 model instead.');
    if (!hasCandidates(model)) return refuse('The model has no Conv, ConvTranspose, Gemm or MatMul to quantize.');
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
    const settings = settingsFrom(options);
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

/** The QDQ plan, calibration and rewrite, on the pre-processed model. */
async function quantizeStatic(
  ws: Workspace,
  settings: StaticSettings,
  options: TransformOptions & { calibrationData: InputSource },
  scratch: Scratch,
  onProgress?: ProgressCallback,
): Promise<TransformResult> {
  // Pre-processing keeps node names of surviving nodes; include/exclude lists still apply.
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
  const types = await discoverElementTypes(ws.model);
  const selection = new NodeSelection(options);
  const plan = new QdqPlan(ws.model.graph as GraphProto, types, settings, selection, ws);
  plan.build();
  reportSubgraphNodes(ws);
  const calibrated = [...plan.activations].filter((n) => !plan.shares.has(n) && !plan.fixedRanges.has(n));
  onProgress?.({ stage: 'calibrate', message: `${calibrated.length} tensors` });
  const { ranges, batches } = await calibrate(ws.model, calibrated, options.calibrationData, settings.calibration, {
    external: options.external,
    onProgress,
    scratch,
  });
  ws.report.settings.calibrationBatches = batches;
  onProgress?.({ stage: 'quantize' });
  const sharedReaders = activationsWithSeveralReaders(ws.model.graph as GraphProto, plan.activations);
  const attention = plan.activationProducts();
  if (attention.length > 0) {
    ws.report.warnings.push(
      `${attention.length} MatMuls multiply two run-time tensors (attention scores and context: ` +
        `${attention.slice(0, 3).join(', ')}${attention.length > 3 ? ', …' : ''}). Static int8 inside attention usually costs ` +
        `accuracy; dynamic int8 is the usual choice for transformers, or exclude these nodes.`,
    );
  }
  const writer = new QdqWriter(ws, plan, settings, ranges, options);
  writer.write();
  ws.report.nodesQuantized = plan.quantizedNodes.size;
  ws.report.settings.foldedActivations = writer.removedNodes;
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
