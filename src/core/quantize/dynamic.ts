/**
 * Dynamic int8 (quantize_dynamic, QOperator "IntegerOps"; docs/quantization.md#int8-dynamic): weights are
 * quantized ahead of time, activations at run time by DynamicQuantizeLinear. Written in the
 * exact node pattern ORT fuses at load into DynamicQuantizeMatMul / MatMulIntegerToFloat.
 */
import { attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/codec';
import { tensorDims } from '../onnx/tensor';
import { alreadyQuantizedReason, lowPrecisionFloatReason } from './already-quantized';
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
import {
  allGraphs,
  attrs,
  ensureOpsetImport,
  findInitializer,
  makeNode,
  opsetVersion,
  removeInitializerInputs,
  type GraphEntry,
} from './graph';
import { isSignedQuantType, quantizeArrayPerChannel, type QuantType } from './math';
import { floatTensor, int64Tensor, quantizedTensor, readWeight, zeroPointTensor } from './tensors';
import type { QuantizeOptions } from '../../shared/domain/quantize';
import type { Applicability, ProgressCallback, Transformation, TransformOptions, TransformResult } from './types';
import { gemmAsMatMulRefusal, WeightStore, type QuantizedWeight } from './weights';

const MIN_OPSET = 11;
/** DequantizeLinear's `axis` (per-channel Gather tables) arrived in opset 13. */
const PER_CHANNEL_DQ_OPSET = 13;

const HANDLED = new Set(['MatMul', 'Gemm', 'Conv', 'Gather', 'LSTM']);
/** Why Conv weights keep one scale with the per-channel option on (docs/quantization.md#conv). */
const CONV_PER_TENSOR =
  "Conv weights stay per-tensor in int8-dynamic: onnxruntime's ConvInteger takes a single weight zero point, so one scale " +
  'per output channel needs symmetric int8 weights';
/** com.microsoft, where DynamicQuantizeLSTM lives. */
const CONTRIB_DOMAIN = 'com.microsoft';

interface DynamicSettings {
  weightType: QuantType;
  symmetric: boolean;
  perChannel: boolean;
  reduceRange: boolean;
  /** LSTM → com.microsoft DynamicQuantizeLSTM (ORT's CPU kernel; other providers fall back to it). */
  quantizeLstm: boolean;
}

function settingsFrom(options: Partial<TransformOptions>): DynamicSettings {
  const weightType: QuantType = options.weightType ?? 'int8';
  return {
    weightType,
    symmetric: options.symmetric ?? isSignedQuantType(weightType),
    perChannel: options.perChannel ?? false,
    reduceRange: options.reduceRange ?? false,
    quantizeLstm: options.quantizeLstm ?? false,
  };
}

/** A float32 initializer feeding `input` of the node, visible from its graph. */
function constantFloatInput(entry: GraphEntry, node: NodeProto, input: number) {
  const name = (node.input ?? [])[input];
  if (!name) return undefined;
  const found = findInitializer(entry, name);
  if (!found || found.tensor.data_type !== DataType.FLOAT) return undefined;
  return { name, ...found };
}

function hasCandidates(model: ModelProto, lstm: boolean): boolean {
  for (const entry of allGraphs(model)) {
    for (const node of entry.graph.node ?? []) {
      if (!HANDLED.has(node.op_type ?? '') || (node.domain && node.domain !== 'ai.onnx')) continue;
      if (node.op_type === 'LSTM' && !lstm) continue;
      const weightInput = node.op_type === 'Gather' ? 0 : 1;
      const name = (node.input ?? [])[weightInput];
      if (!name) continue;
      const isConstant =
        findInitializer(entry, name)?.tensor.data_type === DataType.FLOAT ||
        // Constant nodes become initializers when the transformation runs.
        (entry.graph.node ?? []).some((n) => n.op_type === 'Constant' && (n.output ?? [])[0] === name);
      if (isConstant) return true;
    }
  }
  return false;
}

/** The names of a tensor's quantized form: the integer tensor, its scale and its zero point. */
interface QuantizedNames {
  quantized: string;
  scale: string;
  zeroPoint: string;
}

/** The quantized form of an activation, made the first time a node asks for it. */
type ActivationQuantizer = (name: string) => QuantizedNames;

class DynamicQuantizer {
  private readonly weights: WeightStore;
  private readonly selection: NodeSelection;
  /** Weights whose float originals were replaced; taken out of graph.input at the end. */
  private readonly replaced = new Set<string>();
  private readonly perChannelGather: boolean;
  private readonly recurrentWeights = new Map<string, QuantizedNames>();
  private readonly external: TransformOptions['external'];
  /** A com.microsoft op was written: the model must import that domain. */
  usesContribOps = false;
  /** With the per-channel option: nodes whose weights got one scale per output channel. */
  perChannelNodes = 0;
  /** With the per-channel option: why weights stayed per-tensor → how many nodes. */
  readonly perTensorBecause = new Map<string, number>();
  /** Per-channel Conv weights: their scales shaped to broadcast over the output, and one zero point. */
  private readonly convScales = new Map<string, { scale: string; zeroPoint: string }>();

  constructor(
    private readonly ws: Workspace,
    private readonly settings: DynamicSettings,
    options: TransformOptions,
  ) {
    this.weights = new WeightStore(ws.names, options.external);
    this.external = options.external;
    this.selection = new NodeSelection(options);
    this.perChannelGather = settings.perChannel && (opsetVersion(ws.model) ?? 0) >= PER_CHANNEL_DQ_OPSET;
  }

  /** Records whether a quantized node's weights got per-channel scales (only asked with the option on). */
  private notePerChannel(applied: boolean, reason: string): void {
    if (!this.settings.perChannel) return;
    if (applied) this.perChannelNodes++;
    else this.perTensorBecause.set(reason, (this.perTensorBecause.get(reason) ?? 0) + 1);
  }

  run(onProgress?: ProgressCallback): void {
    const entries = allGraphs(this.ws.model);
    const total = entries.reduce((n, e) => n + (e.graph.node ?? []).length, 0);
    let seen = 0;
    for (const entry of entries) {
      const activations = new Map<string, QuantizedNames>();
      const out: NodeProto[] = [];
      for (const node of entry.graph.node ?? []) {
        seen++;
        const replacement = this.quantizeNode(entry, node, activations, out);
        if (!replacement) out.push(node);
        else this.ws.report.nodesQuantized++;
        if (onProgress && seen % 64 === 0) onProgress({ stage: 'quantize', fraction: seen / total });
      }
      entry.graph.node = out;
    }
    if (this.ws.model.graph) removeInitializerInputs(this.ws.model.graph, this.replaced);
    warnUnknownNames(this.selection, this.ws.model, this.ws.report);
  }

  /** Emits the quantized form of `node` into `out` and returns true, or returns false to keep it. */
  private quantizeNode(entry: GraphEntry, node: NodeProto, activations: Map<string, QuantizedNames>, out: NodeProto[]): boolean {
    const op = node.op_type ?? '';
    if (!HANDLED.has(op) || (node.domain && node.domain !== 'ai.onnx')) return false;
    const refusal = this.selection.refusal(node);
    if (refusal) {
      skip(this.ws.report, node, refusal);
      return false;
    }
    // One DynamicQuantizeLinear per activation and graph, shared by every node that reads it.
    const quantizeActivation: ActivationQuantizer = (name) => {
      let q = activations.get(name);
      if (!q) {
        q = {
          quantized: this.ws.names.fresh(`${name}_quantized`),
          scale: this.ws.names.fresh(`${name}_scale`),
          zeroPoint: this.ws.names.fresh(`${name}_zero_point`),
        };
        out.push(
          makeNode('DynamicQuantizeLinear', [name], [q.quantized, q.scale, q.zeroPoint], this.ws.names.fresh(`${name}_QuantizeLinear`)),
        );
        activations.set(name, q);
      }
      return q;
    };

    switch (op) {
      case 'MatMul':
        return this.quantizeMatMul(entry, node, quantizeActivation, out);
      case 'Gemm':
        return this.quantizeGemm(entry, node, quantizeActivation, out);
      case 'Conv':
        return this.quantizeConv(entry, node, quantizeActivation, out);
      case 'Gather':
        return this.quantizeGather(entry, node, out);
      case 'LSTM':
        return this.quantizeLstm(entry, node, out);
      default:
        return false;
    }
  }

  private quantizeMatMul(entry: GraphEntry, node: NodeProto, quantizeActivation: ActivationQuantizer, out: NodeProto[]): boolean {
    const [a, bName] = node.input ?? [];
    const b = constantFloatInput(entry, node, 1);
    if (!a || !bName || !b) {
      skip(this.ws.report, node, 'B is computed at run time: only MatMuls with a constant float32 weight are quantized');
      return false;
    }
    const rank = tensorDims(b.tensor).length;
    if (rank < 2) {
      skip(this.ws.report, node, 'B is a vector');
      return false;
    }
    const weight = this.quantizeWeight(b.name, b.tensor, b.graph, false, this.settings.perChannel && rank === 2 ? 1 : undefined);
    this.notePerChannel(rank === 2, 'MatMul weights of rank 3 or more stay per-tensor');
    this.emitMatMulInteger(node, quantizeActivation(a), weight, (node.output ?? [])[0] ?? '', out);
    return true;
  }

  private quantizeGemm(entry: GraphEntry, node: NodeProto, quantizeActivation: ActivationQuantizer, out: NodeProto[]): boolean {
    const why = gemmAsMatMulRefusal(node);
    const b = constantFloatInput(entry, node, 1);
    const [a, , c] = node.input ?? [];
    if (why || !b || !a) {
      skip(this.ws.report, node, why ?? 'B is computed at run time');
      return false;
    }
    const dims = tensorDims(b.tensor);
    if (dims.length !== 2) {
      skip(this.ws.report, node, 'B is not a matrix');
      return false;
    }
    const transB = attrInt(node, 'transB', 0) === 1;
    const weight = this.quantizeWeight(b.name, b.tensor, b.graph, transB, this.settings.perChannel ? 1 : undefined);
    this.notePerChannel(true, '');
    const y = (node.output ?? [])[0] ?? '';
    // Y = A·B' (+ C): the MatMul writes Y directly when there is no bias.
    const product = c ? this.ws.names.fresh(`${y}_matmul`) : y;
    this.emitMatMulInteger(node, quantizeActivation(a), weight, product, out);
    if (c) out.push(makeNode('Add', [product, c], [y], this.ws.names.fresh(`${node.name ?? 'Gemm'}_bias_add`)));
    return true;
  }

  /**
   * Conv → ConvInteger, Cast, and a multiplication by the input's and the weight's scales. ConvInteger
   * takes a single weight zero point, so per-channel weights need the same zero point in every
   * channel: symmetric int8 weights (zero point 0). Their scales then multiply the output channel by
   * channel, shaped [M, 1, …] to broadcast over the spatial axes.
   */
  private quantizeConv(entry: GraphEntry, node: NodeProto, quantizeActivation: ActivationQuantizer, out: NodeProto[]): boolean {
    const [x, wName, bias] = node.input ?? [];
    const w = constantFloatInput(entry, node, 1);
    if (!x || !wName || !w) {
      skip(this.ws.report, node, 'the weight is computed at run time');
      return false;
    }
    const perChannel = this.settings.perChannel && this.settings.weightType === 'int8' && this.settings.symmetric;
    const weight = this.quantizeWeight(w.name, w.tensor, w.graph, false, perChannel ? 0 : undefined);
    this.notePerChannel(perChannel, CONV_PER_TENSOR);
    const { scale: weightScale, zeroPoint: weightZeroPoint } = perChannel ? this.convChannelScales(weight, w.graph) : weight;
    const y = (node.output ?? [])[0] ?? '';
    const xq = quantizeActivation(x);
    const nodeName = node.name ?? 'Conv';
    const integerOut = this.ws.names.fresh(`${y}_output_quantized`);
    const convInteger = makeNode(
      'ConvInteger',
      [xq.quantized, weight.quantized, xq.zeroPoint, weightZeroPoint],
      [integerOut],
      this.ws.names.fresh(`${nodeName}_quant`),
      (node.attribute ?? []).map((a) => ({ ...a })),
    );
    out.push(convInteger);
    const scaled = bias ? this.ws.names.fresh(`${y}_output_scale_mul_output`) : y;
    this.emitRescale(nodeName, integerOut, xq.scale, weightScale, scaled, out);
    if (bias) {
      const spatial = weight.dims.length - 2;
      const shapeName = this.ws.names.fresh(`${bias}_reshape_shape`);
      entry.graph.initializer = [
        ...(entry.graph.initializer ?? []),
        int64Tensor(shapeName, [2 + spatial], [1, -1, ...Array(spatial).fill(1)]),
      ];
      const reshaped = this.ws.names.fresh(`${bias}_reshape_output`);
      out.push(makeNode('Reshape', [bias, shapeName], [reshaped], this.ws.names.fresh(`${nodeName}_bias_reshape`)));
      out.push(makeNode('Add', [scaled, reshaped], [y], this.ws.names.fresh(`${nodeName}_bias_add`)));
    }
    return true;
  }

  /** A per-channel Conv weight's scales as [M, 1, …] and its single zero point (0), next to the weight. */
  private convChannelScales(weight: QuantizedWeight, graph: GraphProto): { scale: string; zeroPoint: string } {
    const known = this.convScales.get(weight.quantized);
    if (known) return known;
    const spatial = weight.dims.length - 2;
    const made = {
      scale: this.ws.names.fresh(`${weight.scale}_per_channel`),
      zeroPoint: this.ws.names.fresh(`${weight.zeroPoint}_scalar`),
    };
    graph.initializer = [
      ...(graph.initializer ?? []),
      floatTensor(made.scale, [weight.scales.length, ...Array<number>(spatial).fill(1)], weight.scales),
      zeroPointTensor(made.zeroPoint, 'int8', [0], []),
    ];
    this.convScales.set(weight.quantized, made);
    return made;
  }

  /** Embedding tables: the Gather reads the int8 table and a DequantizeLinear restores floats. */
  private quantizeGather(entry: GraphEntry, node: NodeProto, out: NodeProto[]): boolean {
    const table = constantFloatInput(entry, node, 0);
    const [, indices] = node.input ?? [];
    // Gathers over shapes or activations are indexing, not embedding lookups: nothing to report.
    if (!table || !indices) return false;
    const dims = tensorDims(table.tensor);
    const perChannel = this.perChannelGather && attrInt(node, 'axis', 0) === 0 && dims.length === 2;
    if (this.perChannelGather) this.notePerChannel(perChannel, 'Gather tables other than 2-D lookups along axis 0 stay per-tensor');
    else this.notePerChannel(false, `Gather tables stay per-tensor: per-channel DequantizeLinear needs opset ${PER_CHANNEL_DQ_OPSET}`);
    // Tables are looked up, not multiplied: uint8 asymmetric uses all 256 levels.
    const weight = this.weights.get({
      name: table.name,
      tensor: table.tensor,
      graph: table.graph,
      type: 'uint8',
      symmetric: false,
      reduceRange: false,
      axis: perChannel ? dims.length - 1 : undefined,
    });
    this.replaced.add(table.name);
    const y = (node.output ?? [])[0] ?? '';
    const gathered = this.ws.names.fresh(`${y}_quantized`);
    out.push(makeNode('Gather', [weight.quantized, indices], [gathered], node.name ?? this.ws.names.fresh('Gather'), node.attribute ?? []));
    out.push(
      makeNode(
        'DequantizeLinear',
        [gathered, weight.scale, weight.zeroPoint],
        [y],
        this.ws.names.fresh(`${y}_DequantizeLinear`),
        perChannel ? [attrs.int('axis', -1)] : [],
      ),
    );
    return true;
  }

  /**
   * LSTM → DynamicQuantizeLSTM (ORT's LSTMQuant): W [dirs, 4H, in] and R [dirs, 4H, H] become
   * int8 symmetric, one scale per direction or, per channel, per gate row, and are stored
   * transposed ([dirs, in, 4H], [dirs, H, 4H]) as the kernel reads them. X stays float: the
   * kernel quantizes it per time step.
   */
  private quantizeLstm(entry: GraphEntry, node: NodeProto, out: NodeProto[]): boolean {
    if (!this.settings.quantizeLstm) {
      skip(this.ws.report, node, 'LSTM stays float32: turn on LSTM quantization (DynamicQuantizeLSTM, CPU) to quantize its weights');
      return false;
    }
    const w = constantFloatInput(entry, node, 1);
    const r = constantFloatInput(entry, node, 2);
    if (!w || !r) {
      skip(this.ws.report, node, 'W or R is computed at run time: only LSTMs with constant float32 weights are quantized');
      return false;
    }
    if (attrInt(node, 'layout', 0) !== 0) {
      skip(this.ws.report, node, 'layout = 1 (batch first): DynamicQuantizeLSTM takes sequence-first tensors only');
      return false;
    }
    const wDims = tensorDims(w.tensor);
    const rDims = tensorDims(r.tensor);
    if (wDims.length !== 3 || rDims.length !== 3) {
      skip(this.ws.report, node, 'W or R is not 3-D');
      return false;
    }
    this.notePerChannel(true, '');
    const wq = this.quantizeRecurrentWeight(w.name, w.tensor, w.graph);
    const rq = this.quantizeRecurrentWeight(r.name, r.tensor, r.graph);
    const inputs = node.input ?? [];
    const optional = [3, 4, 5, 6, 7].map((i) => inputs[i] ?? '');
    const lstm = makeNode(
      'DynamicQuantizeLSTM',
      [inputs[0] ?? '', wq.quantized, rq.quantized, ...optional, wq.scale, wq.zeroPoint, rq.scale, rq.zeroPoint],
      node.output ?? [],
      this.ws.names.fresh(`${node.name || 'LSTM'}_quant`),
      (node.attribute ?? []).filter((a) => a.name !== 'layout').map((a) => ({ ...a })),
      CONTRIB_DOMAIN,
    );
    out.push(lstm);
    this.usesContribOps = true;
    return true;
  }

  private quantizeRecurrentWeight(name: string, tensor: TensorProto, graph: GraphProto): QuantizedNames {
    const existing = this.recurrentWeights.get(name);
    if (existing) return existing;
    this.replaced.add(name);
    const [dirs, rows, cols] = tensorDims(tensor) as [number, number, number];
    const values = readWeight(tensor, this.external);
    const channels = this.settings.perChannel ? dirs * rows : dirs;
    const options = { type: 'int8' as const, symmetric: true, reduceRange: this.settings.reduceRange };
    const q = quantizeArrayPerChannel(values, [channels, values.length / channels], 0, options);
    // [dirs, 4H, k] → [dirs, k, 4H], direction by direction.
    const transposed = new Int8Array(q.values.length);
    for (let d = 0; d < dirs; d++) {
      const base = d * rows * cols;
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) transposed[base + j * rows + i] = q.values[base + i * cols + j] as number;
    }
    const scaleDims = this.settings.perChannel ? [dirs, rows] : [dirs];
    const result = {
      quantized: this.ws.names.fresh(`${name}_quantized`),
      scale: this.ws.names.fresh(`${name}_scale`),
      zeroPoint: this.ws.names.fresh(`${name}_zero_point`),
    };
    graph.initializer = [
      ...(graph.initializer ?? []),
      quantizedTensor(result.quantized, 'int8', [dirs, cols, rows], transposed),
      floatTensor(result.scale, scaleDims, q.scales),
      zeroPointTensor(result.zeroPoint, 'int8', Array.from(q.zeroPoints), scaleDims),
    ];
    this.recurrentWeights.set(name, result);
    return result;
  }

  private quantizeWeight(
    name: string,
    tensor: TensorProto,
    graph: GraphProto,
    transpose: boolean,
    axis: number | undefined,
  ): QuantizedWeight {
    this.replaced.add(name);
    return this.weights.get({
      name,
      tensor,
      graph,
      transpose,
      axis,
      type: this.settings.weightType,
      symmetric: this.settings.symmetric,
      reduceRange: this.settings.reduceRange,
    });
  }

  /** MatMulInteger → Cast → ·(A_scale·B_scale) = y: the pattern ORT fuses. */
  private emitMatMulInteger(node: NodeProto, a: QuantizedNames, weight: QuantizedWeight, y: string, out: NodeProto[]): void {
    const nodeName = node.name ?? 'MatMul';
    const integerOut = this.ws.names.fresh(`${y}_output_quantized`);
    out.push(
      makeNode(
        'MatMulInteger',
        [a.quantized, weight.quantized, a.zeroPoint, weight.zeroPoint],
        [integerOut],
        this.ws.names.fresh(`${nodeName}_quant`),
      ),
    );
    this.emitRescale(nodeName, integerOut, a.scale, weight.scale, y, out);
  }

  private emitRescale(
    nodeName: string,
    integerOut: string,
    activationScale: string,
    weightScale: string,
    y: string,
    out: NodeProto[],
  ): void {
    const castName = this.ws.names.fresh(`${integerOut}_cast`);
    const castOut = this.ws.names.fresh(`${castName}_output`);
    out.push(makeNode('Cast', [integerOut], [castOut], castName, [attrs.int('to', DataType.FLOAT)]));
    const scalesMulName = this.ws.names.fresh(`${nodeName}_quant_scales_mul`);
    const scalesMulOut = this.ws.names.fresh(`${scalesMulName}:0`);
    out.push(makeNode('Mul', [activationScale, weightScale], [scalesMulOut], scalesMulName));
    out.push(makeNode('Mul', [castOut, scalesMulOut], [y], this.ws.names.fresh(`${nodeName}_quant_output_scale_mul`)));
  }
}

/**
 * What the per-channel option did: `perChannel` says whether any weight got per-channel scales,
 * `perChannelNodes` how many nodes, and a warning says which stayed per-tensor and why.
 */
function reportPerChannel(ws: Workspace, settings: DynamicSettings, quantizer: DynamicQuantizer): void {
  ws.report.settings.perChannel = quantizer.perChannelNodes > 0;
  ws.report.settings.perChannelNodes = quantizer.perChannelNodes;
  for (const [reason, count] of quantizer.perTensorBecause) {
    const detail =
      reason === CONV_PER_TENSOR ? ` (these are ${settings.weightType}, ${settings.symmetric ? 'symmetric' : 'asymmetric'})` : '';
    ws.report.warnings.push(`${reason}${detail}; ${count} node${count === 1 ? ' keeps' : 's keep'} one scale per weight tensor.`);
  }
}

export const int8Dynamic: Transformation = {
  mode: 'int8-dynamic',
  title: 'int8 (dynamic)',

  canApply(model: ModelProto, options?: Partial<QuantizeOptions>): Applicability {
    const basic = basicChecks(model, MIN_OPSET, 'Dynamic int8 quantization (DynamicQuantizeLinear)');
    if (!basic.ok) return basic;
    const quantized = alreadyQuantizedReason(model);
    if (quantized) return refuse(quantized);
    const lowPrecision = lowPrecisionFloatReason(
      model,
      'DynamicQuantizeLinear only takes float32 activations. Quantize the fp32 model instead.',
    );
    if (lowPrecision) return refuse(lowPrecision);
    if (!hasCandidates(model, options?.quantizeLstm ?? false)) {
      const lstm = !options?.quantizeLstm && allGraphs(model).some((e) => (e.graph.node ?? []).some((n) => n.op_type === 'LSTM'));
      return refuse(
        `The model has no MatMul, Gemm, Conv or Gather with a constant float32 weight to ` +
          `quantize.${lstm ? ' It has LSTMs: turn on LSTM quantization (DynamicQuantizeLSTM).' : ''}`,
      );
    }
    return OK;
  },

  async apply(model: ModelProto, options: TransformOptions, onProgress?: ProgressCallback): Promise<TransformResult> {
    assertApplicable(this.canApply(model, options));
    onProgress?.({ stage: 'prepare' });
    const ws = prepare(model);
    const settings = settingsFrom(options);
    ws.report.settings = { ...settings };
    const quantizer = new DynamicQuantizer(ws, settings, options);
    quantizer.run(onProgress);
    if (quantizer.usesContribOps) ensureOpsetImport(ws.model, CONTRIB_DOMAIN, 1);
    if (settings.perChannel) reportPerChannel(ws, settings, quantizer);
    onProgress?.({ stage: 'finish' });
    return { model: finish(ws), report: ws.report };
  },
};
