import { parseInputValues } from '../../../shared/domain/input-values';
import type { ModelSource } from '../../../shared/domain/app';
import type { CpuInfo } from '../../../shared/domain/hardware';
import type { CalibrationMethod, Int8Type, QuantizeMode, QuantizeOptions } from '../../../shared/domain/quantize';
import type { CalibrationSpecInput, QuantizeRequestInput } from '../../../shared/domain/variant';
import { parseNameList } from '../../../shared/parse/lists';
import { BLOCK_SIZES, QuantizeModeSchema } from '../../../shared/domain/quantize';

/** The order the modes are offered in, cheapest to try first. */
export const QUANTIZE_MODES: readonly QuantizeMode[] = QuantizeModeSchema.options;

export interface ModeInfo {
  title: string;
  /** What the mode does to the model, in one sentence. */
  summary: string;
  /** Where it tends to pay off (docs/quantization.md#where-variants-run-well). */
  bestOn: string;
}

export const MODE_INFO: Record<QuantizeMode, ModeInfo> = {
  'int8-dynamic': {
    title: 'int8 dynamic',
    summary: 'Weights stored as int8; activations are quantized on the fly at every run. No calibration data needed.',
    bestOn: 'CPU · transformers, RNNs, MLPs',
  },
  'int8-static': {
    title: 'int8 static (QDQ)',
    summary: 'Weights and activations in int8, with activation ranges calibrated on sample inputs beforehand.',
    bestOn: 'CPU · CNNs; needs representative data',
  },
  fp16: {
    title: 'fp16',
    summary: 'Half-precision weights and arithmetic; the inputs and outputs can stay fp32.',
    bestOn: 'CUDA, WebGPU · usually slower on CPU',
  },
  int4: {
    title: '4-bit weights',
    summary: 'MatMul weights packed to 4 bits in blocks (MatMulNBits); everything else stays as it is.',
    bestOn: 'large MatMuls (LLMs, big FFNs) · CPU, CUDA, WebGPU',
  },
  q4f16: {
    title: '4-bit + fp16',
    summary: '4-bit MatMul weights in an fp16 model: what transformers.js ships for the browser.',
    bestOn: 'GPUs and WebGPU · LLMs',
  },
};

/** "auto" leaves the choice to the services (from the CPU for int8 static). */
export type TypeChoice = 'auto' | Int8Type;
export type Toggle = 'auto' | 'on' | 'off';

export { BLOCK_SIZES };
export type BlockSize = (typeof BLOCK_SIZES)[number];

export const ACCURACY_LEVELS: readonly { value: number; label: string }[] = [
  { value: 0, label: 'Unset (the provider decides)' },
  { value: 1, label: '1 · fp32 compute' },
  { value: 2, label: '2 · fp16 compute' },
  { value: 3, label: '3 · bf16 compute' },
  { value: 4, label: '4 · int8 compute (fastest on CPU)' },
];

/**
 * One mode's options as typed. Numbers and name lists stay text so half-typed values survive
 * re-renders; {@link buildQuantizeRequest} checks the whole form at once.
 */
export interface ModeDraft {
  perChannel: boolean;
  /** int8 dynamic: LSTMs as DynamicQuantizeLSTM. */
  quantizeLstm: boolean;
  weightType: TypeChoice;
  activationType: TypeChoice;
  reduceRange: Toggle;
  symmetric: Toggle;
  calibrationMethod: CalibrationMethod;
  /** minmax: average each batch's range (ORT's moving average). */
  movingAverage: boolean;
  percentile: string;
  bins: string;
  blockSize: BlockSize;
  accuracyLevel: number;
  keepIoTypes: boolean;
  /** Extra operator types kept in fp32, comma or line separated. */
  blockList: string;
  /** Node names, comma or line separated. */
  include: string;
  exclude: string;
}

export type DataKind = 'random' | 'tensors' | 'images' | 'audio';

/** Where calibration (int8 static) and evaluation inputs come from; shared by every mode. */
export interface DataDraft {
  kind: DataKind;
  /** Random: how many calibration samples. Folders: the most to calibrate on (empty = all but the held-out ones). */
  samples: string;
  seed: string;
  dir: string;
  layout: 'nchw' | 'nhwc';
  /** Empty = the model input's fixed size. */
  width: string;
  height: string;
  channelOrder: 'rgb' | 'bgr';
  scale: string;
  /** Three numbers, comma separated. */
  mean: string;
  std: string;
  /** Audio: the rate the model takes, in Hz. */
  sampleRate: string;
  audioScale: 'float' | 'int16';
  /** Audio: seconds between window starts; empty = one window (no overlap). */
  hop: string;
}

export const DEFAULT_RANDOM_SAMPLES = 16;
export const DEFAULT_EVALUATION_SAMPLES = 8;
export const DEFAULT_SAMPLE_RATE = 16_000;
/** Mirrors the services' hold-out rule (src/core/quantize/data.ts): ⌈20 %⌉ of a folder, at least one. */
export const HOLD_OUT_SHARE = 0.2;
export const DEFAULT_PERCENTILE = 99.999;
export const DEFAULT_BINS = 2048;

export function defaultModeDraft(mode: QuantizeMode): ModeDraft {
  return {
    // Per-channel weights cost nothing at run time and keep conv accuracy; dynamic keeps ORT's default.
    perChannel: mode === 'int8-static',
    quantizeLstm: false,
    weightType: 'auto',
    activationType: 'auto',
    reduceRange: 'auto',
    symmetric: 'auto',
    calibrationMethod: 'minmax',
    movingAverage: false,
    percentile: String(DEFAULT_PERCENTILE),
    bins: String(DEFAULT_BINS),
    blockSize: 32,
    accuracyLevel: 0,
    keepIoTypes: true,
    blockList: '',
    include: '',
    exclude: '',
  };
}

export function defaultModeDrafts(): Record<QuantizeMode, ModeDraft> {
  return Object.fromEntries(QUANTIZE_MODES.map((mode) => [mode, defaultModeDraft(mode)])) as Record<QuantizeMode, ModeDraft>;
}

export function defaultDataDraft(): DataDraft {
  return {
    kind: 'random',
    samples: String(DEFAULT_RANDOM_SAMPLES),
    seed: '1',
    dir: '',
    layout: 'nchw',
    width: '',
    height: '',
    channelOrder: 'rgb',
    scale: '255',
    mean: '0, 0, 0',
    std: '1, 1, 1',
    sampleRate: String(DEFAULT_SAMPLE_RATE),
    audioScale: 'float',
    hop: '',
  };
}

export interface ImagePreset {
  id: string;
  label: string;
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Common normalizations of image models; "custom" is whatever the fields say. */
export const IMAGE_PRESETS: readonly ImagePreset[] = [
  { id: 'imagenet', label: 'ImageNet (torchvision)', scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  { id: 'unit', label: '0 – 1', scale: 255, mean: [0, 0, 0], std: [1, 1, 1] },
  { id: 'signed', label: '−1 – 1', scale: 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  { id: 'raw', label: '0 – 255 (raw pixels)', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
];

export function applyImagePreset(data: DataDraft, presetId: string): DataDraft {
  const preset = IMAGE_PRESETS.find((p) => p.id === presetId);
  if (!preset) return data;
  return { ...data, scale: String(preset.scale), mean: preset.mean.join(', '), std: preset.std.join(', ') };
}

/** The preset the fields match, or 'custom'. */
export function imagePresetOf(data: Pick<DataDraft, 'scale' | 'mean' | 'std'>): string {
  const scale = Number(data.scale);
  const mean = parseTriple(data.mean);
  const std = parseTriple(data.std);
  if (!mean || !std) return 'custom';
  const same = (a: readonly number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - (b[i] ?? NaN)) < 1e-9);
  return IMAGE_PRESETS.find((p) => p.scale === scale && same(p.mean, mean) && same(p.std, std))?.id ?? 'custom';
}

export { parseNameList };

function parseTriple(text: string): number[] | null {
  const parts = text
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length !== 3) return null;
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : null;
}

/** The int8 types the services pick when left on auto (chooseInt8Types in src/core/quantize/static.ts). */
export interface AutoInt8Types {
  activationType: Int8Type;
  weightType: Int8Type;
  reduceRange: boolean;
  reason: string;
}

type CpuFacts = Pick<CpuInfo, 'arch' | 'inferenceFlags'>;

const X86 = new Set(['x64', 'ia32', 'x86_64', 'x86']);
const ARM = new Set(['arm64', 'arm', 'aarch64']);

function present(cpu: CpuFacts, ...names: string[]): boolean {
  return cpu.inferenceFlags.some((flag) => flag.present && names.includes(flag.name));
}

export function autoInt8Types(cpu: CpuFacts | null): AutoInt8Types {
  if (!cpu)
    return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'CPU not detected yet: int8 activations and weights' };
  if (ARM.has(cpu.arch))
    return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'ARM: int8 activations and weights' };
  if (X86.has(cpu.arch)) {
    if (present(cpu, 'avx512_vnni', 'avx_vnni')) {
      return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: 'x86 with VNNI: int8 activations and weights' };
    }
    return {
      activationType: 'uint8',
      weightType: 'int8',
      reduceRange: true,
      reason: 'x86 without VNNI: uint8 activations, int8 weights, reduced range (avoids u8×s8 saturation)',
    };
  }
  return { activationType: 'int8', weightType: 'int8', reduceRange: false, reason: `${cpu.arch}: int8 activations and weights` };
}

/**
 * Whether this CPU has the instructions that make int8 faster than fp32 (VNNI or AMX on x86,
 * dot product on ARM); null when that cannot be said (CPU unknown, other architectures).
 */
export function hasFastInt8(cpu: CpuFacts | null): boolean | null {
  if (!cpu) return null;
  if (X86.has(cpu.arch)) return present(cpu, 'avx512_vnni', 'avx_vnni', 'amx_int8');
  if (ARM.has(cpu.arch)) return present(cpu, 'dotprod', 'i8mm');
  return null;
}

/** The instruction the advice names: "VNNI" on x86, "dot-product (SDOT/UDOT)" on ARM. */
export function fastInt8Name(cpu: CpuFacts | null): string {
  return cpu && ARM.has(cpu.arch) ? 'dot-product instructions (SDOT/UDOT)' : 'VNNI';
}

/** Which option fields a mode reads (the others are not sent). */
export interface ModeFields {
  perChannel: boolean;
  quantizeLstm: boolean;
  weightType: boolean;
  activationType: boolean;
  reduceRange: boolean;
  symmetric: boolean;
  calibration: boolean;
  blockSize: boolean;
  accuracyLevel: boolean;
  keepIoTypes: boolean;
  blockList: boolean;
}

export function modeFields(mode: QuantizeMode): ModeFields {
  const int8 = mode === 'int8-dynamic' || mode === 'int8-static';
  const fourBit = mode === 'int4' || mode === 'q4f16';
  const half = mode === 'fp16' || mode === 'q4f16';
  return {
    perChannel: int8,
    quantizeLstm: mode === 'int8-dynamic',
    weightType: int8,
    activationType: mode === 'int8-static',
    reduceRange: int8,
    symmetric: int8 || fourBit,
    calibration: mode === 'int8-static',
    blockSize: fourBit,
    accuracyLevel: fourBit,
    keepIoTypes: half,
    blockList: half,
  };
}

export type QuantizeField =
  | 'percentile'
  | 'bins'
  | 'samples'
  | 'seed'
  | 'dir'
  | 'width'
  | 'height'
  | 'scale'
  | 'mean'
  | 'std'
  | 'sampleRate'
  | 'hop'
  | 'evaluationSamples'
  | 'include'
  | 'inputValues';

export type RequestBuild =
  { ok: true; request: Omit<QuantizeRequestInput, 'jobId'> } | { ok: false; errors: Partial<Record<QuantizeField, string>> };

function readInt(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}

function toggle(value: Toggle): boolean | undefined {
  return value === 'auto' ? undefined : value === 'on';
}

/** The options a mode's form stands for; fields left on auto are absent so the services choose. */
export function buildOptions(
  mode: QuantizeMode,
  draft: ModeDraft,
  cpu: Pick<CpuInfo, 'arch' | 'flags'> | null,
): { options: QuantizeOptions; errors: Partial<Record<QuantizeField, string>> } {
  const fields = modeFields(mode);
  const errors: Partial<Record<QuantizeField, string>> = {};
  const options: QuantizeOptions = { mode };
  if (fields.perChannel) options.perChannel = draft.perChannel;
  if (fields.quantizeLstm && draft.quantizeLstm) options.quantizeLstm = true;
  if (fields.weightType && draft.weightType !== 'auto') options.weightType = draft.weightType;
  if (fields.activationType && draft.activationType !== 'auto') options.activationType = draft.activationType;
  const reduceRange = toggle(draft.reduceRange);
  if (fields.reduceRange && reduceRange !== undefined) options.reduceRange = reduceRange;
  const symmetric = toggle(draft.symmetric);
  if (fields.symmetric && symmetric !== undefined) options.symmetric = symmetric;
  if (fields.calibration) {
    options.calibrationMethod = draft.calibrationMethod;
    if (draft.calibrationMethod === 'minmax' && draft.movingAverage) options.movingAverage = true;
    if (draft.calibrationMethod === 'percentile') {
      const percentile = Number(draft.percentile.trim());
      if (draft.percentile.trim() === '' || !Number.isFinite(percentile) || percentile <= 0 || percentile > 100) {
        errors.percentile = 'A percentile above 0 and at most 100';
      } else options.percentile = percentile;
    }
    if (draft.calibrationMethod !== 'minmax') {
      const bins = readInt(draft.bins, 128, 65536);
      if (bins === null) errors.bins = 'A whole number from 128 to 65536';
      else options.bins = bins;
    }
    // The services pick int8 types from the CPU; without it they assume VNNI-class hardware.
    if (cpu) options.cpu = { arch: cpu.arch, flags: [...cpu.flags] };
  }
  if (fields.blockSize) options.blockSize = draft.blockSize;
  if (fields.accuracyLevel && draft.accuracyLevel > 0) options.accuracyLevel = draft.accuracyLevel;
  if (fields.keepIoTypes) options.keepIoTypes = draft.keepIoTypes;
  if (fields.blockList) {
    const blockList = parseNameList(draft.blockList);
    if (blockList.length > 0) options.blockList = blockList;
  }
  const include = parseNameList(draft.include);
  const exclude = parseNameList(draft.exclude);
  if (include.length > 0) options.include = include;
  if (exclude.length > 0) options.exclude = exclude;
  if (include.some((name) => exclude.includes(name))) errors.include = 'A node cannot be both included and excluded';
  return { options, errors };
}

export function buildCalibration(data: DataDraft): { calibration: CalibrationSpecInput; errors: Partial<Record<QuantizeField, string>> } {
  const errors: Partial<Record<QuantizeField, string>> = {};
  if (data.kind === 'random') {
    const samples = readInt(data.samples, 1, 10_000);
    const seed = readInt(data.seed, -(2 ** 31), 2 ** 31 - 1);
    if (samples === null) errors.samples = 'A whole number from 1 to 10000';
    if (seed === null) errors.seed = 'A whole number';
    return { calibration: { kind: 'random', samples: samples ?? DEFAULT_RANDOM_SAMPLES, seed: seed ?? 1 }, errors };
  }
  const dir = data.dir.trim();
  if (dir === '') errors.dir = 'The folder, on the machine that runs the models';
  let samples: number | undefined;
  if (data.samples.trim() !== '') {
    const value = readInt(data.samples, 1, 1_000_000);
    if (value === null) errors.samples = 'A whole number, or empty for all';
    else samples = value;
  }
  if (data.kind === 'tensors') {
    return { calibration: samples === undefined ? { kind: 'tensors', dir } : { kind: 'tensors', dir, samples }, errors };
  }
  if (data.kind === 'audio') return { calibration: audioCalibration(data, dir, samples, errors), errors };
  const size = (text: string, field: 'width' | 'height'): number | undefined => {
    if (text.trim() === '') return undefined;
    const value = readInt(text, 1, 16_384);
    if (value === null) errors[field] = 'Pixels, or empty for the model’s size';
    return value ?? undefined;
  };
  const width = size(data.width, 'width');
  const height = size(data.height, 'height');
  const scale = Number(data.scale.trim());
  if (data.scale.trim() === '' || !Number.isFinite(scale) || scale <= 0) errors.scale = 'A number above 0 (255 maps pixels to 0 – 1)';
  const mean = parseTriple(data.mean);
  const std = parseTriple(data.std);
  if (!mean) errors.mean = 'Three numbers: R, G, B';
  if (!std || std.some((v) => v <= 0)) errors.std = 'Three numbers above 0: R, G, B';
  const calibration: CalibrationSpecInput = {
    kind: 'images',
    dir,
    layout: data.layout,
    channelOrder: data.channelOrder,
    scale: Number.isFinite(scale) && scale > 0 ? scale : 255,
    mean: mean ?? [0, 0, 0],
    std: std ?? [1, 1, 1],
  };
  if (samples !== undefined) calibration.samples = samples;
  if (width !== undefined) calibration.width = width;
  if (height !== undefined) calibration.height = height;
  return { calibration, errors };
}

/** A folder of .wav files: the rate and scale the model takes, and the hop between windows (empty: one window). */
function audioCalibration(
  data: DataDraft,
  dir: string,
  samples: number | undefined,
  errors: Partial<Record<QuantizeField, string>>,
): CalibrationSpecInput {
  const sampleRate = readInt(data.sampleRate, 1000, 384_000);
  if (sampleRate === null) errors.sampleRate = 'Hz, from 1000 to 384000 (speech models take 16000)';
  let hopSeconds: number | undefined;
  if (data.hop.trim() !== '') {
    const hop = Number(data.hop.trim());
    if (!Number.isFinite(hop) || hop <= 0 || hop > 3600) errors.hop = 'Seconds above 0, or empty for one window';
    else hopSeconds = hop;
  }
  return {
    kind: 'audio',
    dir,
    sampleRate: sampleRate ?? DEFAULT_SAMPLE_RATE,
    scale: data.audioScale,
    ...(samples !== undefined ? { samples } : {}),
    ...(hopSeconds !== undefined ? { hopSeconds } : {}),
  };
}

/** The whole form as a request (without the job id, chosen when it starts), or every bad field. */
export function buildQuantizeRequest(input: {
  source: ModelSource;
  mode: QuantizeMode;
  draft: ModeDraft;
  data: DataDraft;
  evaluationSamples: string;
  cpu: Pick<CpuInfo, 'arch' | 'flags'> | null;
  /** "sr=16000, state=zeros", as `--input NAME=VALUE` takes it; empty: stated defaults and random data. */
  inputValues?: string;
}): RequestBuild {
  const { options, errors } = buildOptions(input.mode, input.draft, input.cpu);
  const built = buildCalibration(input.data);
  Object.assign(errors, built.errors);
  const evaluationSamples = readInt(input.evaluationSamples, 1, 1000);
  if (evaluationSamples === null) errors.evaluationSamples = 'A whole number from 1 to 1000';
  const values = parseInputValues(input.inputValues ?? '');
  if (!values.ok) errors.inputValues = values.error;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    request: {
      source: input.source,
      options,
      calibration: built.calibration,
      evaluationSamples: evaluationSamples ?? DEFAULT_EVALUATION_SAMPLES,
      ...(values.ok && Object.keys(values.values).length > 0 ? { inputValues: values.values } : {}),
    },
  };
}

/**
 * How many inputs calibrate and how many check the result, said before the job runs. `sample`: the model is one
 * of Inferscope's samples, which get synthetic data of their kind instead of random data.
 */
export function dataSummary(mode: QuantizeMode, data: DataDraft, evaluationSamples: string, sample = false): string {
  const calibrates = mode === 'int8-static';
  const evaluation = Number(evaluationSamples);
  const evalText = Number.isInteger(evaluation) && evaluation > 0 ? String(evaluation) : '?';
  if (data.kind === 'random') {
    const made = sample ? 'synthetic' : 'seeded random';
    const samples = Number(data.samples);
    const calText = Number.isInteger(samples) && samples > 0 ? String(samples) : '?';
    const check = `${evalText} other ${made} input${evalText === '1' ? '' : 's'} to compare outputs on`;
    return calibrates ? `${calText} ${made} calibration input${calText === '1' ? '' : 's'}; ${check}` : `No calibration; ${check}`;
  }
  const what = data.kind === 'images' ? 'images' : data.kind === 'audio' ? 'audio windows' : 'tensor sets';
  const percent = Math.round(HOLD_OUT_SHARE * 100);
  const share = `the last ${percent} % of the ${what} (at least one)`;
  if (!calibrates)
    return `No calibration; up to ${evalText} of the ${what} compared on (the last ${percent} %, held out of static calibration, first)`;
  const limit = data.samples.trim() === '' ? 'all the others' : `up to ${data.samples.trim()} of the others`;
  return `Calibrates on ${limit}; ${share} held apart, and up to ${evalText} of them compared on`;
}

/** A job id the page can cancel by; unique enough within one host's running jobs. */
export function newJobId(now: number = Date.now(), random: () => number = Math.random): string {
  return `q-${now.toString(36)}-${Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0')}`;
}
