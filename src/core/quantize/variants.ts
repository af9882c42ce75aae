/**
 * Variants on disk, and what each mode means for a given model on this CPU.
 *
 * Layout: <dataDir>/variants/<first 16 hex of the source's sha256>/<variant id>/{model.onnx,
 * model.onnx.data?, variant.json}. A job writes into a hidden staging folder beside it; the
 * model is written and checked first, variant.json last, and the folder is renamed into place
 * only then — a cancelled, crashed or failed job never leaves a variant that looks complete.
 * The id hashes what decides the result (options, calibration data spec, source), so asking
 * for the same variant again replaces it instead of piling up copies.
 */
import { sha256File } from '../store/files';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { QuantizeCpu, QuantizeMode, QuantizeOptions } from '../../shared/domain/quantize';
import { VariantSchema, type ModeAvailability, type QuantizeRequest, type Variant } from '../../shared/domain/variant';
import { InferscopeError } from '../../shared/errors';
import { setting } from '../../shared/settings';
import type { QuantizeJobResult } from '../worker-host/protocol';
import { inferenceFlags, isArm, isX86 } from '../hardware/cpu-isa';
import { attrInt } from '../onnx/attributes';
import type { ModelProto } from '../onnx/codec';
import { readModel } from '../onnx/read';
import { writeModel } from '../onnx/write';
import { tensorDims } from '../onnx/tensor';
import { ioError, writeFileAtomic } from '../store/atomic';
import { EXTERNAL_TENSOR_THRESHOLD_BYTES } from './file';
import { allGraphs, initializerMap, irVersion, opsetVersion } from './graph';
import { shouldUpgrade } from './legacy';
import { upgradeModel } from '../onnx/upgrade';
import { TRANSFORMATIONS } from './registry';

export const MODEL_FILE = 'model.onnx';
export const VARIANT_FILE = 'variant.json';
/** Staging folders older than this belong to a job that died with its host: safe to sweep. */
const STALE_STAGING_MS = 60 * 60_000;
const STAGING = /^\..+\.tmp$/;

export interface VariantSource {
  /** Absolute path of the model the variant is made from. */
  path: string;
  name: string;
  sha256: string;
  sizeBytes: number;
}

/** The part of a request that decides the variant's bytes (not the job id, not how many samples are evaluated). */
export type VariantRequest = Pick<QuantizeRequest, 'options' | 'calibration'> &
  Partial<Pick<QuantizeRequest, 'evaluationSamples' | 'dims' | 'intRanges'>>;

/** JSON with object keys sorted, so equal requests hash equally whatever order their fields were written in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Options a transformation reads the same whether given or left out: dropped before hashing, so
 * the app (which sends every field of its form) and the CLI (which sends only flags given) name
 * one variant alike.
 */
const OPTION_DEFAULTS: Readonly<Partial<Record<keyof QuantizeOptions, unknown>>> = {
  perChannel: false,
  quantizeLstm: false,
  movingAverage: false,
  keepIoTypes: true,
  accuracyLevel: 0,
  calibrationMethod: 'minmax',
  // int4/q4f16: the app sends its default block size, the CLI leaves it out; both are the same variant.
  blockSize: 32,
};

function canonicalOptions(options: QuantizeOptions): Partial<QuantizeOptions> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || OPTION_DEFAULTS[key as keyof QuantizeOptions] === value) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out as Partial<QuantizeOptions>;
}

export function variantId(request: VariantRequest, sourceSha256: string): string {
  const key = stableJson({
    options: canonicalOptions(request.options),
    calibration: request.calibration,
    dims: request.dims,
    intRanges: request.intRanges,
    source: sourceSha256,
  });
  return `${request.options.mode}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/** "int8 dynamic", "int8 static (minmax, per-channel)", "fp16", "int4 (block 32)", "q4f16". */
export function variantLabel(options: QuantizeOptions): string {
  const extras: string[] = [];
  let base: string;
  switch (options.mode) {
    case 'int8-dynamic':
      base = 'int8 dynamic';
      if (options.perChannel) extras.push('per-channel');
      if (options.quantizeLstm) extras.push('LSTM');
      break;
    case 'int8-static':
      base = 'int8 static';
      extras.push(options.calibrationMethod ?? 'minmax');
      if (options.movingAverage && (options.calibrationMethod ?? 'minmax') === 'minmax') extras.push('moving average');
      if (options.perChannel) extras.push('per-channel');
      break;
    case 'fp16':
      base = 'fp16';
      if (options.keepIoTypes === false) extras.push('fp16 inputs/outputs');
      break;
    case 'int4':
      base = 'int4';
      extras.push(`block ${options.blockSize ?? 32}`);
      if (options.symmetric === false) extras.push('asymmetric');
      break;
    case 'q4f16':
      base = 'q4f16';
      if (options.blockSize !== undefined && options.blockSize !== 32) extras.push(`block ${options.blockSize}`);
      break;
  }
  if (options.exclude?.length) extras.push(`${options.exclude.length} excluded`);
  if (options.include?.length) extras.push(`${options.include.length} included`);
  return extras.length > 0 ? `${base} (${extras.join(', ')})` : base;
}

/** What a variant records about the model it came from. */
export async function describeSource(file: string, name = path.basename(file)): Promise<VariantSource> {
  const absolute = path.resolve(file);
  let size: number;
  try {
    const info = await fs.stat(absolute);
    if (!info.isFile()) throw new InferscopeError('MODEL_NOT_A_FILE', `${absolute} is not a model file.`, { detail: absolute });
    size = info.size;
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    throw new InferscopeError('MODEL_NOT_FOUND', `No model at ${absolute}.`, { detail: absolute, cause: error });
  }
  return { path: absolute, name, sha256: await sha256File(absolute), sizeBytes: size };
}

export class VariantStore {
  /** Installs in progress by variant id, so two jobs for one id in this process replace each other in order. */
  private readonly installing = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  private groupDir(sourceSha256: string): string {
    return path.join(this.dir, sourceSha256.slice(0, 16));
  }

  /**
   * Makes a variant: `run` writes the model to the path it is given (in a staging folder) and
   * answers with the worker's result; the variant is installed only when everything succeeded.
   */
  async create(request: VariantRequest, source: VariantSource, run: (outputPath: string) => Promise<QuantizeJobResult>): Promise<Variant> {
    const id = variantId(request, source.sha256);
    const group = this.groupDir(source.sha256);
    const target = path.join(group, id);
    const staging = path.join(group, `.${id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.mkdir(staging, { recursive: true });
    } catch (error) {
      throw ioError(error, staging);
    }
    await this.sweepStaging(group);
    try {
      const result = await run(path.join(staging, MODEL_FILE));
      const variant: Variant = VariantSchema.parse({
        id,
        mode: request.options.mode,
        label: variantLabel(request.options),
        path: path.join(target, MODEL_FILE),
        sizeBytes: result.sizeBytes,
        createdAt: new Date().toISOString(),
        source: { path: source.path, name: source.name, sha256: source.sha256, sizeBytes: source.sizeBytes },
        options: request.options,
        report: result.report,
        calibration: result.calibration,
        evaluation: result.evaluation,
        durationMs: result.durationMs,
      });
      await writeFileAtomic(path.join(staging, VARIANT_FILE), JSON.stringify(variant, null, 2) + '\n');
      await this.install(id, staging, target);
      return variant;
    } catch (error) {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  }

  private async install(id: string, staging: string, target: string): Promise<void> {
    const previous = this.installing.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        // Another process may install the same id between our rm and rename: one retry settles it.
        for (let attempt = 0; ; attempt++) {
          await fs.rm(target, { recursive: true, force: true });
          try {
            await fs.rename(staging, target);
            return;
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (attempt === 0 && (code === 'ENOTEMPTY' || code === 'EEXIST')) continue;
            throw ioError(error, target);
          }
        }
      });
    this.installing.set(id, next);
    try {
      await next;
    } finally {
      if (this.installing.get(id) === next) this.installing.delete(id);
    }
  }

  /** Staging folders of jobs whose host died long ago; a running job's folder is younger. */
  private async sweepStaging(group: string): Promise<void> {
    const entries = await fs.readdir(group).catch(() => [] as string[]);
    const now = Date.now();
    for (const entry of entries) {
      if (!STAGING.test(entry)) continue;
      const full = path.join(group, entry);
      const info = await fs.stat(full).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_STAGING_MS) await fs.rm(full, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async readVariant(folder: string): Promise<Variant | null> {
    let text: string;
    try {
      text = await fs.readFile(path.join(folder, VARIANT_FILE), 'utf8');
    } catch {
      return null;
    }
    let parsed;
    try {
      parsed = VariantSchema.safeParse(JSON.parse(text));
    } catch {
      return null;
    }
    if (!parsed.success) return null;
    // The folder is the truth: the data folder may have moved since the variant was made.
    const modelPath = path.join(folder, MODEL_FILE);
    const model = await fs.stat(modelPath).catch(() => undefined);
    if (!model?.isFile()) return null;
    return { ...parsed.data, path: modelPath };
  }

  private async groups(sourceSha256?: string): Promise<string[]> {
    if (sourceSha256) return [this.groupDir(sourceSha256)];
    const entries = await fs.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => path.join(this.dir, e.name));
  }

  /** Complete variants, newest first; of one model when its sha256 is given. */
  async list(sourceSha256?: string): Promise<Variant[]> {
    const variants: Variant[] = [];
    for (const group of await this.groups(sourceSha256)) {
      const entries = await fs.readdir(group, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
        const variant = await this.readVariant(path.join(group, entry.name));
        if (variant && (!sourceSha256 || variant.source.sha256 === sourceSha256)) variants.push(variant);
      }
    }
    return variants.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  private async folderOf(id: string): Promise<string | null> {
    if (!/^[a-z0-9-]+$/i.test(id)) return null;
    for (const group of await this.groups()) {
      const folder = path.join(group, id);
      if (await fs.stat(path.join(folder, VARIANT_FILE)).catch(() => undefined)) return folder;
    }
    return null;
  }

  async get(id: string): Promise<Variant | null> {
    const folder = await this.folderOf(id);
    return folder ? this.readVariant(folder) : null;
  }

  async delete(id: string): Promise<boolean> {
    const folder = await this.folderOf(id);
    if (!folder) return false;
    try {
      await fs.rm(folder, { recursive: true, force: true });
    } catch (error) {
      throw ioError(error, folder);
    }
    // An empty model folder is noise; a non-empty one (other variants, a running job) stays.
    await fs.rmdir(path.dirname(folder)).catch(() => undefined);
    return true;
  }
}

/**
 * A copy of a variant's model at `target` (e.g. the CLI's -o). A variant with external data is
 * rewritten so its data file is named after the target (`<target name>.data`), not "model.onnx.data".
 */
export async function exportVariantFile(
  variantPath: string,
  target: string,
): Promise<{ path: string; sizeBytes: number; externalData: string | null }> {
  const absolute = path.resolve(target);
  const loaded = await readModel(variantPath);
  if (loaded.externalData.length > 0) {
    const written = await writeModel(absolute, loaded.model, {
      externalDataSource: loaded,
      externalDataThresholdBytes: EXTERNAL_TENSOR_THRESHOLD_BYTES,
      externalDataLocation: `${path.basename(absolute)}.data`,
    });
    return {
      path: absolute,
      sizeBytes: written.sizeBytes + (written.externalData?.sizeBytes ?? 0),
      externalData: written.externalData?.path ?? null,
    };
  }
  await writeFileAtomic(absolute, loaded.bytes);
  return { path: absolute, sizeBytes: loaded.sizeBytes, externalData: null };
}

// ---- what each mode means for this model on this CPU

interface ModelTraits {
  conv: boolean;
  depthwise: boolean;
  /** MatMul/Gemm with a constant weight. */
  weightedMatMuls: number;
  /** Largest constant MatMul/Gemm weight, in elements. */
  largestMatMulWeight: number;
  /** MatMuls of two run-time tensors (attention scores and context) or fused attention ops. */
  attention: boolean;
  recurrent: boolean;
  lstm: boolean;
  overflowProne: string[];
}

const OVERFLOW_PRONE = new Set(['Pow', 'ReduceSum', 'ReduceMean', 'ReduceSumSquare', 'LayerNormalization', 'Exp']);
/** Below this many weight elements 4-bit packing saves a few kilobytes and costs accuracy. */
const SMALL_MATMUL_WEIGHT = 256 * 256;

function traitsOf(model: ModelProto): ModelTraits {
  const traits: ModelTraits = {
    conv: false,
    depthwise: false,
    weightedMatMuls: 0,
    largestMatMulWeight: 0,
    attention: false,
    recurrent: false,
    lstm: false,
    overflowProne: [],
  };
  const overflow = new Set<string>();
  for (const { graph } of allGraphs(model)) {
    const initializers = initializerMap(graph);
    // Exporters that keep weights in Constant nodes: those are weights too, not run-time values.
    const constants = new Set((graph.node ?? []).filter((n) => n.op_type === 'Constant').flatMap((n) => n.output ?? []));
    const isConstant = (name: string | undefined) => !!name && (initializers.has(name) || constants.has(name));
    for (const node of graph.node ?? []) {
      const op = node.op_type ?? '';
      const inputs = node.input ?? [];
      if (op === 'Conv') {
        traits.conv = true;
        const weight = inputs[1] ? initializers.get(inputs[1]) : undefined;
        const group = attrInt(node, 'group', 1);
        if (group > 1 && weight && tensorDims(weight)[1] === 1) traits.depthwise = true;
      } else if (op === 'MatMul' || op === 'Gemm') {
        const weight = inputs[1] ? initializers.get(inputs[1]) : undefined;
        if (weight) {
          traits.weightedMatMuls++;
          traits.largestMatMulWeight = Math.max(
            traits.largestMatMulWeight,
            tensorDims(weight).reduce((a, b) => a * b, 1),
          );
        } else if (op === 'MatMul' && !isConstant(inputs[0]) && !isConstant(inputs[1])) {
          traits.attention = true;
        }
      } else if (op === 'Attention' || op === 'MultiHeadAttention' || op === 'GroupQueryAttention') {
        traits.attention = true;
      } else if (op === 'LSTM' || op === 'GRU' || op === 'RNN') {
        traits.recurrent = true;
        if (op === 'LSTM') traits.lstm = true;
      }
      if (OVERFLOW_PRONE.has(op)) overflow.add(op);
    }
  }
  traits.overflowProne = [...overflow].sort();
  return traits;
}

/** Whether this CPU has int8 dot-product instructions; undefined when the CPU is unknown or neither x86 nor ARM. */
function int8DotProduct(cpu: QuantizeCpu | undefined): { has: boolean; name: string } | undefined {
  if (!cpu) return undefined;
  const present = new Set(
    inferenceFlags(cpu.arch, cpu.flags)
      .filter((f) => f.present)
      .map((f) => f.name),
  );
  if (isX86(cpu.arch)) return { has: present.has('avx512_vnni') || present.has('avx_vnni'), name: 'VNNI' };
  if (isArm(cpu.arch)) return { has: present.has('dotprod'), name: 'dot-product instructions (SDOT/UDOT)' };
  return undefined;
}

function int8CpuAdvice(cpu: QuantizeCpu | undefined): string[] {
  const dot = int8DotProduct(cpu);
  if (!dot) return [];
  return dot.has
    ? [`This CPU has ${dot.name}: int8 matrix products run natively and are usually faster than fp32.`]
    : [
        `This CPU has no ${dot.name}: int8 may not be faster than fp32 (onnxruntime multiplies in 16-bit lanes and adds ` +
          `quantize/dequantize steps) — measure both.`,
      ];
}

function adviceFor(mode: QuantizeMode, traits: ModelTraits, cpu: QuantizeCpu | undefined): string[] {
  const advice: string[] = [];
  const transformer = traits.attention;
  switch (mode) {
    case 'int8-dynamic':
      advice.push(...int8CpuAdvice(cpu));
      if (transformer || traits.recurrent)
        advice.push(
          'Dynamic int8 is the usual choice for transformers and RNNs: activation scales follow each input, no calibration data needed.',
        );
      if (traits.lstm)
        advice.push(
          `LSTMs stay float32 unless LSTM quantization is on (${setting('quantizeLstm')}): then their weights become int8 in ` +
            'DynamicQuantizeLSTM, a ' +
            'CPU kernel.',
        );
      if (traits.conv) advice.push('Dynamic int8 convolutions (ConvInteger) are slow on the CPU: static int8 is the better mode for CNNs.');
      if (traits.depthwise)
        advice.push('This model has depthwise convolutions: per-tensor dynamic quantization of those collapses accuracy.');
      advice.push('int8 kernels are CPU kernels: on CUDA or WebGPU most of these nodes fall back to the CPU.');
      break;
    case 'int8-static':
      advice.push(...int8CpuAdvice(cpu));
      if (transformer)
        advice.push(
          'Static int8 of attention layers hurts accuracy: prefer dynamic int8 for transformers, or exclude the attention MatMuls.',
        );
      if (traits.conv) advice.push('Static int8 (QDQ) suits CNNs: onnxruntime fuses it into QLinearConv on the CPU.');
      if (traits.depthwise) advice.push('Depthwise convolutions keep their accuracy better with per-channel weights.');
      advice.push('Calibrate on real samples of your inputs (a folder of tensors or images): random inputs give poor activation ranges.');
      break;
    case 'fp16':
      advice.push(
        "fp16 on the CPU runs through casts and is usually slower; it pays off on CUDA/WebGPU (WebGPU needs the adapter's " +
          'shader-f16 feature).',
      );
      if (traits.overflowProne.length > 0) {
        advice.push(
          `fp16 can overflow in ${traits.overflowProne.join(', ')} (e.g. a LayerNorm variance) and give NaN/Inf: check the ` +
            `quality figures, and keep those ops in fp32 with the block list if they suffer.`,
        );
      }
      break;
    case 'int4':
      advice.push('int4 targets large MatMuls (LLMs); small CNN heads lose accuracy.');
      if (traits.weightedMatMuls > 0 && traits.largestMatMulWeight < SMALL_MATMUL_WEIGHT) {
        advice.push(
          `This model's largest MatMul weight has ${traits.largestMatMulWeight.toLocaleString('en-US')} values: 4 bits save ` +
            `little here and cost accuracy.`,
        );
      }
      if (traits.conv) advice.push('Convolutions stay fp32: int4 packs only MatMul and Gemm weights.');
      advice.push('MatMulNBits runs on the CPU, CUDA and WebGPU.');
      break;
    case 'q4f16':
      advice.push(
        'q4f16 (4-bit weights, fp16 elsewhere — what transformers.js ships) is meant for WebGPU and CUDA; on the CPU the fp16 ' +
          'parts run through casts.',
      );
      if (traits.weightedMatMuls > 0 && traits.largestMatMulWeight < SMALL_MATMUL_WEIGHT) {
        advice.push(
          `This model's largest MatMul weight has ${traits.largestMatMulWeight.toLocaleString('en-US')} values: 4 bits save ` +
            `little here and cost accuracy.`,
        );
      }
      break;
  }
  return advice;
}

/** Each mode: whether it applies to this model (and why not), and what to expect on this CPU. */
export function modeAvailability(model: ModelProto, cpu?: QuantizeCpu): ModeAvailability[] {
  const traits = traitsOf(model);
  const upgraded = lazyUpgrade(model);
  return TRANSFORMATIONS.map((t) => {
    const applicability = t.canApply(model);
    if (applicability.ok) return { mode: t.mode, ok: true, reason: null, advice: adviceFor(t.mode, traits, cpu) };
    // A legacy model the mode refuses is upgraded first (and checked) when the job runs.
    if (shouldUpgrade(model, { mode: t.mode })) {
      const after = upgraded();
      if ('error' in after) return { mode: t.mode, ok: false, reason: `${applicability.reason} ${after.error}`, advice: [] };
      if (t.canApply(after.model).ok) {
        const advice = [`${upgradeNote(model)}, checked against the original before it is used.`, ...adviceFor(t.mode, traits, cpu)];
        return { mode: t.mode, ok: true, reason: null, advice };
      }
    }
    return { mode: t.mode, ok: false, reason: applicability.reason, advice: [] };
  });
}

function upgradeNote(model: ModelProto): string {
  return `This model (IR ${irVersion(model)}, opset ${opsetVersion(model) ?? '?'}) is upgraded to IR 8 / opset 13 first`;
}

/** The upgraded model, made at most once and only when a mode asks (or why it cannot be). */
function lazyUpgrade(model: ModelProto): () => { model: ModelProto } | { error: string } {
  let result: { model: ModelProto } | { error: string } | undefined;
  return () => {
    if (!result) {
      try {
        result = { model: upgradeModel(model).model };
      } catch (error) {
        result = { error: `Upgrading it to opset 13 is not possible: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    return result;
  };
}

/** The CPU as a variant records it: the architecture and only the flags that change int8 choices. */
export function quantizeCpu(arch: string, flags: readonly string[]): QuantizeCpu {
  return {
    arch,
    flags: inferenceFlags(arch, flags)
      .filter((f) => f.present)
      .map((f) => f.name),
  };
}

export { sha256File };
