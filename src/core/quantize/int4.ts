/**
 * 4-bit weight-only quantization (docs/quantization.md#4-bit-weights-int4-and-q4f16): MatMul and Gemm weights become
 * com.microsoft MatMulNBits blocks, activations stay float. q4f16 then converts the rest of
 * the model to fp16, the recipe transformers.js ships.
 */
import { attrInt } from '../onnx/attributes';
import { DataType } from '../onnx/codec';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/codec';
import { makeTensor, tensorDims } from '../onnx/tensor';
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
import { canConvertToFp16, convertWorkspaceToFp16 } from './fp16';
import { allGraphs, attrs, ensureOpsetImport, findInitializer, makeNode, removeInitializerInputs, type GraphEntry } from './graph';
import { convertToFloat16, quantizeBlockwise4 } from './math';
import { readWeight } from './tensors';
import type { Applicability, ProgressCallback, Transformation, TransformOptions, TransformResult } from './types';
import { gemmAsMatMulRefusal } from './weights';

export const CONTRIB_DOMAIN = 'com.microsoft';
const DEFAULT_BLOCK_SIZE = 32;

interface Int4Settings {
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
}

function settingsFrom(options: Partial<TransformOptions>): Int4Settings {
  return {
    blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE,
    symmetric: options.symmetric ?? true,
    accuracyLevel: options.accuracyLevel ?? 0,
  };
}

interface PackedWeight {
  packed: string;
  scales: string;
  zeroPoints: string | undefined;
  K: number;
  N: number;
}

function isFloatWeight(tensor: TensorProto | undefined): tensor is TensorProto {
  return tensor?.data_type === DataType.FLOAT || tensor?.data_type === DataType.FLOAT16;
}

/** A MatMul/Gemm whose weight is a constant float matrix, with the layout of that matrix. */
function weightOf(
  entry: GraphEntry,
  node: NodeProto,
): { name: string; tensor: TensorProto; graph: GraphProto; transposed: boolean } | string {
  const name = (node.input ?? [])[1];
  if (!name) return 'no weight input';
  const found = findInitializer(entry, name);
  if (!found || !isFloatWeight(found.tensor)) return 'B is computed at run time: only constant float weights are packed';
  if (tensorDims(found.tensor).length !== 2) return 'B is not a matrix';
  const transposed = node.op_type === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  return { name, ...found, transposed };
}

function hasCandidates(model: ModelProto): boolean {
  for (const entry of allGraphs(model)) {
    for (const node of entry.graph.node ?? []) {
      if ((node.op_type === 'MatMul' || node.op_type === 'Gemm') && !node.domain) {
        const name = (node.input ?? [])[1];
        if (
          name &&
          (typeof weightOf(entry, node) !== 'string' ||
            (entry.graph.node ?? []).some((n) => n.op_type === 'Constant' && (n.output ?? [])[0] === name))
        ) {
          return true;
        }
      }
    }
  }
  return false;
}

class Int4Quantizer {
  private readonly packed = new Map<string, PackedWeight>();
  private readonly replaced = new Set<string>();
  private readonly selection: NodeSelection;

  constructor(
    private readonly ws: Workspace,
    private readonly settings: Int4Settings,
    private readonly options: TransformOptions,
  ) {
    this.selection = new NodeSelection(options);
  }

  run(onProgress?: ProgressCallback): void {
    const entries = allGraphs(this.ws.model);
    entries.forEach((entry, index) => {
      const out: NodeProto[] = [];
      for (const node of entry.graph.node ?? []) {
        if (!this.rewrite(entry, node, out)) out.push(node);
      }
      entry.graph.node = out;
      onProgress?.({ stage: 'quantize', fraction: (index + 1) / entries.length });
    });
    if (this.ws.report.nodesQuantized > 0) ensureOpsetImport(this.ws.model, CONTRIB_DOMAIN, 1);
    if (this.ws.model.graph) removeInitializerInputs(this.ws.model.graph, this.replaced);
    warnUnknownNames(this.selection, this.ws.model, this.ws.report);
  }

  private rewrite(entry: GraphEntry, node: NodeProto, out: NodeProto[]): boolean {
    const op = node.op_type ?? '';
    if ((op !== 'MatMul' && op !== 'Gemm') || (node.domain && node.domain !== 'ai.onnx')) return false;
    const refusal = this.selection.refusal(node) ?? (op === 'Gemm' ? gemmAsMatMulRefusal(node) : undefined);
    if (refusal) {
      skip(this.ws.report, node, refusal);
      return false;
    }
    const weight = weightOf(entry, node);
    if (typeof weight === 'string') {
      skip(this.ws.report, node, weight);
      return false;
    }
    const [a, , bias] = node.input ?? [];
    if (!a) return false;
    const packed = this.pack(weight.name, weight.tensor, weight.graph, weight.transposed);
    const y = (node.output ?? [])[0] ?? '';
    const product = bias ? this.ws.names.fresh(`${y}_matmul`) : y;
    const attributes = [
      attrs.int('K', packed.K),
      attrs.int('N', packed.N),
      attrs.int('bits', 4),
      attrs.int('block_size', this.settings.blockSize),
    ];
    if (this.settings.accuracyLevel > 0) attributes.push(attrs.int('accuracy_level', this.settings.accuracyLevel));
    const inputs = [a, packed.packed, packed.scales];
    if (packed.zeroPoints) inputs.push(packed.zeroPoints);
    out.push(makeNode('MatMulNBits', inputs, [product], this.ws.names.fresh(`${node.name ?? op}_Q4`), attributes, CONTRIB_DOMAIN));
    if (bias) out.push(makeNode('Add', [product, bias], [y], this.ws.names.fresh(`${node.name ?? op}_bias_add`)));
    this.ws.report.nodesQuantized++;
    return true;
  }

  /** Pack a weight once, whichever nodes share it. */
  private pack(name: string, tensor: TensorProto, graph: GraphProto, transposed: boolean): PackedWeight {
    const key = `${name}|${transposed ? 'T' : ''}`;
    const existing = this.packed.get(key);
    if (existing) return existing;
    this.replaced.add(name);
    const dims = tensorDims(tensor);
    const values = readWeight(tensor, this.options.external);
    // MatMulNBits wants column n's K values together: a Gemm transB weight [N, K] already is that.
    const [K, N] = transposed ? [dims[1] as number, dims[0] as number] : [dims[0] as number, dims[1] as number];
    const at = transposed ? (k: number, n: number) => values[n * K + k] as number : (k: number, n: number) => values[k * N + n] as number;
    const q = quantizeBlockwise4(K, N, at, { blockSize: this.settings.blockSize, symmetric: this.settings.symmetric });
    const base = transposed ? `${name}_transposed` : name;
    const packedName = this.ws.names.fresh(`${base}_Q4`);
    const scalesName = this.ws.names.fresh(`${base}_scales`);
    const added: TensorProto[] = [makeTensor(packedName, DataType.UINT8, [N, q.kBlocks, this.settings.blockSize / 2], q.packed)];
    // Scales carry the activation's float type.
    added.push(
      tensor.data_type === DataType.FLOAT16
        ? makeTensor(scalesName, DataType.FLOAT16, [N, q.kBlocks], convertToFloat16(q.scales).bits)
        : makeTensor(scalesName, DataType.FLOAT, [N, q.kBlocks], q.scales),
    );
    let zeroPointsName: string | undefined;
    if (q.zeroPoints) {
      zeroPointsName = this.ws.names.fresh(`${base}_zero_points`);
      added.push(makeTensor(zeroPointsName, DataType.UINT8, [N, Math.ceil(q.kBlocks / 2)], q.zeroPoints));
    }
    graph.initializer = [...(graph.initializer ?? []), ...added];
    const result: PackedWeight = { packed: packedName, scales: scalesName, zeroPoints: zeroPointsName, K, N };
    this.packed.set(key, result);
    return result;
  }
}

function canQuantize4(model: ModelProto): Applicability {
  const basic = basicChecks(model, 1, '4-bit quantization');
  if (!basic.ok) return basic;
  if (!hasCandidates(model)) return refuse('The model has no MatMul or Gemm with a constant float weight matrix to pack into 4 bits.');
  return OK;
}

function quantize4(ws: Workspace, options: TransformOptions, settings: Int4Settings, onProgress?: ProgressCallback): void {
  ws.report.settings = { blockSize: settings.blockSize, symmetric: settings.symmetric, accuracyLevel: settings.accuracyLevel };
  new Int4Quantizer(ws, settings, options).run(onProgress);
}

export const int4: Transformation = {
  mode: 'int4',
  title: '4-bit weights (MatMulNBits)',

  canApply(model: ModelProto): Applicability {
    return canQuantize4(model);
  },

  async apply(model: ModelProto, options: TransformOptions, onProgress?: ProgressCallback): Promise<TransformResult> {
    assertApplicable(this.canApply(model, options));
    onProgress?.({ stage: 'prepare' });
    const ws = prepare(model);
    quantize4(ws, options, settingsFrom(options), onProgress);
    onProgress?.({ stage: 'finish' });
    return { model: finish(ws), report: ws.report };
  },
};

export const q4f16: Transformation = {
  mode: 'q4f16',
  title: '4-bit weights in an fp16 model',

  canApply(model: ModelProto): Applicability {
    const packable = canQuantize4(model);
    if (!packable.ok) return packable;
    return canConvertToFp16(model);
  },

  async apply(model: ModelProto, options: TransformOptions, onProgress?: ProgressCallback): Promise<TransformResult> {
    assertApplicable(this.canApply(model, options));
    onProgress?.({ stage: 'prepare' });
    const ws = prepare(model);
    quantize4(ws, options, settingsFrom(options), onProgress);
    const packedNodes = ws.report.nodesQuantized;
    onProgress?.({ stage: 'convert' });
    await convertWorkspaceToFp16(ws, { ...options, keepIoTypes: options.keepIoTypes ?? true });
    ws.report.settings.fp16Nodes = ws.report.nodesQuantized - packedNodes;
    ws.report.nodesQuantized = packedNodes;
    onProgress?.({ stage: 'finish' });
    return { model: finish(ws), report: ws.report };
  },
};
