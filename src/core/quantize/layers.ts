/**
 * Per-layer SQNR (docs/quantization.md#quality-metrics): which layers of a variant lost the most, so the person can
 * exclude them and quantize again. The output tensors of the original's quantizable nodes are
 * added as extra graph outputs of both models (a ValueInfo with only a name is enough for ORT,
 * §2), both run on the evaluation inputs, and each tensor is compared where the layer writes it.
 *
 * Every transformation keeps the original's tensor names at node outputs: dynamic int8 writes Y
 * from its rescaling Mul (or the bias Add), static QDQ leaves Y as the producer's output (a graph
 * output is the one exception: there its DequantizeLinear writes Y), 4-bit MatMulNBits writes Y,
 * and fp16 nodes write Y in float16 (compared after widening to float32).
 *
 * The figures are cumulative: a layer's output carries the error of every layer before it. The
 * first layer whose SQNR drops sharply is the one to look at, not only the lowest number.
 *
 * Memory stays near one session of the model, as in the rest of the job: the original's session
 * runs and is released before the variant's loads, and the original's tensors kept in between
 * are held under a budget (fewer inputs, then fewer layers, when they would not fit).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { LayerQuality, NonFiniteFrom, QuantizeMode } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import { formatBytes } from '../../shared/stats/format';
import { DataType, encodeModelProto } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto } from '../onnx/codec';
import { prepare } from './common';
import { propagateSubgraph, type ElementTypes } from './element-types';
import { feedsFor, keep, openFromBytes } from './evaluate';
import { cosine, sqnrDb, type NumericArray } from './quality';
import type { InputRecord, TransformReport } from './types';

/** At most this many layer outputs are compared; more are sampled evenly along the graph. */
export const MAX_LAYER_TENSORS = 200;
/** Above this model size (file plus external data) per-layer figures are not measured. */
export const MAX_LAYER_MODEL_BYTES = 500 * 1024 ** 2;
/** The original's layer outputs kept while its session is released and the variant's loads. */
export const LAYER_VALUES_BUDGET_BYTES = 256 * 1024 ** 2;

/** Operators whose weights the int8 and 4-bit transformations quantize (embedding Gathers only). */
const LAYER_OPS = new Set([
  'MatMul',
  'Gemm',
  'Conv',
  'ConvTranspose',
  'Gather',
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'FusedMatMul',
]);

/** Modes that change every float node (fp16 arithmetic), not only the weighted ones. */
function convertsEveryNode(mode: QuantizeMode): boolean {
  return mode === 'fp16' || mode === 'q4f16';
}

// ---------------------------------------------------------------------------------------------
// Figures for one tensor

export interface LayerFigures {
  sqnrDb: number | null;
  maxAbsDiff: number;
  cosine: number;
  nonFinite: number;
  /** nonFinite split: NaN, and ±Inf. */
  nanCount: number;
  infCount: number;
  elements: number;
}

/** SQNR, max |Δ| and cosine of one tensor over every evaluation input it was compared on. */
export class LayerAccumulator {
  private elements = 0;
  private nanCount = 0;
  private infCount = 0;
  private maxAbsDiff = 0;
  private signalEnergy = 0;
  private noiseEnergy = 0;
  private dot = 0;
  private candidateEnergy = 0;

  add(reference: NumericArray, candidate: NumericArray): void {
    const n = reference.length;
    if (candidate.length !== n) throw new RangeError(`the models returned ${n} and ${candidate.length} values`);
    this.elements += n;
    for (let i = 0; i < n; i++) {
      const x = Number(reference[i]);
      const y = Number(candidate[i]);
      if (!Number.isFinite(x)) continue;
      // fp16 overflow shows up here first: counted, never averaged into the SQNR.
      if (!Number.isFinite(y)) {
        if (Number.isNaN(y)) this.nanCount++;
        else this.infCount++;
        continue;
      }
      const d = x - y;
      const abs = Math.abs(d);
      if (abs > this.maxAbsDiff) this.maxAbsDiff = abs;
      this.signalEnergy += x * x;
      this.noiseEnergy += d * d;
      this.dot += x * y;
      this.candidateEnergy += y * y;
    }
  }

  result(): LayerFigures {
    return {
      sqnrDb: sqnrDb(this.signalEnergy, this.noiseEnergy),
      maxAbsDiff: this.maxAbsDiff,
      cosine: cosine(this.dot, this.signalEnergy, this.candidateEnergy),
      nonFinite: this.nanCount + this.infCount,
      nanCount: this.nanCount,
      infCount: this.infCount,
      elements: this.elements,
    };
  }
}

/**
 * How bad a layer is, lower is worse: NaN/Inf first, then a zero original with noise on it, then
 * SQNR ascending; identical tensors (null SQNR, no difference) last.
 */
export function layerBadness(layer: Pick<LayerQuality, 'sqnrDb' | 'maxAbsDiff' | 'nonFinite'>): number {
  if (layer.nonFinite > 0) return -Infinity;
  if (layer.sqnrDb !== null) return layer.sqnrDb;
  return layer.maxAbsDiff > 0 ? -Number.MAX_VALUE : Infinity;
}

/** Worst first; ties keep graph order. */
export function rankLayers<T extends Pick<LayerQuality, 'sqnrDb' | 'maxAbsDiff' | 'nonFinite'>>(layers: readonly T[]): T[] {
  return layers
    .map((layer, index) => ({ layer, index, badness: layerBadness(layer) }))
    .sort((a, b) => (a.badness === b.badness ? a.index - b.index : a.badness < b.badness ? -1 : 1))
    .map((entry) => entry.layer);
}

// ---------------------------------------------------------------------------------------------
// Which tensors, and which nodes the transformation changed

export interface LayerTarget {
  /** The node's name as the transformation saw it (unnamed nodes get the same name it gave them). */
  node: string;
  opType: string;
  /** The node's first output, present under the same name in both models. */
  output: string;
  /** int8 and 4-bit: the node was replaced or rewired and not reported as left alone. */
  changed: boolean;
  /**
   * fp16 modes: the output of the variant's node of the same name when it differs from `output`
   * (a graph output is written by a Cast back to float32). Its element type tells whether the
   * node runs in fp16.
   */
  variantOutput?: string | undefined;
}

export interface LayerPlan {
  mode: QuantizeMode;
  /** In graph order, at most MAX_LAYER_TENSORS. */
  targets: LayerTarget[];
  /** How many layer outputs could have been compared before the cap. */
  candidates: number;
  /** Graph outputs already declared by each model: not added twice. */
  originalOutputs: string[];
  variantOutputs: string[];
}

function sameList(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function domainOf(node: NodeProto): string {
  return node.domain && node.domain !== 'ai.onnx' ? node.domain : '';
}

/** `count` items spread evenly over `items`, in order. */
export function pickEvenly<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  if (count <= 0) return [];
  const picked: T[] = [];
  for (let i = 0; i < count; i++) picked.push(items[Math.floor((i * items.length) / count)] as T);
  return picked;
}

/** Types of the main graph's values from declared inputs and initializers, op by op (no session). */
function mainGraphTypes(graph: GraphProto): ElementTypes {
  const types: ElementTypes = new Map();
  propagateSubgraph(graph, types);
  return types;
}

/**
 * The layer outputs to compare, from the original model and the variant made of it (both as
 * decoded; nothing is run). Only the main graph: values inside If/Loop bodies cannot be graph
 * outputs.
 */
export function planLayers(
  original: ModelProto,
  variant: ModelProto,
  report: Pick<TransformReport, 'skipped'>,
  mode: QuantizeMode,
  cap = MAX_LAYER_TENSORS,
): LayerPlan {
  // The transformation named unnamed nodes on its own working copy; the same steps give the same names.
  const named = prepare(original).model;
  const graph = named.graph ?? {};
  const variantGraph = variant.graph ?? {};
  const types = mainGraphTypes(graph);
  const floatInitializers = new Set((graph.initializer ?? []).filter((t) => t.data_type === DataType.FLOAT).map((t) => t.name ?? ''));
  const skipped = new Set(report.skipped.map((s) => s.node));
  const variantNodes = new Map<string, NodeProto>();
  const variantValues = new Set<string>();
  for (const node of variantGraph.node ?? []) {
    if (node.name) variantNodes.set(node.name, node);
    for (const o of node.output ?? []) if (o) variantValues.add(o);
  }
  const originalValues = new Set<string>();
  for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) originalValues.add(o);
  const everyNode = convertsEveryNode(mode);

  const all: { target: LayerTarget; weighted: boolean }[] = [];
  for (const node of graph.node ?? []) {
    const op = node.op_type ?? '';
    const first = (node.output ?? [])[0];
    if (!first || !node.name) continue;
    const twin = variantNodes.get(node.name);
    const sameOp = twin !== undefined && twin.op_type === node.op_type && domainOf(twin) === domainOf(node);
    let output = first;
    if (!variantValues.has(first)) {
      // Static int8 quantizes a pre-processed copy in which a BatchNormalization after a Conv is
      // folded into it: the Conv then writes the BatchNormalization's output, which the original has too.
      const twinOutput = sameOp ? (twin.output ?? [])[0] : undefined;
      if (!twinOutput || !originalValues.has(twinOutput) || !variantValues.has(twinOutput)) continue;
      output = twinOutput;
    }
    const type = types.get(output);
    if (type !== undefined && type !== DataType.FLOAT) continue;
    const weighted = LAYER_OPS.has(op) && (op !== 'Gather' || floatInitializers.has((node.input ?? [])[0] ?? ''));
    if (!weighted && !everyNode) continue;
    const target: LayerTarget = { node: node.name, opType: op, output, changed: false };
    if (everyNode) {
      target.changed = !sameOp;
      const twinOutput = sameOp ? (twin.output ?? [])[0] : undefined;
      if (twinOutput && twinOutput !== output) target.variantOutput = twinOutput;
    } else {
      const rewired = !sameOp || !sameList(twin.input, node.input) || !sameList(twin.output, node.output);
      target.changed = rewired && !skipped.has(node.name);
    }
    all.push({ target, weighted });
  }

  const layers = all.filter((e) => e.weighted);
  const others = all.filter((e) => !e.weighted);
  const picked = new Set(layers.length >= cap ? pickEvenly(layers, cap) : [...layers, ...pickEvenly(others, cap - layers.length)]);
  // In graph order: the list reads from the inputs towards the outputs.
  const chosen = all.filter((e) => picked.has(e)).map((e) => e.target);
  const candidates = all.length;
  return {
    mode,
    targets: chosen,
    candidates,
    originalOutputs: (graph.output ?? []).map((o) => o.name ?? ''),
    variantOutputs: (variantGraph.output ?? []).map((o) => o.name ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------
// Models with extra outputs

/**
 * The model's bytes with `names` appended to graph.output, without decoding or re-encoding the
 * model: protobuf merges a repeated occurrence of an embedded message field into the first, so a
 * ModelProto holding only `graph { output … }` written after the file adds those outputs. A
 * model near the size limit costs one buffer instead of a decoded copy plus a new encoding.
 */
export function extraOutputsPatch(names: readonly string[]): Uint8Array {
  return encodeModelProto({ graph: { output: names.map((name) => ({ name })) } });
}

export function withExtraOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  const patch = extraOutputsPatch(names);
  const out = new Uint8Array(model.byteLength + patch.byteLength);
  out.set(model, 0);
  out.set(patch, model.byteLength);
  return out;
}

/** The file and the patch in one buffer, read straight into place. */
async function readWithExtraOutputs(file: string, names: readonly string[]): Promise<Uint8Array> {
  const patch = extraOutputsPatch(names);
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafeSlow(size + patch.byteLength);
    let position = 0;
    while (position < size) {
      const { bytesRead } = await handle.read(buffer, position, Math.min(64 * 1024 * 1024, size - position), position);
      if (bytesRead === 0) throw new InferscopeError('IO_ERROR', `${path.basename(file)} changed while it was read.`, { detail: file });
      position += bytesRead;
    }
    buffer.set(patch, size);
    return buffer;
  } finally {
    await handle.close();
  }
}

async function openWithOutputs(file: string, names: readonly string[], what: string): Promise<ort.InferenceSession> {
  // Loaded from memory: external data locations are relative to the model's folder, as on disk.
  return openFromBytes(await readWithExtraOutputs(file, names), path.dirname(file), `${what} with its layer outputs`);
}

function outputTypes(session: ort.InferenceSession): Map<string, string> {
  const types = new Map<string, string>();
  for (const meta of session.outputMetadata) if (meta.isTensor) types.set(meta.name, meta.type);
  return types;
}

async function runFor(session: ort.InferenceSession, record: InputRecord, fetches: readonly string[], what: string) {
  try {
    return await session.run(feedsFor(session, record), [...fetches]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('SESSION_FAILED', `Running ${what} with its layer outputs failed: ${message}`, {
      detail: message,
      cause: error,
    });
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
}

// ---------------------------------------------------------------------------------------------
// Measuring

export interface MeasureLayersInput {
  modelPath: string;
  variantPath: string;
  plan: LayerPlan;
  records: readonly InputRecord[];
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Bytes of the original's layer outputs held at once (LAYER_VALUES_BUDGET_BYTES). */
  budgetBytes?: number | undefined;
}

export interface LayerMeasurement {
  layers: LayerQuality[];
  note: string;
  /**
   * The first measured layer, in graph order, whose output has NaN/Inf where the original's is
   * finite; null when none has. Absent when no layer was measured.
   */
  nonFiniteFrom?: NonFiniteFrom | null | undefined;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Runs both models with the plan's layer outputs and compares them; worst layer first. */
export async function measureLayers(input: MeasureLayersInput): Promise<LayerMeasurement> {
  const { plan, records, signal } = input;
  const budget = input.budgetBytes ?? LAYER_VALUES_BUDGET_BYTES;
  if (plan.targets.length === 0) {
    return {
      layers: [],
      note: 'No per-layer figures: no layer output of a kind this transformation changes is kept under its name in the variant.',
    };
  }
  if (records.length === 0) return { layers: [], note: 'No per-layer figures: there were no evaluation inputs to run.' };

  // 1. The original, one record at a time; its layer outputs are kept (within the budget).
  const original = await openWithOutputs(
    input.modelPath,
    addedOutputs(
      plan.targets.map((t) => t.output),
      plan.originalOutputs,
    ),
    'the original model',
  );
  const kept: Map<string, Float32Array>[] = [];
  let fetches: string[] = [];
  let trimmed = 0;
  try {
    const types = outputTypes(original);
    fetches = unique(plan.targets.map((t) => t.output)).filter((name) => types.get(name) === 'float32');
    let held = 0;
    for (const [index, record] of records.entries()) {
      checkAborted(signal);
      input.onProgress?.(`per-layer SQNR: original model, input ${index + 1} of ${records.length}`);
      const result = await runFor(original, record, fetches, 'the original model');
      const values = new Map<string, Float32Array>();
      let size = 0;
      for (const name of fetches) {
        const value = result[name];
        if (!(value instanceof ort.Tensor) || !(value.data instanceof Float32Array)) continue;
        if (index === 0 && size + value.data.byteLength > budget && values.size > 0) {
          trimmed = fetches.length - values.size;
          break;
        }
        values.set(name, value.data.slice());
        size += value.data.byteLength;
      }
      if (index === 0 && trimmed > 0) fetches = [...values.keys()];
      // Fewer inputs rather than more memory: the first one always counts.
      if (index > 0 && held + size > budget) break;
      kept.push(values);
      held += size;
    }
  } finally {
    await original.release();
  }
  checkAborted(signal);

  // 2. The variant on the same records, compared tensor by tensor as it goes.
  const targets = plan.targets.filter((t) => fetches.includes(t.output));
  const typeProbes = targets.flatMap((t) => (t.variantOutput ? [t.variantOutput] : []));
  const variant = await openWithOutputs(input.variantPath, addedOutputs([...fetches, ...typeProbes], plan.variantOutputs), 'the variant');
  const accumulators = new Map(fetches.map((name) => [name, new LayerAccumulator()]));
  let variantTypes = new Map<string, string>();
  try {
    variantTypes = outputTypes(variant);
    const compared = fetches.filter((name) => {
      const type = variantTypes.get(name);
      return type === 'float32' || type === 'float16';
    });
    for (const [index, values] of kept.entries()) {
      checkAborted(signal);
      input.onProgress?.(`per-layer SQNR: variant, input ${index + 1} of ${kept.length}`);
      const result = await runFor(variant, records[index] as InputRecord, compared, 'the variant');
      for (const name of compared) {
        const x = values.get(name);
        const y = keep(result[name]);
        if (!x || !y) continue;
        try {
          accumulators.get(name)?.add(x, y.data);
        } catch (error) {
          throw new InferscopeError('QUANTIZE_FAILED', `Layer output ${name}: ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          });
        }
      }
      // Each record's originals go as soon as they are compared.
      kept[index] = new Map();
    }
    for (const name of fetches) if (!compared.includes(name)) accumulators.delete(name);
  } finally {
    await variant.release();
  }

  const everyNode = convertsEveryNode(plan.mode);
  const layers: LayerQuality[] = [];
  let nonFiniteFrom: NonFiniteFrom | null = null;
  // Targets are in graph order: the first with non-finite values is where they start (as far as measured).
  for (const target of targets) {
    const accumulator = accumulators.get(target.output);
    if (!accumulator) continue;
    const figures = accumulator.result();
    if (figures.elements === 0) continue;
    if (figures.nonFinite > 0 && !nonFiniteFrom) {
      nonFiniteFrom = { node: target.node, opType: target.opType, nanCount: figures.nanCount, infCount: figures.infCount };
    }
    const runsInFp16 = variantTypes.get(target.variantOutput ?? target.output) === 'float16';
    layers.push({
      node: target.node,
      opType: target.opType,
      output: target.output,
      sqnrDb: figures.sqnrDb,
      maxAbsDiff: figures.maxAbsDiff,
      cosine: figures.cosine,
      nonFinite: figures.nonFinite,
      quantized: everyNode ? target.changed || runsInFp16 : target.changed,
    });
  }
  const ranked = rankLayers(layers);
  return { layers: ranked, note: describe(ranked, plan, kept.length, records.length, trimmed), nonFiniteFrom };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** Names to append as graph outputs: each once, none the model already declares. */
function addedOutputs(names: readonly string[], declared: readonly string[]): string[] {
  const existing = new Set(declared);
  return unique(names).filter((name) => !existing.has(name));
}

function describe(layers: readonly LayerQuality[], plan: LayerPlan, used: number, total: number, trimmed: number): string {
  const parts = [
    `SQNR of each layer's output against the fp32 model on ${plural(used, 'evaluation input')}. ` +
      `Cumulative: a layer's figure includes the error of every layer before it, so look for where it first drops.`,
  ];
  const quantized = layers.filter((l) => l.quantized).length;
  parts.push(`${plural(layers.length, 'layer')} measured, ${quantized} of them transformed by this variant (only those can be excluded).`);
  if (plan.candidates > plan.targets.length) {
    parts.push(
      `${plan.candidates} layer outputs qualify; ${plan.targets.length} spread along the graph were measured (limit ${MAX_LAYER_TENSORS}).`,
    );
  }
  if (used < total) parts.push(`${total - used} of the ${total} evaluation inputs were left out to keep memory low.`);
  if (trimmed > 0) parts.push(`${plural(trimmed, 'layer output')} further along the graph left out to keep memory low.`);
  return parts.join(' ');
}

/** The reason given instead of figures for a model too large to measure layer by layer. */
export function tooLargeNote(sizeBytes: number): string {
  return (
    `No per-layer figures: the model is ${formatBytes(sizeBytes)}, over the ${formatBytes(MAX_LAYER_MODEL_BYTES)} up to ` +
    `which both models are run again with their layer outputs.`
  );
}
