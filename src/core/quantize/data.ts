/**
 * The inputs a quantization job runs the model on: calibration batches (int8-static scales) and
 * evaluation samples (the quality figures), from a CalibrationSpec — the user's tensor files,
 * images or audio, else synthetic data for Inferscope's sample models and seeded random tensors
 * for any other model. With the user's data the last ⌈20 %⌉ of the samples are held apart: int8
 * static never calibrates on them and is evaluated on them, so its quality figures are not
 * measured on the data its scales were fitted to; modes that calibrate nothing evaluate on the
 * held-out samples first, then on the others. Samples are read lazily, one batch at a time, so a
 * large folder never sits in memory at once.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DimValues } from '../../shared/domain/app';
import type { CalibrationSpec, Variant } from '../../shared/domain/variant';
import { InferscopeError } from '../../shared/errors';
import { inputSetting, setting } from '../../shared/settings';
import { assertFits, tensorNeed } from '../budget';
import {
  DEFAULT_INT_RANGE,
  dimsRequired,
  elementCount,
  inputRng,
  randomInputData,
  userInputData,
  valueInputData,
  type IntRange,
  type MissingDim,
} from '../bench/inputs';
import type { UserTensor } from '../bench/measurement';
import { parseNpy, parseTensorProto, readTensorFile } from '../bench/tensor-files';
import { int64ToNumber, type ModelProto } from '../onnx/codec';
import { dtypeName } from '../onnx/dtypes';
import { unnamedDimName } from '../onnx/inspect';
import {
  chooseInputValue,
  formatInputValue,
  inputRequiredMessage,
  type InputSource,
  type InputValue,
  type InputValues,
} from '../../shared/domain/input-values';
import { syntheticDataFor, SAMPLE_METADATA_KEY, type SyntheticData } from '../zoo/synthetic';
import { AUDIO_EXTENSIONS, audioWindow, decodeWav, INT16_SCALE, readWavInfo, resample, resampledLength, windowStarts } from './audio';
import { decodeImage, IMAGE_EXTENSIONS, imageToTensor, type ImageLayout } from './images';
import type { InputRecord, InputTensor } from './types';

/** A model input as onnxruntime's inputMetadata or the inspection describes it. */
export interface ModelInput {
  name: string;
  /** onnxruntime's element type name: 'float32', 'int64', … */
  type: string;
  /** Fixed sizes as numbers; symbolic ones by name ('' or null or a negative number when unnamed); null when unknown. */
  shape: readonly (number | string | null)[] | null;
}

/** The main graph's inputs that are fed at run time (initializers listed as inputs are not). */
export function graphInputs(model: ModelProto): ModelInput[] {
  return tensorInputs(model);
}

/**
 * The Inferscope sample model this file is, as its metadata says, when Inferscope has synthetic data
 * for it: a job without the user's data then feeds that data instead of random tensors.
 */
export function sampleOf(model: ModelProto): string | undefined {
  const sample = model.metadata_props?.find((p) => p.key === SAMPLE_METADATA_KEY)?.value;
  return sample && syntheticDataFor(sample) ? sample : undefined;
}

function tensorInputs(model: ModelProto): ModelInput[] {
  const graph = model.graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name ?? ''));
  return (graph?.input ?? [])
    .filter((v) => !initializers.has(v.name ?? ''))
    .map((v) => {
      const tensor = v.type?.tensor_type;
      if (!tensor)
        throw new InferscopeError('INPUT_INVALID', `Input ${v.name ?? ''} is not a tensor (sequences and maps cannot be fed here).`);
      const shape = tensor.shape
        ? (tensor.shape.dim ?? []).map((d) =>
            Object.prototype.hasOwnProperty.call(d, 'dim_value') && d.dim_value !== null && d.dim_value !== undefined
              ? int64ToNumber(d.dim_value)
              : d.dim_param || null,
          )
        : null;
      return { name: v.name ?? '', type: dtypeName(tensor.elem_type), shape };
    });
}

/** A model input with every dimension a number. */
export interface ResolvedInput {
  name: string;
  type: string;
  shape: number[];
}

/** Share of the user's samples held apart for evaluation (at least one sample). */
export const HOLD_OUT_SHARE = 0.2;
/** Random evaluation inputs use the calibration seed plus this, so the two sets differ. */
export const EVALUATION_SEED_OFFSET = 0x5eed;
export const RANDOM_CALIBRATION_NOTE = 'seeded random inputs — real data gives better scales';

const TENSOR_FILE = /\.(npy|pb)$/i;
/** ONNX test_data_set_N folders also hold the expected outputs: never feed those to the model. */
const OUTPUT_FILE = /^output_\d+\.(npy|pb)$/i;
/** Same rules as the inspection (src/core/onnx/inspect.ts) so the job runs the shapes the user saw. */
const BATCH_NAMES = /batch|^(n|b|bs|batches|nbatch)$/i;

/**
 * Every dimension as a number: fixed sizes stay; named ones come from `dims`; batch-like ones
 * (and an unnamed leading one) are 1; anything else is 1 — only for estimates (memory), never
 * for data a job feeds (requireInputShapes refuses there).
 */
export function resolveInputs(inputs: readonly ModelInput[], dims: DimValues = {}): ResolvedInput[] {
  return inputs.map((input) => ({
    name: input.name,
    type: input.type,
    shape: (input.shape ?? []).map((d, axis) => chosenSize(d, axis, dims, input.name) ?? 1),
  }));
}

/**
 * resolveInputs for inputs the job generates: a dimension no rule sizes (not a batch, not given)
 * refuses the job with DIMS_REQUIRED instead of becoming 1.
 */
export function requireInputShapes(inputs: readonly ModelInput[], dims: DimValues = {}): ResolvedInput[] {
  const missing: MissingDim[] = [];
  const resolved = inputs.map((input) => ({
    name: input.name,
    type: input.type,
    shape: (input.shape ?? []).map((d, axis) => {
      const size = chosenSize(d, axis, dims, input.name);
      if (size === undefined)
        missing.push({ name: typeof d === 'string' && d ? d : unnamedDimName(input.name, axis), input: input.name, axis });
      return size ?? 1;
    }),
  }));
  if (missing.length > 0) throw dimsRequired(missing);
  return resolved;
}

/** The size resolveInputs gives a declared dimension by rule, or undefined where it only falls back to 1. */
export function chosenSize(d: number | string | null, axis: number, dims: DimValues = {}, input = ''): number | undefined {
  if (typeof d === 'number' && Number.isInteger(d) && d >= 0) return d;
  const name = typeof d === 'string' ? d : '';
  if (name && dims[name] !== undefined) return dims[name];
  // An unnamed dimension is set by its display name, "x[1]", as the inspection shows it.
  const unnamed = dims[unnamedDimName(input, axis)];
  if (!name && input && unnamed !== undefined) return unnamed;
  if (axis === 0 && (!name || BATCH_NAMES.test(name))) return 1;
  if (BATCH_NAMES.test(name)) return 1;
  return undefined;
}

/** Where a symbolic dimension may take any size: checking user tensors against the model's declared shape. */
function fixedSize(d: number | string | null | undefined): number | undefined {
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : undefined;
}

/** One sample: how to produce its input record when calibration or evaluation reaches it. */
export interface Sample {
  /** The file or folder it comes from, or "random #3". */
  label: string;
  load(): Promise<InputRecord>;
}

export interface CalibrationBatches extends AsyncIterable<InputRecord> {
  count: number;
}

export interface QuantizeData {
  /** Batches for int8-static calibration; null when the mode calibrates nothing. */
  calibration: CalibrationBatches | null;
  evaluation: InputRecord[];
  calibrationInfo: Variant['calibration'];
  evaluationInfo: Variant['evaluation'];
}

export interface BuildDataOptions {
  spec: CalibrationSpec;
  /** The model's inputs (graphInputs). */
  inputs: readonly ModelInput[];
  /** The Inferscope sample the model is (sampleOf): its synthetic data replaces random data. */
  sample?: string | undefined;
  /** Whether the mode calibrates (int8-static); other modes read only the evaluation samples. */
  calibrate: boolean;
  evaluationSamples: number;
  dims?: DimValues | undefined;
  /** Inclusive ranges of random integer inputs by input name (token ids inside the vocabulary). */
  intRanges?: Readonly<Record<string, IntRange>> | undefined;
  /** Data for named inputs of random samples; well-known names get stated defaults. */
  inputValues?: InputValues | undefined;
  signal?: AbortSignal | undefined;
  /** Called before each calibration batch is produced (done of total), and once at the end. */
  onCalibrationBatch?: ((done: number, total: number) => void) | undefined;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
}

function batches(samples: readonly Sample[], options: BuildDataOptions): CalibrationBatches {
  return {
    count: samples.length,
    async *[Symbol.asyncIterator]() {
      for (const [index, sample] of samples.entries()) {
        checkAborted(options.signal);
        options.onCalibrationBatch?.(index, samples.length);
        yield await sample.load();
      }
      options.onCalibrationBatch?.(samples.length, samples.length);
    },
  };
}

async function loadAll(samples: readonly Sample[], signal: AbortSignal | undefined): Promise<InputRecord[]> {
  const records: InputRecord[] = [];
  for (const sample of samples) {
    checkAborted(signal);
    records.push(await sample.load());
  }
  return records;
}

/** The calibration and evaluation inputs for one job, with the counts and notes a Variant records. */
export async function buildQuantizeData(options: BuildDataOptions): Promise<QuantizeData> {
  const { spec } = options;
  if (spec.kind === 'random') return generatedData(spec, options);
  if (spec.kind === 'audio') {
    const audio = await audioSamples(spec, options);
    return folderData(spec, audio.samples, `audio windows (${audio.files} .wav files)`, options, audio.inputs);
  }
  const all =
    spec.kind === 'tensors' ? await tensorSamples(spec.dir, options.inputs) : await imageSamples(spec, options.inputs, options.dims);
  return folderData(spec, all, spec.kind === 'tensors' ? 'tensor sets' : 'images', options);
}

type FedInputs = NonNullable<Variant['evaluation']['inputs']>;

/**
 * Samples of the user's folder: int8-static calibrates on the first ones and is evaluated on the last ⌈20 %⌉;
 * other modes evaluate on those held-out samples first, then on the others (none was calibrated on).
 */
async function folderData(
  spec: Exclude<CalibrationSpec, { kind: 'random' }>,
  all: readonly Sample[],
  what: string,
  options: BuildDataOptions,
  inputs?: FedInputs,
): Promise<QuantizeData> {
  const { dir } = spec;
  const { calibrate, held } = splitSamples(all.length, spec.samples);
  if (options.calibrate && calibrate === 0) {
    throw new InferscopeError(
      'INPUT_INVALID',
      `${dir} holds ${all.length} sample; calibration needs at least 2: one or more to calibrate on, and ${held} held ` +
        `apart to check the result on.`,
      { detail: dir },
    );
  }
  const heldOut = all.slice(all.length - held);
  const calibrationSamples = options.calibrate ? all.slice(0, calibrate) : [];
  const evaluationSamples = (options.calibrate ? heldOut : [...heldOut, ...all.slice(0, all.length - held)]).slice(
    0,
    options.evaluationSamples,
  );
  const unused = all.length - held - calibrationSamples.length;
  const evaluated = options.calibrate
    ? `${evaluationSamples.length} held-out of the ${all.length} ${what} in ${dir}`
    : `${evaluationSamples.length} of the ${all.length} ${what} in ${dir}, the ${held} held apart from int8-static calibration first`;
  return {
    calibration: options.calibrate ? batches(calibrationSamples, options) : null,
    evaluation: await loadAll(evaluationSamples, options.signal),
    calibrationInfo: options.calibrate
      ? {
          kind: spec.kind,
          samples: calibrationSamples.length,
          note:
            `${calibrationSamples.length} of ${all.length} ${what} in ${dir}; the last ${held} held apart for ` +
            `evaluation${unused > 0 ? `, ${unused} not used (sample limit)` : ''}`,
        }
      : { kind: 'none', samples: 0, note: `this mode needs no calibration; evaluated on ${evaluated}` },
    evaluationInfo: {
      samples: evaluationSamples.length,
      source: options.calibrate ? 'held-out' : 'user',
      dir,
      available: all.length,
      note: evaluated,
      ...(inputs ? { inputs } : {}),
    },
  };
}

/** No data of the user's: a sample model's synthetic data, else seeded random inputs. */
async function generatedData(spec: Extract<CalibrationSpec, { kind: 'random' }>, options: BuildDataOptions): Promise<QuantizeData> {
  const planned = await planRandomInputs(options.inputs, options.dims, options.inputValues);
  const synthetic = syntheticPlan(options.sample, planned);
  const make = (count: number, seed: number): Sample[] =>
    synthetic
      ? syntheticSamples(planned, synthetic, count, seed, options.intRanges)
      : randomSamples(planned, count, seed, options.intRanges);
  const calibration = options.calibrate ? make(spec.samples, spec.seed) : [];
  const evaluation = make(options.evaluationSamples, spec.seed + EVALUATION_SEED_OFFSET);
  const note = synthetic ? syntheticNote(synthetic.data) : null;
  return {
    calibration: options.calibrate ? batches(calibration, options) : null,
    evaluation: await loadAll(evaluation, options.signal),
    calibrationInfo: !options.calibrate
      ? { kind: 'none', samples: 0, note: 'this mode needs no calibration' }
      : note
        ? { kind: 'synthetic', samples: calibration.length, note }
        : { kind: 'random', samples: calibration.length, note: RANDOM_CALIBRATION_NOTE },
    evaluationInfo: {
      samples: evaluation.length,
      source: synthetic ? 'synthetic' : 'random',
      ...(note ? { note } : {}),
      inputs: planned.map((input) => (synthetic?.made.has(input.name) ? syntheticInput(input, synthetic.data) : fedInput(input))),
    },
  };
}

/** ⌈20 %⌉ (at least one) held apart from the end; calibration takes up to `limit` of the rest. */
export function splitSamples(total: number, limit?: number): { calibrate: number; held: number } {
  if (total <= 0) return { calibrate: 0, held: 0 };
  const held = Math.min(total, Math.max(1, Math.ceil(total * HOLD_OUT_SHARE)));
  const rest = total - held;
  return { calibrate: limit !== undefined ? Math.min(rest, limit) : rest, held };
}

// ---- random

/** Key of `intRanges` that applies to every integer input not named (masks and token types keep their defaults). */
export const ANY_INPUT = '*';

function intRangeFor(name: string, ranges: Readonly<Record<string, IntRange>>): IntRange {
  const named = ranges[name];
  if (named) return named;
  // All ones: every token attended, the common case; random 0/1 masks would blank random positions.
  if (/mask/i.test(name)) return { min: 1, max: 1 };
  if (/token_?type|segment/i.test(name)) return { min: 0, max: 1 };
  return ranges[ANY_INPUT] ?? DEFAULT_INT_RANGE;
}

/** Seed of sample `index`: samples differ, and one sample does not depend on how many others there are. */
function sampleSeed(seed: number, index: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) | 0;
}

/** A generated input: its shape, and its value when not random (given, or a well-known name's stated default). */
export interface PlannedInput extends ResolvedInput {
  value?: InputValue | null;
  /** Why the value was chosen unasked, or the note on a defaulted batch. */
  stated?: string | null;
  /** A tensor file given as its value: fed as it is to every sample. */
  tensor?: InputTensor;
}

/**
 * The inputs random samples are made of: shapes (DIMS_REQUIRED where a dimension has no value), values
 * given or stated, tensor files read. An integer scalar without a value is refused (INPUT_REQUIRED).
 */
export async function planRandomInputs(
  inputs: readonly ModelInput[],
  dims: DimValues = {},
  values: InputValues = {},
): Promise<PlannedInput[]> {
  for (const name of Object.keys(values)) {
    if (!inputs.some((i) => i.name === name)) {
      const list = inputs.map((i) => i.name).join(', ');
      throw new InferscopeError(
        'INPUT_INVALID',
        `The model has no input named ${name} (inputs: ${list}), so ${inputSetting(name)} cannot be used.`,
      );
    }
  }
  const generated = inputs.filter((i) => values[i.name]?.kind !== 'file');
  const shapes = new Map(requireInputShapes(generated, dims).map((r) => [r.name, r.shape]));
  const required: string[] = [];
  const planned: PlannedInput[] = [];
  for (const input of inputs) {
    const value = values[input.name];
    if (value?.kind === 'file') {
      const tensor = toInputTensor(await readTensorFile(value.path, input.name), input, value.path);
      planned.push({ name: input.name, type: input.type, shape: [...tensor.dims], value, stated: null, tensor });
      continue;
    }
    const chosen = chooseInputValue(input.name, input.type, input.shape ? input.shape.length : null, values);
    if ('required' in chosen) required.push(input.name);
    else planned.push({ name: input.name, type: input.type, shape: shapes.get(input.name) ?? [], ...chosen });
  }
  if (required.length > 0) throw new InferscopeError('INPUT_REQUIRED', inputRequiredMessage(required), { detail: required.join(',') });
  return planned;
}

/** What the variant records about a fed input: shape, source and the value given or stated. */
function fedInput(input: PlannedInput): NonNullable<Variant['evaluation']['inputs']>[number] {
  const source: InputSource = input.value ? input.value.kind : 'random';
  const value = input.stated ?? (input.value ? formatInputValue(input.value) : undefined);
  return { name: input.name, type: input.type, shape: input.shape, source, ...(value !== undefined ? { value } : {}) };
}

/** A generated input's data for sample `index`: the tensor file given, the value given or stated, else seeded random data. */
function generatedTensor(input: PlannedInput, seed: number, index: number, intRanges: Readonly<Record<string, IntRange>>): InputTensor {
  if (input.tensor) return input.tensor;
  const rng = inputRng(sampleSeed(seed, index), input.name);
  const data = input.value
    ? valueInputData(input.type, input.shape, input.value, rng, input.name)
    : randomInputData(input.type, input.shape, rng, intRangeFor(input.name, intRanges), input.name);
  return { type: input.type, dims: input.shape, data: data as InputTensor['data'] };
}

export function randomSamples(
  inputs: readonly PlannedInput[],
  count: number,
  seed: number,
  intRanges: Readonly<Record<string, IntRange>> = {},
): Sample[] {
  return Array.from({ length: count }, (_, index) => ({
    label: `random #${index + 1}`,
    load: async () => Object.fromEntries(inputs.map((input) => [input.name, generatedTensor(input, seed, index, intRanges)])),
  }));
}

// ---- synthetic data of the sample models

/** A sample model's synthetic data and the inputs it makes (the others are generated as for random samples). */
export interface SyntheticPlan {
  data: SyntheticData;
  made: ReadonlySet<string>;
}

/**
 * The inputs a sample's synthetic data makes: those of its kind that the user gave no value or file for (a stated
 * default such as an all-ones mask gives way to it). Null when the model is not a sample, or its inputs are not the
 * sample's any more (another element type: a variant with fp16 inputs), so random data is used instead.
 */
export function syntheticPlan(sample: string | undefined, planned: readonly PlannedInput[]): SyntheticPlan | null {
  const data = sample ? syntheticDataFor(sample) : null;
  if (!data) return null;
  const made = new Set<string>();
  for (const [name, type] of Object.entries(data.inputs)) {
    const input = planned.find((p) => p.name === name);
    if (!input || input.type !== type) return null;
    const given = input.tensor !== undefined || (input.value && !input.stated);
    if (!given) made.add(name);
  }
  return made.size > 0 ? { data, made } : null;
}

export function syntheticNote(data: SyntheticData): string {
  return `synthetic ${data.kind} made by Inferscope`;
}

function syntheticInput(input: PlannedInput, data: SyntheticData): FedInputs[number] {
  return { name: input.name, type: input.type, shape: input.shape, source: 'synthetic', value: syntheticNote(data) };
}

export function syntheticSamples(
  inputs: readonly PlannedInput[],
  plan: SyntheticPlan,
  count: number,
  seed: number,
  intRanges: Readonly<Record<string, IntRange>> = {},
): Sample[] {
  const shapes = Object.fromEntries(inputs.map((input) => [input.name, input.shape]));
  return Array.from({ length: count }, (_, index) => ({
    label: `synthetic #${index + 1}`,
    load: async () => {
      const made = plan.data.sample(shapes, sampleSeed(seed, index));
      const record: InputRecord = {};
      for (const input of inputs) {
        const data = plan.made.has(input.name) ? made[input.name] : undefined;
        record[input.name] = data ? { type: input.type, dims: input.shape, data } : generatedTensor(input, seed, index, intRanges);
      }
      return record;
    },
  }));
}

// ---- tensor files

function invalid(file: string, why: string): InferscopeError {
  return new InferscopeError('INPUT_INVALID', `${file}: ${why}`, { detail: file });
}

async function listDir(dir: string): Promise<{ name: string; isDirectory: boolean }[]> {
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw invalid(dir, 'is not a folder.');
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => !e.name.startsWith('.'))
      .map((e) => ({ name: e.name, isDirectory: e.isDirectory() }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    throw new InferscopeError('INPUT_INVALID', `Cannot read the folder ${dir}: ${(error as Error).message}`, { detail: dir });
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    throw invalid(file, `cannot be read (${(error as Error).message}).`);
  }
}

/**
 * A folder of samples: sub-folders (ONNX test_data_set_N style) with one tensor per input, or,
 * for a single-input model, one tensor file per sample.
 */
export async function tensorSamples(dir: string, inputs: readonly ModelInput[]): Promise<Sample[]> {
  const entries = await listDir(dir);
  const folders = entries.filter((e) => e.isDirectory);
  if (folders.length > 0) {
    return folders.map((folder) => {
      const sub = path.join(dir, folder.name);
      return { label: sub, load: () => loadTensorSet(sub, inputs) };
    });
  }
  const files = entries.filter((e) => !e.isDirectory && TENSOR_FILE.test(e.name) && !OUTPUT_FILE.test(e.name));
  if (files.length === 0) throw invalid(dir, 'holds no sub-folders of tensors and no .npy or .pb files.');
  if (inputs.length !== 1) {
    throw invalid(
      dir,
      `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}): put each sample's tensors in a ` +
        `sub-folder (like test_data_set_0), one .npy or .pb file per input.`,
    );
  }
  const input = inputs[0] as ModelInput;
  return files.map((entry) => {
    const file = path.join(dir, entry.name);
    return {
      label: file,
      load: async () => {
        const bytes = await readBytes(file);
        const tensor = entry.name.toLowerCase().endsWith('.npy')
          ? parseNpy(bytes, file, input.name)
          : parseTensorProto(bytes, file, input.name);
        return { [input.name]: toInputTensor({ ...tensor, name: input.name }, input, file) };
      },
    };
  });
}

async function loadTensorSet(dir: string, inputs: readonly ModelInput[]): Promise<InputRecord> {
  const names = inputs.map((i) => i.name);
  const files = (await listDir(dir)).filter((e) => !e.isDirectory && TENSOR_FILE.test(e.name) && !OUTPUT_FILE.test(e.name));
  if (files.length === 0) throw invalid(dir, 'holds no .npy or .pb tensors.');
  const record: InputRecord = {};
  for (const [index, entry] of files.entries()) {
    const file = path.join(dir, entry.name);
    const bytes = await readBytes(file);
    const stem = entry.name.replace(TENSOR_FILE, '');
    const positional = /^input_(\d+)$/.exec(stem);
    const fallback = positional ? (names[Number(positional[1])] ?? stem) : (names[index] ?? stem);
    const tensor = entry.name.toLowerCase().endsWith('.npy')
      ? parseNpy(bytes, file, names.includes(stem) ? stem : fallback)
      : parseTensorProto(bytes, file, fallback);
    const input = inputs.find((i) => i.name === tensor.name);
    if (!input) throw invalid(file, `is for input "${tensor.name}", but the model's inputs are ${names.map((n) => `"${n}"`).join(', ')}.`);
    if (record[input.name]) throw invalid(file, `gives input "${input.name}" a second time in ${dir}.`);
    record[input.name] = toInputTensor(tensor, input, file);
  }
  const missing = names.filter((n) => !record[n]);
  if (missing.length > 0) throw invalid(dir, `has no tensor for input ${missing.map((n) => `"${n}"`).join(', ')}.`);
  return record;
}

/** Checks a user tensor against the model input (type, rank, fixed sizes); a missing leading batch axis is added. */
function toInputTensor(tensor: UserTensor, input: ModelInput, file: string): InputTensor {
  if (tensor.type !== input.type) {
    throw invalid(
      file,
      `holds ${tensor.type} values; input "${input.name}" takes ${input.type} (convert the array, e.g. ` +
        `.astype(np.${numpyName(input.type)})).`,
    );
  }
  let dims = [...tensor.dims];
  const declared = input.shape;
  if (declared) {
    if (dims.length === declared.length - 1) dims = [1, ...dims];
    if (dims.length !== declared.length) {
      throw invalid(
        file,
        `has shape [${tensor.dims.join(', ')}]; input "${input.name}" has ${declared.length} dimensions ` +
          `[${declared.map((d) => d ?? '?').join(', ')}].`,
      );
    }
    declared.forEach((d, axis) => {
      const fixed = fixedSize(d);
      if (fixed !== undefined && dims[axis] !== fixed) {
        throw invalid(
          file,
          `has shape [${tensor.dims.join(', ')}]; input "${input.name}" needs ${fixed} at axis ${axis} ` +
            `([${declared.map((x) => x ?? '?').join(', ')}]).`,
        );
      }
    });
  }
  return { type: tensor.type, dims, data: userInputData(tensor.type, dims, tensor.data, input.name) as InputTensor['data'] };
}

function numpyName(type: string): string {
  return type === 'bool' ? 'bool_' : type;
}

// ---- images

type ImageSpec = Extract<CalibrationSpec, { kind: 'images' }>;

/** How images become this model's single image input; refuses models it cannot feed, saying why. */
export function imageLayoutFor(
  spec: ImageSpec,
  inputs: readonly ModelInput[],
  dims: DimValues = {},
): { input: ModelInput; layout: ImageLayout; type: 'float32' | 'uint8' } {
  if (inputs.length !== 1) {
    throw new InferscopeError(
      'INPUT_INVALID',
      `Images can feed a model with one image input; this model has ${inputs.length} inputs ` +
        `(${inputs.map((i) => i.name).join(', ')}). Use a folder of tensors instead.`,
    );
  }
  const input = inputs[0] as ModelInput;
  const shape = input.shape;
  if (!shape || shape.length !== 4) {
    throw new InferscopeError(
      'INPUT_INVALID',
      `Input "${input.name}" has shape [${(shape ?? []).join(', ')}]; images need a 4-dimensional input (NCHW or NHWC).`,
    );
  }
  if (input.type !== 'float32' && input.type !== 'uint8') {
    throw new InferscopeError('INPUT_INVALID', `Input "${input.name}" takes ${input.type}; images can feed float32 or uint8 inputs.`);
  }
  const nchw = spec.layout === 'nchw';
  const [channelAxis, heightAxis, widthAxis] = nchw ? [1, 2, 3] : [3, 1, 2];
  const size = (axis: number): number | undefined => {
    const d = shape[axis];
    return fixedSize(d) ?? (typeof d === 'string' ? dims[d] : undefined);
  };
  const channels = size(channelAxis) ?? 3;
  if (channels !== 1 && channels !== 3) {
    const other = fixedSize(shape[nchw ? 3 : 1]);
    const hint = other === 1 || other === 3 ? ` It looks ${nchw ? 'NHWC' : 'NCHW'}: use layout ${nchw ? 'nhwc' : 'nchw'}.` : '';
    throw new InferscopeError(
      'INPUT_INVALID',
      `Input "${input.name}" [${shape.join(', ')}] has ${channels} channels at axis ${channelAxis} (layout ${spec.layout}); ` +
        `images give 1 or 3.${hint}`,
    );
  }
  const height = spec.height ?? size(heightAxis);
  const width = spec.width ?? size(widthAxis);
  if (height === undefined || width === undefined) {
    throw new InferscopeError(
      'INPUT_INVALID',
      `Input "${input.name}" [${shape.join(', ')}] does not fix its height and width: give them (e.g. 224 × 224).`,
    );
  }
  return {
    input,
    type: input.type,
    layout: {
      layout: spec.layout,
      width,
      height,
      channels,
      channelOrder: spec.channelOrder,
      scale: spec.scale,
      mean: spec.mean,
      std: spec.std,
    },
  };
}

export async function imageSamples(spec: ImageSpec, inputs: readonly ModelInput[], dims: DimValues = {}): Promise<Sample[]> {
  const { input, layout, type } = imageLayoutFor(spec, inputs, dims);
  const files = (await listDir(spec.dir)).filter((e) => !e.isDirectory && IMAGE_EXTENSIONS.test(e.name));
  if (files.length === 0) throw invalid(spec.dir, 'holds no .png or .jpg images.');
  const tensorDims =
    layout.layout === 'nchw' ? [1, layout.channels, layout.height, layout.width] : [1, layout.height, layout.width, layout.channels];
  // A height and width the user typed (100000 × 100000) must not end in an allocation failure.
  assertFits([tensorNeed({ name: input.name, type, dims: tensorDims })], 'Turning images into inputs');
  return files.map((entry) => {
    const file = path.join(spec.dir, entry.name);
    return {
      label: file,
      load: async () => {
        const data = imageToTensor(decodeImage(await readBytes(file), file), layout, type);
        if (data.length !== elementCount(tensorDims)) throw new InferscopeError('INTERNAL', `Image tensor of ${file} has the wrong size.`);
        return { [input.name]: { type, dims: tensorDims, data } };
      },
    };
  });
}

// ---- audio

type AudioSpec = Extract<CalibrationSpec, { kind: 'audio' }>;

function describeInput(input: { name: string; type: string; shape: readonly (number | string | null)[] | null }): string {
  return `${input.name} ${input.type}[${(input.shape ?? []).map((d) => d ?? '?').join(', ')}]`;
}

/**
 * The input audio feeds: the one float32 input of shape [N, samples] or [samples] that has no value given or
 * stated. Any other model is refused, saying which inputs work and how to settle between several.
 */
export function audioInputFor(planned: readonly PlannedInput[], inputs: readonly ModelInput[]): PlannedInput {
  const candidates = planned.filter((p) => p.type === 'float32' && (p.shape.length === 1 || p.shape.length === 2) && !p.value);
  const [only] = candidates;
  if (candidates.length === 1 && only) return only;
  const list = inputs.map(describeInput).join(', ');
  throw new InferscopeError(
    'INPUT_INVALID',
    candidates.length === 0
      ? `Audio feeds a model with one float32 input of shape [N, samples] or [samples]; this model's inputs are ${list}. ` +
          `Use a folder of tensors instead.`
      : `Audio feeds one float32 input of shape [N, samples] or [samples]; ${candidates.map((c) => c.name).join(', ')} all ` +
          `have that shape. Give the others values with ${setting('inputValues', 'NAME=zeros, or a file')}, so one is left for the audio.`,
  );
}

/** Windows of the folder's .wav files at the model's rate and length, with the other inputs generated as usual. */
async function audioSamples(spec: AudioSpec, options: BuildDataOptions): Promise<{ samples: Sample[]; inputs: FedInputs; files: number }> {
  const planned = await planRandomInputs(options.inputs, options.dims, options.inputValues);
  const audio = audioInputFor(planned, options.inputs);
  const rows = audio.shape.length === 2 ? (audio.shape[0] as number) : 1;
  const length = audio.shape.at(-1) as number;
  assertFits([tensorNeed({ name: audio.name, type: audio.type, dims: audio.shape })], 'Turning audio into inputs');
  const files = (await listDir(spec.dir)).filter((e) => !e.isDirectory && AUDIO_EXTENSIONS.test(e.name));
  if (files.length === 0) throw invalid(spec.dir, 'holds no .wav files.');
  const hop = spec.hopSeconds !== undefined ? Math.max(1, Math.round(spec.hopSeconds * spec.sampleRate)) : length;
  const windows: { file: string; start: number }[] = [];
  for (const entry of files) {
    const file = path.join(spec.dir, entry.name);
    const info = await readWavInfo(file);
    const resampled = resampledLength(info.frames, info.sampleRate, spec.sampleRate);
    for (const start of windowStarts(resampled, length, hop)) windows.push({ file, start });
  }
  if (windows.length === 0) throw invalid(spec.dir, 'holds only empty .wav files.');
  // Windows are taken in order, so one decoded and resampled file serves all of its windows.
  let cached: { file: string; samples: Float32Array } | undefined;
  const soundOf = async (file: string): Promise<Float32Array> => {
    if (cached?.file !== file) {
      const decoded = decodeWav(await readBytes(file), file);
      cached = { file, samples: resample(decoded.samples, decoded.sampleRate, spec.sampleRate) };
    }
    return cached.samples;
  };
  const gain = spec.scale === 'int16' ? INT16_SCALE : 1;
  const intRanges = options.intRanges ?? {};
  const samples = Array.from({ length: Math.ceil(windows.length / rows) }, (_, index): Sample => {
    const first = windows[index * rows] as { file: string; start: number };
    return {
      label: `${first.file} at ${(first.start / spec.sampleRate).toFixed(2)} s`,
      load: async () => {
        const data = new Float32Array(rows * length);
        for (const [row, window] of windows.slice(index * rows, (index + 1) * rows).entries())
          data.set(audioWindow(await soundOf(window.file), window.start, length, gain), row * length);
        const record: InputRecord = {};
        // The other inputs (a sample rate, a state) as random samples have them, seeded as the default random seed.
        for (const input of planned)
          record[input.name] = input === audio ? { type: 'float32', dims: audio.shape, data } : generatedTensor(input, 1, index, intRanges);
        return record;
      },
    };
  });
  const value = `${spec.scale === 'int16' ? 'int16-scaled' : 'float'} audio at ${spec.sampleRate} Hz from ${spec.dir}`;
  const inputs = planned.map((p) => (p === audio ? { ...fedInput(p), source: 'user' as const, value } : fedInput(p)));
  return { samples, inputs, files: files.length };
}
