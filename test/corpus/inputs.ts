/**
 * Realistic inputs for the real-model corpus (scripts/corpus.mjs), made by code with fixed seeds:
 * speech-like audio for the voice models, mel frames and embeddings for the wake-word heads, and
 * rendered-looking text images normalized as PaddleOCR does for the OCR models, handwritten-looking
 * digits for the digit classifier. Each model gets the symbolic-dimension values its inputs need
 * and any number of input sets, written as .npy files named after the inputs (the layout of
 * `bench --inputs DIR` and `quantize --calibration DIR`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CorpusTensor {
  name: string;
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface CorpusInputs {
  /** Values for the model's symbolic dimensions (`--dim name=value`). */
  dims: Readonly<Record<string, number>>;
  /** Input set number `index`: different audio, frames or text each time, same shapes. */
  sample(index: number): CorpusTensor[];
}

const SAMPLE_RATE = 16_000;
/** Silero VAD's frame at 16 kHz in @ricky0123/vad (96 ms). */
const VAD_FRAME = 1536;
/** openWakeWord feeds 80 ms of new audio plus 3 hops (480 samples) of context to the mel model. */
const OWW_MEL_SAMPLES = 1280 + 480;

/** mulberry32: small, fast and the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

const float = (name: string, dims: number[], data: Float32Array): CorpusTensor => ({ name, type: 'float32', dims, data });

/**
 * Voiced speech, roughly: a glottal pulse train (100–220 Hz, gliding) shaped by three formants,
 * syllables of ~200 ms with pauses between, a little breath noise. Values in [-1, 1].
 */
export function speechLikeAudio(samples: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(samples);
  const formants = [700 + 200 * next(), 1200 + 400 * next(), 2500 + 300 * next()];
  let phase = 0;
  const syllable = Math.round(SAMPLE_RATE * (0.18 + 0.08 * next()));
  const pause = Math.round(SAMPLE_RATE * (0.06 + 0.1 * next()));
  for (let i = 0; i < samples; i++) {
    const t = i / SAMPLE_RATE;
    const position = (i + seed * 977) % (syllable + pause);
    const voiced = position < syllable ? Math.sin((Math.PI * position) / syllable) : 0;
    const pitch = 120 + 60 * Math.sin(2 * Math.PI * 1.3 * t + seed);
    phase += pitch / SAMPLE_RATE;
    let value = 0;
    for (const [k, formant] of formants.entries()) {
      const harmonic = Math.max(1, Math.round(formant / pitch));
      value += Math.sin(2 * Math.PI * harmonic * phase) / (k + 1.5);
    }
    out[i] = 0.5 * voiced * value * Math.exp(-((phase % 1) * 3)) + 0.01 * gaussian(next);
  }
  return out;
}

function sileroVad(): CorpusInputs {
  return {
    dims: { batch: 1, sequence: VAD_FRAME },
    sample: (index) => [
      float('input', [1, VAD_FRAME], speechLikeAudio(VAD_FRAME, index + 1)),
      { name: 'sr', type: 'int64', dims: [], data: BigInt64Array.of(BigInt(SAMPLE_RATE)) },
      // A stream's first frame: the LSTM state starts at zero.
      float('h', [2, 1, 64], new Float32Array(128)),
      float('c', [2, 1, 64], new Float32Array(128)),
    ],
  };
}

function owwMelspectrogram(): CorpusInputs {
  return {
    dims: { batch_size: 1, samples: OWW_MEL_SAMPLES },
    sample: (index) => {
      // openWakeWord passes int16 PCM values as float32, unscaled.
      const audio = speechLikeAudio(OWW_MEL_SAMPLES, index + 11).map((v) => Math.round(v * 32767 * 0.6));
      return [float('input', [1, OWW_MEL_SAMPLES], audio)];
    },
  };
}

/**
 * Mel frames as the embedding model sees them (the mel model's output / 10 + 2): smooth over time
 * and frequency, low bins louder, voiced stretches with formant bands, values about 0…4.
 */
export function melFrames(frames: number, bins: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(frames * bins);
  const bands = [4 + 3 * next(), 10 + 4 * next(), 18 + 5 * next()];
  for (let t = 0; t < frames; t++) {
    const voiced = Math.max(0, Math.sin((Math.PI * (t + seed * 7)) / 24));
    for (let b = 0; b < bins; b++) {
      const tilt = 1.6 - b / bins;
      const formant = bands.reduce((sum, centre) => sum + Math.exp(-((b - centre) ** 2) / 6), 0);
      out[t * bins + b] = Math.max(0, tilt + voiced * 1.8 * formant + 0.15 * gaussian(next));
    }
  }
  return out;
}

/** Speech embeddings: per-feature offsets that drift slowly over frames, about -2…2. */
export function embeddingFrames(frames: number, features: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(frames * features);
  const base = Array.from({ length: features }, () => gaussian(next));
  for (let t = 0; t < frames; t++) {
    for (let f = 0; f < features; f++) {
      base[f] = 0.9 * (base[f] ?? 0) + 0.1 * gaussian(next);
      out[t * features + f] = base[f] ?? 0;
    }
  }
  return out;
}

function owwEmbedding(): CorpusInputs {
  return {
    dims: { unk__314: 1 },
    sample: (index) => [float('input_1', [1, 76, 32, 1], melFrames(76, 32, index + 21))],
  };
}

function owwKeyword(input: string, frames: number, seedBase: number): CorpusInputs {
  return {
    dims: {},
    sample: (index) => [float(input, [1, frames, 96], embeddingFrames(frames, 96, index + seedBase))],
  };
}

/**
 * A grey page with dark, slightly blurred strokes shaped like glyphs, in lines of text. Returns
 * 0…255 luminance, height × width.
 */
export function textImage(height: number, width: number, seed: number, lines: number): Float32Array {
  const next = random(seed);
  const ink = new Float32Array(height * width);
  const lineHeight = height / lines;
  for (let line = 0; line < lines; line++) {
    const glyphHeight = lineHeight * (0.45 + 0.15 * next());
    const top = line * lineHeight + (lineHeight - glyphHeight) / 2;
    let x = width * 0.04 * (1 + next());
    const end = width * (0.6 + 0.36 * next());
    while (x < end) {
      const glyphWidth = glyphHeight * (0.5 + 0.4 * next());
      const strokes = 2 + Math.floor(next() * 3);
      for (let s = 0; s < strokes; s++) {
        const x0 = x + next() * glyphWidth;
        const y0 = top + next() * glyphHeight;
        const x1 = x + next() * glyphWidth;
        const y1 = top + next() * glyphHeight;
        drawStroke(ink, width, height, [x0, y0, x1, y1], Math.max(1, glyphHeight / 9));
      }
      x += glyphWidth * (1.15 + (next() < 0.15 ? 1.5 : 0));
    }
  }
  const out = new Float32Array(height * width);
  for (let i = 0; i < out.length; i++) out[i] = 245 - 215 * Math.min(1, ink[i] ?? 0) + 4 * gaussian(next);
  return out;
}

function drawStroke(ink: Float32Array, width: number, height: number, [x0, y0, x1, y1]: number[], thickness: number): void {
  const pad = thickness + 1;
  const [left, right] = [Math.max(0, Math.floor(Math.min(x0!, x1!) - pad)), Math.min(width - 1, Math.ceil(Math.max(x0!, x1!) + pad))];
  const [top, bottom] = [Math.max(0, Math.floor(Math.min(y0!, y1!) - pad)), Math.min(height - 1, Math.ceil(Math.max(y0!, y1!) + pad))];
  const dx = x1! - x0!;
  const dy = y1! - y0!;
  const length2 = dx * dx + dy * dy || 1;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const t = Math.max(0, Math.min(1, ((x - x0!) * dx + (y - y0!) * dy) / length2));
      const distance = Math.hypot(x - (x0! + t * dx), y - (y0! + t * dy));
      // Anti-aliased edge, as a rendered and scanned glyph has.
      const coverage = Math.max(0, Math.min(1, thickness / 2 + 0.5 - distance));
      const i = y * width + x;
      ink[i] = Math.max(ink[i] ?? 0, coverage);
    }
  }
}

/** PaddleOCR's NormalizeImage: per channel (pixel / 255 - mean) / std, laid out NCHW (BGR order; grey makes it moot). */
function paddleTensor(grey: Float32Array, height: number, width: number, mean: number[], std: number[]): CorpusTensor {
  const plane = height * width;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) data[c * plane + i] = ((grey[i] ?? 0) / 255 - mean[c]!) / std[c]!;
  }
  return float('x', [1, 3, height, width], data);
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const HALF = [0.5, 0.5, 0.5];

function ocrDetector(height: number, width: number): CorpusInputs {
  return {
    // Detector input sides are multiples of 32 (DetResizeForTest).
    dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': height, 'p2o.DynamicDimension.2': width },
    sample: (index) => [paddleTensor(textImage(height, width, index + 31, 6), height, width, IMAGENET_MEAN, IMAGENET_STD)],
  };
}

function ocrRecognizer(width: number): CorpusInputs {
  return {
    // rec_image_shape 3,48,320: one text line, scaled to [-1, 1].
    dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': width },
    sample: (index) => [paddleTensor(textImage(48, width, index + 41, 1), 48, width, HALF, HALF)],
  };
}

function ocrClassifier(): CorpusInputs {
  return {
    // cls_image_shape 3,48,192.
    dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 },
    sample: (index) => [paddleTensor(textImage(48, 192, index + 51, 1), 48, 192, HALF, HALF)],
  };
}

/** The pen's path for each digit: x0, y0, x1, y1, … in a unit box (x right, y down). */
const DIGIT_PATHS: readonly (readonly number[])[] = [
  Array.from({ length: 17 }, (_, i) => [0.5 + 0.45 * Math.sin((i * Math.PI) / 8), 0.5 - 0.5 * Math.cos((i * Math.PI) / 8)]).flat(),
  [0.25, 0.2, 0.55, 0, 0.55, 1],
  [0.1, 0.25, 0.3, 0.03, 0.7, 0.03, 0.9, 0.25, 0.8, 0.5, 0.1, 1, 0.95, 1],
  [0.1, 0.1, 0.5, 0, 0.85, 0.2, 0.5, 0.48, 0.9, 0.72, 0.55, 1, 0.1, 0.9],
  [0.7, 1, 0.7, 0, 0.05, 0.7, 0.95, 0.7],
  [0.9, 0, 0.2, 0, 0.15, 0.45, 0.6, 0.4, 0.9, 0.65, 0.6, 1, 0.1, 0.9],
  [0.8, 0.05, 0.35, 0.2, 0.12, 0.6, 0.3, 0.97, 0.7, 0.95, 0.85, 0.7, 0.6, 0.5, 0.2, 0.6],
  [0.05, 0, 0.95, 0, 0.4, 1],
  [0.5, 0.48, 0.15, 0.25, 0.5, 0, 0.85, 0.25, 0.5, 0.48, 0.1, 0.75, 0.5, 1, 0.9, 0.75, 0.5, 0.48],
  [0.85, 0.35, 0.5, 0.5, 0.15, 0.3, 0.5, 0, 0.85, 0.3, 0.8, 1],
];

/**
 * A handwritten-looking digit as MNIST has them: a white pen stroke on black, the digit fitted in
 * the middle 20×20 of a 28×28 image, each one a little differently sized, slanted and placed.
 * Values 0…1, row-major.
 */
export function handwrittenDigit(digit: number, seed: number): Float32Array {
  const next = random(seed);
  const size = 28;
  const ink = new Float32Array(size * size);
  const height = 17 + 4 * next();
  const width = height * (0.55 + 0.2 * next());
  const slant = 0.25 * (next() - 0.5);
  const [cx, cy] = [14 + 2 * (next() - 0.5), 14 + 2 * (next() - 0.5)];
  const thickness = 1.8 + 0.9 * next();
  const place = (x: number, y: number): [number, number] => {
    const dy = (y - 0.5) * height;
    return [cx + (x - 0.5) * width - slant * dy, cy + dy];
  };
  const points = DIGIT_PATHS[digit % 10] ?? [];
  for (let i = 2; i + 1 < points.length; i += 2) {
    const [x0, y0] = place(points[i - 2]!, points[i - 1]!);
    const [x1, y1] = place(points[i]!, points[i + 1]!);
    drawStroke(ink, size, size, [x0, y0, x1, y1], thickness);
  }
  return ink;
}

function legacyCnn(): CorpusInputs {
  return {
    dims: {},
    sample: (index) => [float('Input3', [1, 1, 28, 28], handwrittenDigit(index, index + 81))],
  };
}

/** Keyed by the corpus model ids of scripts/corpus.mjs and the code-built models of fixtures.ts. */
export const CORPUS_INPUTS: Readonly<Record<string, CorpusInputs>> = {
  'silero-vad': sileroVad(),
  'oww-melspectrogram': owwMelspectrogram(),
  'oww-embedding': owwEmbedding(),
  'oww-hey-jarvis': owwKeyword('x.1', 16, 61),
  'oww-hello-deepa': owwKeyword('onnx::Flatten_0', 25, 71),
  'ppocr-v4-det': ocrDetector(320, 320),
  'ppocr-v4-rec': ocrRecognizer(320),
  'ppocr-v2-cls': ocrClassifier(),
  'legacy-cnn': legacyCnn(),
};

/** A NumPy .npy (format 1.0) file of the tensor. */
export function npyBytes(tensor: CorpusTensor): Uint8Array {
  const descr = tensor.type === 'float32' ? '<f4' : '<i8';
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const data = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

function writeSet(dir: string, tensors: readonly CorpusTensor[]): void {
  mkdirSync(dir, { recursive: true });
  for (const tensor of tensors) writeFileSync(path.join(dir, `${tensor.name}.npy`), npyBytes(tensor));
}

export interface CorpusInputFolders {
  /** One input set: `bench --inputs`. */
  benchDir: string;
  /** `sets` sub-folders of input sets: `quantize --calibration` (the last ⌈20 %⌉ are the evaluation data). */
  calibrationDir: string;
  dims: Readonly<Record<string, number>>;
}

/** Writes the model's inputs under `dir`: a bench folder (set 0) and a calibration folder of `sets` sets. */
export function writeCorpusInputs(id: string, dir: string, sets = 6): CorpusInputFolders {
  const inputs = CORPUS_INPUTS[id];
  if (!inputs) throw new Error(`no corpus inputs for "${id}"`);
  const benchDir = path.join(dir, 'bench');
  const calibrationDir = path.join(dir, 'calibration');
  writeSet(benchDir, inputs.sample(0));
  for (let index = 0; index < sets; index++)
    writeSet(path.join(calibrationDir, `set_${String(index).padStart(2, '0')}`), inputs.sample(index + 1));
  return { benchDir, calibrationDir, dims: inputs.dims };
}

/** `--dim name=value` arguments for the model's symbolic dimensions. */
export function dimArgs(dims: Readonly<Record<string, number>>): string[] {
  return Object.entries(dims).flatMap(([name, value]) => ['--dim', `${name}=${value}`]);
}
