/**
 * One quantization job from a model file to a variant file, as the worker runs it: read,
 * transform (calibrating on the job's data), write atomically, load the result (rule zero: a
 * model onnxruntime cannot load is deleted, never kept), and compare its outputs with the
 * original's on the evaluation inputs. Progress stages arrive in the order load, prepare,
 * calibrate (int8-static), transform, save, verify, evaluate (the outputs, then the per-layer
 * SQNR of layers.ts on the same inputs).
 *
 * The order keeps peak memory near the size of one session of the model: the model is read,
 * transformed and written; it is then let go (and collected) before the original's session
 * runs the evaluation inputs, and that session is released before the variant's loads.
 * (Holding the model, two encodings and two sessions at once would take 5–6× the model.)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DimValues } from '../../shared/domain/app';
import { QuantizeOptionsSchema, type QuantizeOptions, type QuantizeReport } from '../../shared/domain/quantize';
import type { CalibrationSpec, QuantizeProgress, Variant } from '../../shared/domain/variant';
import type { InputValues } from '../../shared/domain/input-values';
import { InferscopeError } from '../../shared/errors';
import { formatBytes } from '../../shared/stats/format';
import type { IntRange } from '../bench/inputs';
import type { ModelProto } from '../onnx/codec';
import { readModel, type LoadedModel } from '../onnx/read';
import { encodeModel, writeModel, type WriteModelResult } from '../onnx/write';
import type { ExternalDataReader } from '../onnx/tensor';
import { assertApplicable } from './common';
import { buildQuantizeData, graphInputs, sampleOf, type QuantizeData } from './data';
import { collectOutputs, compareWithReference, openSession, type ReferenceOutputs } from './evaluate';
import { assertJobFits } from './footprint';
import { MAX_LAYER_MODEL_BYTES, measureLayers, planLayers, tooLargeNote, type LayerMeasurement, type LayerPlan } from './layers';
import { bytesViewing, detachFromBuffer, releaseMemory } from './memory';
import { transformationFor } from './registry';
import { locateNonFinite } from './non-finite';
import { reportOf, shouldUpgrade, verifyUpgrade } from './upgrade';
import { upgradeModel, type UpgradePlan } from '../onnx/upgrade';
import { describeUpgrade, type UpgradeReport } from '../../shared/domain/upgrade';
import { withVerdicts } from '../../shared/domain/quality-verdict';
import type { QuantizeProgress as CoreProgress, Transformation, TransformResult } from './types';

/** Above this an encoded variant goes to external data (protobuf's hard limit is 2 GiB). */
export const EXTERNAL_DATA_ABOVE_BYTES = 1.5 * 1024 ** 3;
/** Tensors of at least this many bytes move to the external data file (ORT's own threshold). */
export const EXTERNAL_TENSOR_THRESHOLD_BYTES = 1024;
/** Copy the tensors a variant shares with the file when they are at most this share of it (then free the file). */
const DETACH_MAX_SHARE = 0.25;
/** Progress within a stage at most this often; stage changes always go out. */
const PROGRESS_INTERVAL_MS = 50;

export interface QuantizeFileRequest {
  modelPath: string;
  /** The variant's .onnx path; its folder must exist. External data, if any, goes beside it as `<name>.data`. */
  outputPath: string;
  options: QuantizeOptions;
  calibration: CalibrationSpec;
  evaluationSamples: number;
  dims?: DimValues | undefined;
  intRanges?: Readonly<Record<string, IntRange>> | undefined;
  inputValues?: InputValues | undefined;
  layerReport?: 'auto' | 'always' | 'never' | undefined;
}

export type QuantizeFileProgress = Omit<QuantizeProgress, 'jobId'>;

export interface QuantizeFileResult {
  report: QuantizeReport;
  /** The variant on disk: the .onnx file plus its external data file. */
  sizeBytes: number;
  externalData: { location: string; sizeBytes: number } | null;
  calibration: Variant['calibration'];
  evaluation: Variant['evaluation'];
  durationMs: number;
}

export interface QuantizeFileHooks {
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: QuantizeFileProgress) => void) | undefined;
}

/**
 * Per-layer SQNR loads both models again with every layer as an output. Up to this size it is
 * done unasked; above it that extra load would take the job past 3× the model's size in memory,
 * so it runs only when asked for ('always').
 */
export const LAYER_REPORT_AUTO_MAX_BYTES = 64 * 1024 ** 2;

/** Why per-layer figures are not measured for this job, or null when they are. */
function layerReportSkipped(choice: 'auto' | 'always' | 'never', sizeBytes: number): string | null {
  if (choice === 'never') return 'No per-layer figures: not asked for.';
  if (sizeBytes > MAX_LAYER_MODEL_BYTES) return tooLargeNote(sizeBytes);
  if (choice === 'auto' && sizeBytes > LAYER_REPORT_AUTO_MAX_BYTES) {
    return (
      `No per-layer figures: they are measured unasked for models up to ${formatBytes(LAYER_REPORT_AUTO_MAX_BYTES)} (they ` +
      `load both models again); ask for them to get them for this one.`
    );
  }
  return null;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
}

/** Stage changes pass at once; updates within a stage at most every PROGRESS_INTERVAL_MS. */
class ProgressThrottle {
  private stage: string | undefined;
  private last = 0;

  constructor(private readonly sink: ((p: QuantizeFileProgress) => void) | undefined) {}

  emit(progress: QuantizeFileProgress, force = false): void {
    if (!this.sink) return;
    const now = Date.now();
    if (!force && progress.stage === this.stage && now - this.last < PROGRESS_INTERVAL_MS) return;
    this.stage = progress.stage;
    this.last = now;
    this.sink(progress);
  }
}

const CORE_STAGES: Record<string, QuantizeFileProgress['stage']> = {
  prepare: 'prepare',
  calibrate: 'calibrate',
  quantize: 'transform',
  convert: 'transform',
  finish: 'transform',
  verify: 'verify',
};

async function fileSize(file: string): Promise<number> {
  return (await fs.stat(file).catch(() => undefined))?.size ?? 0;
}

export async function quantizeFile(request: QuantizeFileRequest, hooks: QuantizeFileHooks = {}): Promise<QuantizeFileResult> {
  const started = performance.now();
  const { signal } = hooks;
  const progress = new ProgressThrottle(hooks.onProgress);
  const options = parseOptions(request.options);
  const transformation = transformationFor(options.mode);
  const modelPath = path.resolve(request.modelPath);
  const outputPath = path.resolve(request.outputPath);

  // 1. Read; refuse early; the inputs the job will run on.
  progress.emit({ stage: 'load', fraction: null, message: `reading ${path.basename(modelPath)}` }, true);
  const read = await readModel(modelPath, signal ? { signal } : {});
  const sizeBefore = read.sizeBytes + read.externalData.reduce((sum, f) => sum + f.bytes, 0);
  // A legacy model the mode cannot take (IR 3, an old opset) is upgraded first, then checked on the evaluation inputs.
  const legacy = shouldUpgrade(read.model, options) ? { original: read.model, ...upgradeModel(read.model) } : null;
  // The upgraded model is plain properties, as every transformation's working copy is; only encoding reads it.
  let loaded: LoadedModel | undefined = legacy ? { ...read, model: legacy.model as LoadedModel['model'] } : read;
  const data = await prepareInputs(request, options, transformation, loaded.model, signal, progress);
  checkAborted(signal);
  const upgrade = legacy ? await checkUpgrade(loaded, legacy, data, signal, progress) : undefined;

  // 2. Transform.
  let transformed: TransformResult | undefined = await transformModel(transformation, options, loaded, data, signal, progress);
  checkAborted(signal);
  const transformReport = transformed.report;
  // Which layer outputs to compare is read off both graphs now, while they are in memory; only names are kept.
  const layerSkip = layerReportSkipped(request.layerReport ?? 'auto', sizeBefore);
  const planned: LayerPlan | null = layerSkip ? null : planLayers(loaded.model, transformed.model, transformReport, options.mode);
  // Layers are compared against the original file: only tensors it has too.
  const layerPlan = planned && legacy ? onlyOriginalTensors(planned, legacy.original) : planned;
  const source: WriteSource = { external: loaded.external, hadExternalData: loaded.externalData.length > 0 };
  // The variant still points into the file's bytes for every tensor the transformation left
  // alone. When that is little, copy it, so the file buffer (as large as the model) is gone
  // before the encoding (as large as the variant) is made.
  if (detachIfSmall(transformed.model, loaded)) loaded = undefined;
  // What the transform threw away (weights read as float32, working copies) goes too.
  await releaseMemory();

  // 3. Write atomically, depending on nothing of the original: external tensors are copied across.
  progress.emit({ stage: 'save', fraction: null, message: `writing ${path.basename(outputPath)}` }, true);
  const written = await writeVariant(outputPath, transformed.model, source, signal);
  // Nothing of the model is needed any more: let it all go before a session loads.
  transformed = undefined;
  loaded = undefined;
  await releaseMemory();

  // 4. and 5. The variant loads, and how close it stays to the original (a variant that fails is deleted).
  const { quality, layers } = await checkVariant(
    { modelPath, outputPath, written, evaluation: data.evaluation, layerPlan, layerSkip, sizeBefore },
    signal,
    progress,
  );

  const externalBytes = written.externalData ? await fileSize(written.externalData.path) : 0;
  const sizeAfter = written.sizeBytes + externalBytes;
  // The verdict reads the figures, where the evaluation inputs came from, and where NaN/Inf start.
  const report = withVerdicts(
    {
      mode: options.mode,
      sizeBytes: { before: sizeBefore, after: sizeAfter },
      nodesQuantized: transformReport.nodesQuantized,
      settings: transformReport.settings,
      skipped: transformReport.skipped,
      quality,
      warnings: upgrade
        ? [`Upgraded before the transformation: ${describeUpgrade(upgrade)}.`, ...transformReport.warnings]
        : transformReport.warnings,
      ...(upgrade ? { upgrade } : {}),
      ...(layers.layers.length > 0 ? { layers: layers.layers } : {}),
      layersNote: layers.note,
    },
    { source: data.evaluationInfo.source, nonFiniteFrom: layers.nonFiniteFrom },
  );
  return {
    report,
    sizeBytes: sizeAfter,
    externalData: written.externalData ? { location: written.externalData.location, sizeBytes: externalBytes } : null,
    calibration: data.calibrationInfo,
    evaluation: data.evaluationInfo,
    durationMs: performance.now() - started,
  };
}

/** Original and upgraded model on the job's evaluation inputs (UPGRADE_MISMATCH when they differ). */
async function checkUpgrade(
  loaded: LoadedModel,
  legacy: { original: ModelProto; model: ModelProto; plan: UpgradePlan },
  data: QuantizeData,
  signal: AbortSignal | undefined,
  progress: ProgressThrottle,
): Promise<UpgradeReport> {
  const { fromOpset, toOpset } = legacy.plan;
  progress.emit({ stage: 'prepare', fraction: null, message: `checking the upgrade from opset ${fromOpset} to ${toOpset}` }, true);
  const verification = await verifyUpgrade({
    originalBytes: loaded.bytes,
    folder: loaded.dir,
    original: legacy.original,
    upgraded: legacy.model,
    upgradedBytes: encodeModel(legacy.model),
    records: data.evaluation,
    signal,
  });
  return reportOf(legacy.plan, verification);
}

function onlyOriginalTensors(plan: LayerPlan, original: ModelProto): LayerPlan {
  const values = new Set<string>();
  for (const node of original.graph?.node ?? []) for (const o of node.output ?? []) if (o) values.add(o);
  return { ...plan, targets: plan.targets.filter((t) => values.has(t.output)) };
}

function parseOptions(input: QuantizeOptions): QuantizeOptions {
  const parsed = QuantizeOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new InferscopeError(
      'BAD_REQUEST',
      `Invalid quantization options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * The calibration and evaluation inputs. A job this machine cannot hold, or a model the
 * transformation cannot handle, is refused first, naming the tensor, before any input is made.
 */
async function prepareInputs(
  request: QuantizeFileRequest,
  options: QuantizeOptions,
  transformation: Transformation,
  model: ModelProto,
  signal: AbortSignal | undefined,
  progress: ProgressThrottle,
): Promise<QuantizeData> {
  const calibrate = options.mode === 'int8-static';
  assertJobFits(model, { evaluationSamples: request.evaluationSamples, calibrate }, request.dims);
  assertApplicable(transformation.canApply(model, options));
  return buildQuantizeData({
    spec: request.calibration,
    inputs: graphInputs(model),
    sample: sampleOf(model),
    calibrate,
    evaluationSamples: request.evaluationSamples,
    dims: request.dims,
    intRanges: request.intRanges,
    inputValues: request.inputValues,
    signal,
    onCalibrationBatch: (done, total) =>
      progress.emit(
        { stage: 'calibrate', fraction: total > 0 ? done / total : 1, message: `batch ${Math.min(done + 1, total)} of ${total}` },
        done === 0,
      ),
  });
}

function transformModel(
  transformation: Transformation,
  options: QuantizeOptions,
  loaded: LoadedModel,
  data: QuantizeData,
  signal: AbortSignal | undefined,
  progress: ProgressThrottle,
): Promise<TransformResult> {
  return transformation.apply(
    loaded.model,
    // fp16 measures activations and checks its variant on the evaluation inputs when nothing calibrates.
    { ...options, external: loaded.external, calibrationData: data.calibration ?? data.evaluation },
    (p: CoreProgress) => {
      // The core calls back from inside its loops: the one place a long transform can stop.
      checkAborted(signal);
      const stage = CORE_STAGES[p.stage] ?? 'transform';
      // Calibration batches report themselves with a fraction (data.ts); the core's own count has none.
      if (stage === 'calibrate' && p.message?.startsWith('batch ')) return;
      progress.emit(
        { stage, fraction: p.fraction ?? null, message: p.message ?? transformation.title },
        stage !== 'transform' || p.fraction === undefined,
      );
    },
  );
}

interface WrittenVariant {
  modelPath: string;
  outputPath: string;
  written: WriteModelResult;
  evaluation: QuantizeData['evaluation'];
  layerPlan: LayerPlan | null;
  /** Why there are no per-layer figures, when layerPlan is null for a reason given in advance. */
  layerSkip: string | null;
  sizeBefore: number;
}

/**
 * Rule zero: the variant loads (a variant that does not, or whose checks fail, is deleted). Then
 * the quality figures, one session at a time: the original's outputs are kept, its session
 * released, and the variant's session compares against them; then the per-layer SQNR on the
 * same inputs, again one session at a time (layers.ts).
 */
async function checkVariant(
  variant: WrittenVariant,
  signal: AbortSignal | undefined,
  progress: ProgressThrottle,
): Promise<{ quality: QuantizeReport['quality']; layers: LayerMeasurement }> {
  const { modelPath, outputPath, written, evaluation, layerPlan } = variant;
  try {
    checkAborted(signal);
    progress.emit({ stage: 'verify', fraction: null, message: 'loading the variant in onnxruntime' }, true);
    // Without optimizations the check is quick (no constant folding); the comparison below loads it fully.
    await (await openSession(outputPath, 'the transformed model', 'QUANTIZE_FAILED', 'disabled')).release();
    checkAborted(signal);
    const quality = await compareOutputs(modelPath, outputPath, evaluation, signal, progress);
    const layers = layerPlan
      ? await layerFigures(modelPath, outputPath, layerPlan, evaluation, signal, progress)
      : { layers: [], note: variant.layerSkip ?? tooLargeNote(variant.sizeBefore) };
    // A broken output whose NaN/Inf the measured layers do not explain: look at every node once.
    if (quality.some((q) => q.broken) && !layers.nonFiniteFrom && evaluation[0]) {
      const found = await locateNonFinite(modelPath, outputPath, evaluation[0]).catch(() => null);
      if (found) return { quality, layers: { ...layers, nonFiniteFrom: found } };
    }
    return { quality, layers };
  } catch (error) {
    await fs.rm(outputPath, { force: true }).catch(() => undefined);
    if (written.externalData) await fs.rm(written.externalData.path, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** The original's outputs on the evaluation inputs, then the variant's compared with them: one session at a time. */
async function compareOutputs(
  modelPath: string,
  outputPath: string,
  evaluation: QuantizeData['evaluation'],
  signal: AbortSignal | undefined,
  progress: ProgressThrottle,
): Promise<QuantizeReport['quality']> {
  progress.emit({ stage: 'evaluate', fraction: 0, message: `running the original model on ${evaluation.length} samples` }, true);
  const reference = await openSession(modelPath, 'the original model', 'SESSION_FAILED');
  let referenceOutputs: ReferenceOutputs;
  const outputOrder = [...reference.outputNames];
  try {
    referenceOutputs = await collectOutputs(reference, evaluation, {
      signal,
      onRecord: (done, total) =>
        progress.emit({ stage: 'evaluate', fraction: done / (2 * total), message: `original model: sample ${done} of ${total}` }),
    });
  } finally {
    await reference.release();
  }
  checkAborted(signal);
  const candidate = await openSession(outputPath, 'the transformed model', 'QUANTIZE_FAILED');
  try {
    return await compareWithReference(candidate, evaluation, referenceOutputs, outputOrder, {
      signal,
      onRecord: (done, total) =>
        progress.emit(
          { stage: 'evaluate', fraction: 0.5 + done / (2 * total), message: `variant: sample ${done} of ${total}` },
          done === total,
        ),
    });
  } finally {
    await candidate.release();
  }
}

/**
 * The per-layer figures, or a note saying why there are none: they are advice, so a failure to
 * measure them costs the figures, never the variant. Cancelling still cancels.
 */
async function layerFigures(
  modelPath: string,
  variantPath: string,
  plan: LayerPlan,
  records: QuantizeData['evaluation'],
  signal: AbortSignal | undefined,
  progress: ProgressThrottle,
): Promise<LayerMeasurement> {
  try {
    return await measureLayers({
      modelPath,
      variantPath,
      plan,
      records,
      signal,
      onProgress: (message) => progress.emit({ stage: 'evaluate', fraction: 1, message }),
    });
  } catch (error) {
    if (error instanceof InferscopeError && error.code === 'CANCELLED') throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { layers: [], note: `No per-layer figures: ${message}` };
  } finally {
    await releaseMemory();
  }
}

/** Copies what `model` still shares with the file when that is little; true when the file's bytes are no longer needed. */
function detachIfSmall(model: ModelProto, loaded: LoadedModel): boolean {
  const buffer = loaded.bytes.buffer;
  if (bytesViewing(model, buffer) > loaded.bytes.byteLength * DETACH_MAX_SHARE) return false;
  detachFromBuffer(model, buffer);
  return true;
}

interface WriteSource {
  /** Reads the original's external data files (tensors the transformation left untouched). */
  external: ExternalDataReader;
  hadExternalData: boolean;
}

/**
 * The variant file: inline when it fits, external data beside it when the source kept its
 * weights outside (as its users expect) or when one file would come near protobuf's 2 GiB.
 */
async function writeVariant(
  outputPath: string,
  model: ModelProto,
  source: WriteSource,
  signal: AbortSignal | undefined,
): Promise<WriteModelResult> {
  const external = () =>
    writeModel(outputPath, model, {
      externalDataSource: source.external,
      externalDataThresholdBytes: EXTERNAL_TENSOR_THRESHOLD_BYTES,
      externalDataLocation: `${path.basename(outputPath)}.data`,
      ...(signal ? { signal } : {}),
    });
  if (source.hadExternalData) return external();
  try {
    const written = await writeModel(outputPath, model, { externalDataSource: source.external, ...(signal ? { signal } : {}) });
    return written.sizeBytes > EXTERNAL_DATA_ABOVE_BYTES ? await external() : written;
  } catch (error) {
    if (error instanceof InferscopeError && error.code === 'MODEL_TOO_LARGE') return external();
    throw error;
  }
}
