/**
 * The rewrite of one graph for static int8 (docs/quantization.md#where-q-and-dq-go): QuantizeLinear →
 * DequantizeLinear pairs on its activations, DequantizeLinear after int8 weights and int32 biases,
 * redundant Relu/Clip folded. Weights an If branch reads from an enclosing graph are quantized
 * where they are stored; their DequantizeLinear sits in the branch, next to the node that reads it,
 * so onnxruntime fuses the pattern there.
 */
import type { GraphProto, NodeProto } from '../onnx/codec';
import { InferscopeError } from '../../shared/errors';
import type { Workspace } from './common';
import { attrs, consumersOf, graphOutputNames, makeNode, removeInitializerInputs, subgraphsOf } from './graph';
import type { TensorRange } from './histogram';
import { computeScaleZeroPoint, fullRange, quantRange, roundHalfEven, type ScaleZeroPoint } from './math';
import type { BiasUse, QdqPlan, SharedParameters } from './static-plan';
import type { StaticSettings } from './static-settings';
import { floatTensor, int32Tensor, readWeight, tensorDims, zeroPointTensor } from './tensors';
import type { TransformOptions } from './types';
import type { QuantizedWeight, WeightStore } from './weights';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Scale and zero point of every activation, following shared parameters to their source. */
export class ActivationParameters {
  private readonly params = new Map<string, ScaleZeroPoint>();

  constructor(
    readonly shared: SharedParameters,
    private readonly ranges: ReadonlyMap<string, TensorRange>,
    private readonly settings: StaticSettings,
  ) {}

  of(name: string): ScaleZeroPoint {
    const known = this.params.get(name);
    if (known) return known;
    const source = this.shared.shares.get(name);
    let result: ScaleZeroPoint;
    if (source) result = this.of(source);
    else {
      const rangeName = this.shared.rangeFromOutput.get(name) ?? name;
      const range = this.shared.fixedRanges.get(rangeName) ?? this.ranges.get(rangeName);
      if (!range) throw new InferscopeError('INTERNAL', `No calibrated range for ${name}.`);
      result = computeScaleZeroPoint(range.min, range.max, quantRange(this.settings.activationType), { symmetric: false });
    }
    this.params.set(name, result);
    return result;
  }
}

export class QdqWriter {
  /** DequantizeLinear output of each quantized weight → that weight (biases need its scales). */
  private readonly weightByOutput = new Map<string, QuantizedWeight>();
  /** Relu/Clip nodes folded into the Q/DQ of their input. */
  removedNodes = 0;

  constructor(
    private readonly ws: Workspace,
    private readonly plan: QdqPlan,
    private readonly settings: StaticSettings,
    private readonly params: ActivationParameters,
    private readonly weightStore: WeightStore,
    private readonly options: TransformOptions,
  ) {}

  private get graph(): GraphProto {
    return this.plan.graph;
  }

  /** Fixes every activation's parameters: done for all graphs before any value is renamed. */
  fixParameters(): void {
    for (const name of this.plan.activations) this.params.of(name);
  }

  write(): void {
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
    const found = this.plan.initializers.get(name);
    if (!found) throw new InferscopeError('INTERNAL', `No initializer ${name} for a weight.`);
    return this.weightStore.get({
      name,
      tensor: found.tensor,
      graph: found.graph,
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
      if (this.params.of(output).zeroPoint !== bottom) continue;
      this.removedNodes++;
      this.graph.node = (this.graph.node ?? []).filter((n) => n !== node);
      replaceReads(this.graph, output, input);
      this.plan.activations.delete(output);
      const shares = this.params.shared.shares;
      for (const [out, source] of shares) if (source === output) shares.set(out, input);
    }
  }

  private quantizeActivation(name: string, outputs: Set<string>): NodeProto[] {
    const { scale, zeroPoint } = this.params.of(name);
    const scaleName = this.ws.names.fresh(`${name}_scale`);
    const zeroPointName = this.ws.names.fresh(`${name}_zero_point`);
    this.graph.initializer = [
      ...(this.graph.initializer ?? []),
      floatTensor(scaleName, [], [scale]),
      zeroPointTensor(zeroPointName, this.settings.activationType, [zeroPoint], []),
    ];
    const quantized = this.ws.names.fresh(`${name}_QuantizeLinear_Output`);
    let source = name;
    let dequantized: string;
    if (outputs.has(name) && this.plan.produced.has(name)) {
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
    const found = this.plan.initializers.get(name);
    if (!found) return [];
    const q = this.weightStore.get({
      name,
      tensor: found.tensor,
      graph: found.graph,
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
    const found = this.plan.initializers.get(name);
    if (!found) return [];
    const inputScale = this.params.of(bias.activation).scale;
    const weightName = (bias.node.input ?? [])[bias.weightSlot] as string;
    const weight = this.weightByOutput.get(weightName);
    if (!weight) return [];
    const values = readWeight(found.tensor, this.options.external);
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
      int32Tensor(qName, tensorDims(found.tensor), quantized),
      floatTensor(scaleName, scaleDims, scales),
      int32Tensor(zeroPointName, scaleDims, new Int32Array(scales.length)),
    ];
    // Sole reader in the graph that holds the bias: the DQ takes over its name. Otherwise (shared,
    // or held by an enclosing graph) each reader gets its own copy.
    const readers = found.graph === this.graph ? (consumersOf(this.graph).get(name) ?? []) : [];
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
