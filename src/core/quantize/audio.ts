/**
 * Audio as model inputs for calibration and evaluation: .wav files read here (RIFF chunks, the
 * `fmt ` and `data` chunks; integer PCM of 8, 16, 24 or 32 bits and IEEE float of 32 or 64 bits,
 * any number of channels mixed to mono), resampled to the rate the model takes with a
 * windowed-sinc filter (Kaiser window; its cut-off sits below the lower of the two Nyquist
 * frequencies, so downsampling does not alias), scaled as the model expects, and cut into windows
 * of the audio input's length. What a speech pipeline does before its model (soundfile/librosa
 * load → resample → frame), so int8 scales and quality figures come from real sound.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InferscopeError } from '../../shared/errors';

export const AUDIO_EXTENSIONS = /\.wav$/i;

/** What a WAV file holds, read from its header. */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  /** Bits per sample as stored (8, 16, 24, 32 or 64). */
  bitsPerSample: number;
  encoding: 'pcm' | 'float';
  /** Sample frames (one sample per channel each). */
  frames: number;
  /** Where the samples start in the file, and how many bytes of them there are. */
  dataOffset: number;
  dataBytes: number;
}

export interface DecodedAudio extends Omit<WavInfo, 'dataOffset' | 'dataBytes'> {
  /** The channels averaged into one, in [-1, 1] (float files may go beyond). */
  samples: Float32Array;
}

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;
/** A data chunk size that streaming writers leave when the length was not known: the data runs to the end of the file. */
const UNKNOWN_SIZE = 0xffffffff;

const CODEC_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
};

function invalid(file: string, why: string): InferscopeError {
  return new InferscopeError('INPUT_INVALID', `${path.basename(file)}: ${why}`, { detail: file });
}

function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function unsupportedCodec(file: string, tag: number, bits: number): InferscopeError {
  const name = CODEC_NAMES[tag] ?? `format 0x${tag.toString(16).padStart(4, '0')}`;
  const what = tag === FORMAT_PCM || tag === FORMAT_FLOAT ? `${bits}-bit ${tag === FORMAT_PCM ? 'PCM' : 'float'}` : name;
  return invalid(
    file,
    `holds ${what} audio; Inferscope reads WAV files of 8, 16, 24 or 32-bit PCM or 32 or 64-bit float. Convert it, e.g. ` +
      `ffmpeg -i "${path.basename(file)}" -c:a pcm_s16le out.wav.`,
  );
}

interface Format {
  encoding: 'pcm' | 'float';
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

function readFormat(view: DataView, at: number, size: number, file: string): Format {
  if (size < 16) throw invalid(file, `has a fmt chunk of ${size} bytes; it needs at least 16.`);
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  // WAVE_FORMAT_EXTENSIBLE names the real format in the first two bytes of its sub-format GUID.
  if (tag === FORMAT_EXTENSIBLE && size >= 26) tag = view.getUint16(at + 24, true);
  const pcm = tag === FORMAT_PCM && [8, 16, 24, 32].includes(bitsPerSample);
  const float = tag === FORMAT_FLOAT && (bitsPerSample === 32 || bitsPerSample === 64);
  if (!pcm && !float) throw unsupportedCodec(file, tag, bitsPerSample);
  if (channels === 0) throw invalid(file, 'declares 0 channels.');
  if (sampleRate === 0) throw invalid(file, 'declares a sample rate of 0 Hz.');
  return { encoding: pcm ? 'pcm' : 'float', channels, sampleRate, bitsPerSample };
}

/**
 * The header of a WAV file: its format and where its samples are. `fileSize` is the whole file's
 * size when `bytes` holds only its beginning; null means the chunks go on past `bytes` (read more).
 */
export function parseWavHeader(bytes: Uint8Array, file: string, fileSize = bytes.length): WavInfo | null {
  if (fileSize < 12 || fourCc(bytes, 0) !== 'RIFF' || fourCc(bytes, 8) !== 'WAVE') {
    const kind = fourCc(bytes, 0);
    if (kind === 'RIFX' || kind === 'RF64') throw invalid(file, `is a ${kind} file; Inferscope reads little-endian RIFF WAV files.`);
    throw invalid(file, fileSize < 12 && kind === 'RIFF' ? 'is truncated: it ends inside the RIFF header.' : 'is not a WAV file.');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: Format | undefined;
  let data: { offset: number; bytes: number } | undefined;
  let at = 12;
  while (!(format && data)) {
    if (at + 8 > fileSize) break;
    if (at + 8 > bytes.length) return null;
    const id = fourCc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > fileSize) throw invalid(file, 'is truncated: it ends inside its fmt chunk.');
      if (body + Math.min(size, 40) > bytes.length) return null;
      format = readFormat(view, body, size, file);
    } else if (id === 'data') {
      const declared = size === UNKNOWN_SIZE ? fileSize - body : size;
      if (body + declared > fileSize) {
        throw invalid(file, `is truncated: its data chunk declares ${declared} bytes, the file holds ${fileSize - body} after it.`);
      }
      data = { offset: body, bytes: declared };
    }
    // Chunks are padded to an even size.
    at = body + size + (size % 2);
    if (id === 'data' && size === UNKNOWN_SIZE) break;
  }
  if (!format) throw invalid(file, 'has no fmt chunk: not a WAV file Inferscope can read.');
  if (!data) throw invalid(file, 'has no data chunk (or it is truncated before it).');
  const frameBytes = (format.bitsPerSample / 8) * format.channels;
  return { ...format, frames: Math.floor(data.bytes / frameBytes), dataOffset: data.offset, dataBytes: data.bytes };
}

function sampleReader(view: DataView, info: WavInfo): (at: number) => number {
  if (info.encoding === 'float') return info.bitsPerSample === 32 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true);
  switch (info.bitsPerSample) {
    case 8:
      // 8-bit WAV is unsigned, centred on 128.
      return (at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (at) => view.getInt16(at, true) / 32768;
    case 24:
      return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) >> 0) / 8388608;
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

/** A whole WAV file as mono samples in [-1, 1]; other codecs, and truncated files, are refused (INPUT_INVALID) naming it. */
export function decodeWav(bytes: Uint8Array, file: string): DecodedAudio {
  const info = parseWavHeader(bytes, file);
  if (!info) throw invalid(file, 'is truncated: it ends inside a chunk header.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(view, info);
  const bytesPerSample = info.bitsPerSample / 8;
  const frameBytes = bytesPerSample * info.channels;
  const samples = new Float32Array(info.frames);
  for (let frame = 0; frame < info.frames; frame++) {
    const start = info.dataOffset + frame * frameBytes;
    let sum = 0;
    for (let channel = 0; channel < info.channels; channel++) sum += read(start + channel * bytesPerSample);
    samples[frame] = sum / info.channels;
  }
  const { dataOffset: _offset, dataBytes: _bytes, ...rest } = info;
  return { ...rest, samples };
}

/** Most headers sit in the first kilobytes; a file with large chunks before its samples is read whole. */
const HEADER_READ_BYTES = 64 * 1024;

/** The header of a WAV file on disk, reading only its beginning when that holds it. */
export async function readWavInfo(file: string): Promise<WavInfo> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    const head = new Uint8Array(Math.min(size, HEADER_READ_BYTES));
    await handle.read(head, 0, head.length, 0);
    const info = parseWavHeader(head, file, size);
    if (info) return info;
    const whole = new Uint8Array(size);
    await handle.read(whole, 0, size, 0);
    const full = parseWavHeader(whole, file, size);
    if (!full) throw invalid(file, 'is truncated: it ends inside a chunk header.');
    return full;
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    throw invalid(file, `cannot be read (${(error as Error).message}).`);
  } finally {
    await handle?.close();
  }
}

// ---- resampling

/** Zero crossings of the sinc kept on each side of a sample: the filter spans 32 of them. */
const ZERO_CROSSINGS = 16;
/** Table entries per zero crossing (the kernel between them is interpolated linearly). */
const TABLE_STEPS = 512;
/** Kaiser window shape: about 80 dB of stop-band attenuation. */
const KAISER_BETA = 8;
/** The pass band ends at this share of the lower Nyquist frequency, leaving room for the transition band. */
const ROLLOFF = 0.95;

/** Modified Bessel function of the first kind, order 0 (its power series; converges fast for the β used here). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 50; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

let kernelTable: Float64Array | undefined;

/** sinc(u) · kaiser(u / ZERO_CROSSINGS) for u = 0 … ZERO_CROSSINGS in steps of 1 / TABLE_STEPS. */
function kernel(): Float64Array {
  if (kernelTable) return kernelTable;
  const length = ZERO_CROSSINGS * TABLE_STEPS + 2;
  const table = new Float64Array(length);
  const norm = besselI0(KAISER_BETA);
  for (let k = 0; k < length; k++) {
    const u = k / TABLE_STEPS;
    const r = Math.min(1, u / ZERO_CROSSINGS);
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    table[k] = sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm);
  }
  kernelTable = table;
  return table;
}

/** How many samples `frames` samples at `fromRate` become at `toRate`. */
export function resampledLength(frames: number, fromRate: number, toRate: number): number {
  if (frames <= 0) return 0;
  return fromRate === toRate ? frames : Math.max(1, Math.round((frames * toRate) / fromRate));
}

/**
 * Band-limited resampling (windowed sinc, Kaiser window, 16 zero crossings each side). The
 * filter's cut-off is 0.95 × the lower Nyquist frequency of the two rates, so downsampling
 * removes what the new rate cannot hold instead of folding it back as aliases. Outside the clip
 * the signal counts as silence.
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return samples.slice();
  const table = kernel();
  const ratio = toRate / fromRate;
  // In cycles per input sample, relative to the input's Nyquist frequency.
  const cutoff = Math.min(1, ratio) * ROLLOFF;
  const halfWidth = ZERO_CROSSINGS / cutoff;
  const out = new Float32Array(resampledLength(samples.length, fromRate, toRate));
  const last = samples.length - 1;
  const limit = ZERO_CROSSINGS * TABLE_STEPS;
  for (let i = 0; i < out.length; i++) {
    const t = i / ratio;
    const first = Math.max(0, Math.ceil(t - halfWidth));
    const end = Math.min(last, Math.floor(t + halfWidth));
    let sum = 0;
    for (let n = first; n <= end; n++) {
      const position = Math.abs(t - n) * cutoff * TABLE_STEPS;
      if (position >= limit) continue;
      const k = Math.floor(position);
      const fraction = position - k;
      const weight = (table[k] as number) + fraction * ((table[k + 1] as number) - (table[k] as number));
      sum += (samples[n] as number) * weight;
    }
    out[i] = sum * cutoff;
  }
  return out;
}

// ---- windows

/**
 * Where the windows of a clip start: every `hop` samples while a whole window fits. A clip
 * shorter than one window gives one window (padded with silence); an empty clip gives none.
 */
export function windowStarts(length: number, window: number, hop: number): number[] {
  if (length <= 0 || window <= 0) return [];
  if (length <= window) return [0];
  const step = Math.max(1, Math.round(hop));
  const starts: number[] = [];
  for (let start = 0; start + window <= length; start += step) starts.push(start);
  return starts;
}

/** int16 units: what front ends fed raw PCM values take (±32768 for full scale). */
export const INT16_SCALE = 32768;

/** `length` samples from `start` (silence past the end), multiplied by `gain` (1, or INT16_SCALE). */
export function audioWindow(samples: Float32Array, start: number, length: number, gain = 1): Float32Array {
  const out = new Float32Array(length);
  const end = Math.min(samples.length, start + length);
  for (let i = start; i < end; i++) out[i - start] = (samples[i] as number) * gain;
  return out;
}
