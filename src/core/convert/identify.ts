/**
 * What a model file or folder is, from its content (never by running it): ONNX, a PyTorch file
 * (TorchScript, a whole pickled module, a state_dict, another pickle), or a TensorFlow one (Keras
 * HDF5 / v3, SavedModel, TFLite). The one place that recognises source formats.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SourceIdentity } from '../../shared/domain/convert';
import { InferscopeError } from '../../shared/errors';
import { identityCore, reading, type IdentityCore, type Reading } from './formats';
import { sha256File, sha256Folder } from './hash';
import {
  isLegacyTorchSave,
  isTorchScript,
  readLegacyTorch,
  readPlainPickle,
  readTorchScript,
  readTorchZipPickle,
  torchRoot,
} from './identify-torch';
import { isHdf5, isTflite, readKerasH5, readKerasV3, readSavedModel, readTflite } from './identify-tf';
import { readZip } from './zip';

/** Pickles (data.pkl, legacy files) are read whole to walk them: larger than this is not read. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** TorchScript code files and Keras configs read to find inputs. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export interface Sniffed extends IdentityCore {
  path: string;
  name: string;
  isFolder: boolean;
  sizeBytes: number;
}

async function headOf(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const ascii = (head: Uint8Array, from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));

/** An ONNX model starts with field 1 (ir_version, a varint) of a ModelProto; the reader says the rest. */
const looksLikeOnnx = (head: Uint8Array): boolean => head[0] === 0x08 && (head[1] ?? 0) >= 1 && (head[1] ?? 0) <= 13;

async function readZipSource(file: string): Promise<Reading> {
  const limit = (name: string): number => {
    if (/(^|\/)data\.pkl$/.test(name)) return MAX_PICKLE_BYTES;
    return /(^|\/)code\/.*\.py$/.test(name) || name === 'config.json' ? MAX_TEXT_BYTES : 0;
  };
  const zip = await readZip(file, limit);
  const root = torchRoot(zip.names);
  if (root !== null && isTorchScript(zip.names, root)) return readTorchScript(root, zip.files);
  if (root !== null) {
    const data = zip.files.get(`${root}data.pkl`);
    if (!data) return reading('torch-pickle', [`ZIP with ${root}data.pkl larger than Inferscope reads`], { runsStoredCode: true });
    return readTorchZipPickle(root, data);
  }
  if (zip.names.includes('config.json') && zip.names.includes('model.weights.h5')) return readKerasV3(zip.files.get('config.json'));
  return reading('unknown', [`a ZIP archive of ${zip.names.length} entries, without data.pkl or a Keras config.json`]);
}

async function readPickleFile(file: string, size: number, head: Uint8Array): Promise<Reading> {
  if (size > MAX_PICKLE_BYTES) {
    return reading('torch-pickle', [`a pickle of ${Math.round(size / 2 ** 20)} MiB, too large to read without running it`], {
      runsStoredCode: true,
    });
  }
  const bytes = await fs.readFile(file);
  try {
    return isLegacyTorchSave(head) ? readLegacyTorch(bytes) : readPlainPickle(bytes);
  } catch (error) {
    // Python may still load what our reader cannot walk: it stays a pickle, with the go-ahead asked.
    const why = error instanceof Error ? error.message : String(error);
    return reading('torch-pickle', [`starts like a pickle (protocol ${head[1]}), but: ${why}`], { runsStoredCode: true });
  }
}

/** `deep: false` skips looking through a whole HDF5 file for Keras's attributes (naming its format is enough). */
async function readFile(file: string, size: number, deep: boolean): Promise<Reading> {
  const head = await headOf(file, 2056);
  if (head.length >= 4 && ascii(head, 0, 4) === 'PK\u0003\u0004') return readZipSource(file);
  if (head[0] === 0x80 && (head[1] ?? 0) >= 2 && (head[1] ?? 0) <= 5) return readPickleFile(file, size, head);
  if (isHdf5(head)) return deep ? readKerasH5(file) : reading('keras-h5', ['HDF5 file'], { label: 'Keras HDF5 file (TensorFlow)' });
  if (isTflite(head)) return readTflite();
  if (looksLikeOnnx(head)) return reading('onnx', ['protobuf starting with an ONNX ir_version']);
  return reading('unknown', [head.length === 0 ? 'the file is empty' : 'its first bytes match no format Inferscope knows']);
}

/** Refusals every reader shares: a missing path, a device, a folder that is not a SavedModel. */
async function statSource(source: string): Promise<{ isFolder: boolean; size: number }> {
  const info = await fs.stat(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw new InferscopeError('MODEL_NOT_FOUND', `No model at ${source}.`);
    throw new InferscopeError('IO_ERROR', `Could not read ${source}: ${error.message}`);
  });
  if (!info.isFile() && !info.isDirectory()) {
    throw new InferscopeError('MODEL_NOT_A_FILE', `${path.basename(source)} is not a regular file or folder.`);
  }
  return { isFolder: info.isDirectory(), size: info.size };
}

/** Reads what the source is, without hashing it (for refusing a PyTorch file where ONNX is needed). */
export async function sniffSource(source: string, options: { deep?: boolean } = {}): Promise<Sniffed> {
  const absolute = path.resolve(source);
  const name = path.basename(absolute);
  const { isFolder, size } = await statSource(absolute);
  let found: Reading;
  try {
    found = isFolder ? ((await readSavedModel(absolute)) ?? folderNotModel()) : await readFile(absolute, size, options.deep ?? true);
  } catch (error) {
    if (!(error instanceof InferscopeError) || error.code !== 'MODEL_INVALID') throw error;
    found = reading('unknown', [error.message]);
  }
  return { path: absolute, name, isFolder, sizeBytes: size, ...identityCore(name, found) };
}

const folderNotModel = (): Reading => reading('unknown', ['a folder without saved_model.pb (not a TensorFlow SavedModel)']);

/** The identity of a source: what it is, its sha256 and size (a folder: of all its files). */
export async function identifySource(source: string): Promise<Omit<SourceIdentity, 'converted'>> {
  const sniffed = await sniffSource(source);
  // A folder that is no model (a home folder dropped by mistake) is not walked for a hash nobody needs.
  if (sniffed.isFolder && sniffed.framework === null) return { ...sniffed, sha256: '', sizeBytes: 0 };
  const hashed = sniffed.isFolder
    ? await sha256Folder(sniffed.path)
    : { sha256: await sha256File(sniffed.path), sizeBytes: sniffed.sizeBytes };
  return { ...sniffed, ...hashed };
}
