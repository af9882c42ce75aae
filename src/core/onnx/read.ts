/**
 * Loading ONNX models: coded errors for every way a file can be wrong (decodeModel names the
 * format a file really is), and external data resolved and checked against the model's folder.
 * Saving is write.ts.
 */
import { constants as fsConstants, closeSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { freemem } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InferscopeError } from '../../shared/errors';
import { formatBytes } from '../../shared/stats/format';
import { decodeModelProto, type onnx, type ModelProto } from './codec';
import { describeTensor, elementCount, formatBigBytes } from '../budget';
import { dtypeBits, dtypeName } from './dtypes';
import { checkExternalLocation, externalDataRef, isExternal, tensorByteSize, tensorSpec, type ExternalDataReader } from './tensor';
import { tensorsOf } from './walk';

/** Protobuf cannot address a message of 2 GiB or more; bigger weights must be external data. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

const READ_CHUNK_BYTES = 64 * 1024 * 1024;
/** One read or write call moves at most this much (Node refuses more than 2 GiB − 1 per call). */
export const IO_CHUNK_BYTES = 1024 * 1024 * 1024;

export interface ExternalDataFileInfo {
  /** As written in the model. */
  location: string;
  /** Absolute path. */
  path: string;
  /** Size of the file on disk. */
  fileBytes: number;
  /** Bytes of tensor data the model references in it. */
  bytes: number;
  tensors: number;
}

export interface LoadedModel {
  /** Absolute path of the .onnx file. */
  path: string;
  /** Folder external data locations are relative to. */
  dir: string;
  sizeBytes: number;
  /** The file's bytes; `bytes` fields of `model` (raw_data, ...) are views into it. */
  bytes: Uint8Array;
  model: onnx.ModelProto;
  externalData: ExternalDataFileInfo[];
  /** Reads external tensor data of this model (positioned reads; locations already checked). */
  external: ExternalDataReader;
}

export interface ReadModelOptions {
  signal?: AbortSignal;
}

function ioError(path: string, error: unknown): InferscopeError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new InferscopeError('MODEL_NOT_FOUND', `No model at ${path}.`, { detail: path, cause: error });
  }
  if (code === 'EISDIR') {
    return new InferscopeError('MODEL_NOT_A_FILE', `${path} is a folder, not a model file.`, { detail: path, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new InferscopeError('IO_ERROR', `Could not read ${path}: ${message}`, { detail: path, cause: error });
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Reading the model was cancelled.');
}

/** The model file's stats, or a coded refusal: missing, a folder, not a regular file, empty, too large. */
export async function statModelFile(path: string): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw ioError(path, error);
  }
  if (info.isDirectory()) throw new InferscopeError('MODEL_NOT_A_FILE', `${path} is a folder, not a model file.`, { detail: path });
  if (!info.isFile()) throw new InferscopeError('MODEL_NOT_A_FILE', `${path} is not a regular file.`, { detail: path });
  // The file's name only, and no path as detail: in the browser host the path is the server's upload folder.
  if (info.size === 0) throw new InferscopeError('MODEL_EMPTY', `${basename(path)} is empty (0 bytes).`);
  if (info.size > MAX_MODEL_BYTES) {
    throw new InferscopeError(
      'MODEL_TOO_LARGE',
      `${basename(path)} is ${formatBytes(info.size)}; an .onnx file must be under 2 GiB, with larger weights kept in external data files.`,
      { detail: path },
    );
  }
  const available = freemem();
  if (info.size > available) {
    throw new InferscopeError(
      'MODEL_TOO_LARGE',
      `${basename(path)} is ${formatBytes(info.size)} but only ${formatBytes(available)} of memory is free to load it.`,
      { detail: path },
    );
  }
  return info;
}

/** Reads the whole file with positioned reads into one buffer (protobuf needs it contiguous). */
async function readWhole(path: string, size: number, signal: AbortSignal | undefined): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(path, fsConstants.O_RDONLY);
  } catch (error) {
    throw ioError(path, error);
  }
  try {
    const buffer = Buffer.allocUnsafeSlow(size);
    let position = 0;
    while (position < size) {
      checkAborted(signal);
      const length = Math.min(READ_CHUNK_BYTES, size - position);
      const { bytesRead } = await handle.read(buffer, position, length, position);
      if (bytesRead === 0) {
        // The file shrank while we read it: what we have is all there is.
        return buffer.subarray(0, position);
      }
      position += bytesRead;
    }
    return buffer;
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    throw ioError(path, error);
  } finally {
    await handle.close();
  }
}

export async function readModel(path: string, options: ReadModelOptions = {}): Promise<LoadedModel> {
  const absolute = resolve(path);
  checkAborted(options.signal);
  const info = await statModelFile(absolute);
  const bytes = await readWhole(absolute, info.size, options.signal);
  const model = decodeModel(bytes, basename(absolute));
  checkTensorShapes(model, info.size, basename(absolute));
  const dir = dirname(absolute);
  const roots = await externalDataRoots(absolute);
  const externalData = await resolveExternalData(model, dir, roots);
  return {
    path: absolute,
    dir,
    sizeBytes: info.size,
    bytes,
    model,
    externalData,
    external: fileExternalDataReader(dir, roots),
  };
}

/**
 * Every tensor's dims are sizes (MODEL_INVALID names the first that is not), and no tensor
 * stored in the file declares more values than the file could hold: every encoding takes at
 * least a byte a value, or a packed share of one. Dims like [1e12] over 4 bytes of data are
 * refused here, before anything counts or allocates by them.
 */
export function checkTensorShapes(model: ModelProto, fileBytes: number, name = 'The model'): void {
  for (const { tensor, role } of tensorsOf(model)) {
    const spec = tensorSpec(tensor, role.replace('-', ' '));
    const count = elementCount(spec);
    if (isExternal(tensor)) continue;
    const bits = BigInt(Math.min(8, dtypeBits(tensor.data_type) ?? 8));
    const least = (count * bits + 7n) / 8n;
    if (least > BigInt(fileBytes)) {
      throw new InferscopeError(
        'MODEL_INVALID',
        `${describeTensor(spec)} would take at least ${formatBigBytes(least)}, but ${name} is only ${formatBigBytes(fileBytes)}: ` +
          'its dims do not match the data it holds.',
        { detail: tensor.name ?? '' },
      );
    }
  }
}

/**
 * Real folders external data may live in: the model's folder, and the folder of the file it
 * links to (a Hugging Face cache links both the model and its data into blobs/).
 */
async function externalDataRoots(modelPath: string): Promise<string[]> {
  const dir = dirname(modelPath);
  const roots = [await realpath(dir).catch(() => dir)];
  const target = await realpath(modelPath).catch(() => modelPath);
  if (!roots.includes(dirname(target))) roots.push(dirname(target));
  return roots;
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return !rel.startsWith('..') && !isAbsolute(rel);
};

function escapesRoots(real: string, roots: readonly string[], location: string, tensorName: string): InferscopeError | undefined {
  if (roots.some((root) => inside(root, real))) return undefined;
  const whose = tensorName ? `Tensor "${tensorName}" keeps its data in` : 'External data';
  const message = `${whose} "${location}", which links to ${real}, outside the model's folder.`;
  return new InferscopeError('MODEL_INVALID', message, { detail: location });
}

/**
 * Reads external data files relative to `dir` with positioned reads. With `roots` (the real
 * folders the data may live in) a location whose symbolic links lead elsewhere is refused.
 */
export function fileExternalDataReader(dir: string, roots?: readonly string[]): ExternalDataReader {
  return {
    read(location, offset, length) {
      checkExternalLocation(location, '');
      const path = join(dir, location);
      let fd: number;
      try {
        const escape = roots ? escapesRoots(realpathSync(path), roots, location, '') : undefined;
        if (escape) throw escape;
        fd = openSync(path, 'r');
      } catch (error) {
        if (error instanceof InferscopeError) throw error;
        throw new InferscopeError('EXTERNAL_DATA_MISSING', `External data file "${location}" is missing.`, {
          detail: location,
          cause: error,
        });
      }
      try {
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, out, done, Math.min(IO_CHUNK_BYTES, length - done), offset + done);
          if (n === 0) {
            throw new InferscopeError('EXTERNAL_DATA_MISSING', `External data file "${location}" ends before byte ${offset + length}.`, {
              detail: location,
            });
          }
          done += n;
        }
        return out;
      } finally {
        closeSync(fd);
      }
    },
  };
}

async function resolveExternalData(model: ModelProto, dir: string, roots: readonly string[]): Promise<ExternalDataFileInfo[]> {
  const files = new Map<string, ExternalDataFileInfo>();
  const sizes = new Map<string, number>();
  for (const { tensor } of tensorsOf(model)) {
    const ref = externalDataRef(tensor);
    if (!ref) continue;
    const name = tensor.name ?? '';
    let fileBytes = sizes.get(ref.location);
    if (fileBytes === undefined) {
      const path = join(dir, ref.location);
      let info: Stats;
      try {
        const escape = escapesRoots(await realpath(path), roots, ref.location, name);
        if (escape) throw escape;
        info = await stat(path);
      } catch (error) {
        if (error instanceof InferscopeError) throw error;
        throw new InferscopeError(
          'EXTERNAL_DATA_MISSING',
          `Tensor "${name}" keeps its data in "${ref.location}", which is not next to the model.`,
          { detail: ref.location, cause: error },
        );
      }
      if (!info.isFile()) {
        throw new InferscopeError('EXTERNAL_DATA_MISSING', `External data "${ref.location}" is not a file.`, {
          detail: ref.location,
        });
      }
      fileBytes = info.size;
      sizes.set(ref.location, fileBytes);
    }
    const needed = tensorByteSize(tensor);
    if (ref.length !== undefined && needed !== undefined && ref.length < needed) {
      throw new InferscopeError(
        'EXTERNAL_DATA_INVALID',
        `Tensor "${name}" (${dtypeName(tensor.data_type)}) needs ${needed} bytes but its external data length is ${ref.length}.`,
        { detail: ref.location },
      );
    }
    const length = ref.length ?? needed ?? fileBytes - ref.offset;
    if (ref.offset + length > fileBytes) {
      throw new InferscopeError(
        'EXTERNAL_DATA_MISSING',
        `Tensor "${name}" reads bytes ${ref.offset}–${ref.offset + length} of "${ref.location}", but that file has only ` +
          `${fileBytes} bytes.`,
        { detail: ref.location },
      );
    }
    let entry = files.get(ref.location);
    if (!entry) {
      entry = { location: ref.location, path: join(dir, ref.location), fileBytes, bytes: 0, tensors: 0 };
      files.set(ref.location, entry);
    }
    entry.bytes += length;
    entry.tensors += 1;
  }
  return [...files.values()];
}

// ---------------------------------------------------------------------------------------------
// Decoding with errors that say what is wrong with the file.

/** ModelProto's field numbers and their wire types, used to tell a cut-short model from other bytes. */
const MODEL_FIELDS: Record<number, number> = {
  1: 0, // ir_version
  2: 2, // producer_name
  3: 2, // producer_version
  4: 2, // domain
  5: 0, // model_version
  6: 2, // doc_string
  7: 2, // graph
  8: 2, // opset_import
  14: 2, // metadata_props
  20: 2, // training_info
  25: 2, // functions
  26: 2, // configuration
};

interface TopLevelScan {
  /** complete: every field ends inside the buffer; cut: the last one runs past the end; invalid: not a ModelProto's layout. */
  status: 'complete' | 'cut' | 'invalid';
  irVersion: number | undefined;
  fields: number[];
}

/**
 * Walk the top-level fields of a would-be ModelProto without decoding them. A real model cut
 * short keeps a valid layout up to the point where the last field's declared length runs
 * past the end of the file; other bytes break the layout (unknown field numbers, wrong or
 * reserved wire types) almost immediately.
 */
export function scanTopLevel(bytes: Uint8Array): TopLevelScan {
  const fields: number[] = [];
  let irVersion: number | undefined;
  let pos = 0;
  const end = bytes.length;
  const readVarint = (): number | 'cut' | 'invalid' => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) return 'cut';
      const b = bytes[pos++] ?? 0;
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return result;
    }
    return 'invalid';
  };
  while (pos < end) {
    const tag = readVarint();
    if (tag === 'cut' || tag === 'invalid') return { status: tag, irVersion, fields };
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0 || MODEL_FIELDS[field] !== wireType) return { status: 'invalid', irVersion, fields };
    fields.push(field);
    if (wireType === 0) {
      const value = readVarint();
      if (value === 'cut' || value === 'invalid') return { status: value, irVersion, fields };
      if (field === 1) irVersion = value;
    } else {
      const length = readVarint();
      if (length === 'cut' || length === 'invalid') return { status: length, irVersion, fields };
      if (pos + length > end) return { status: 'cut', irVersion, fields };
      pos += length;
    }
  }
  return { status: 'complete', irVersion, fields };
}

const plausibleIrVersion = (v: number | undefined): boolean => v !== undefined && v >= 1 && v <= 255;

function looksLike(bytes: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 4 && ascii(0, 4) === 'PK\u0003\u0004') {
    return 'It is a ZIP archive (PyTorch .pt/.pth checkpoints are ZIP files): export the model to ONNX first, e.g. with torch.onnx.export.';
  }
  if (bytes.length >= 8 && ascii(4, 8) === 'TFL3') return 'It is a TensorFlow Lite model; convert it to ONNX first (e.g. tf2onnx).';
  if (bytes.length >= 8 && ascii(4, 8) === 'ORTM') {
    return 'It is an ONNX Runtime .ort model (ORT format), not an .onnx protobuf model.';
  }
  if (bytes.length >= 4 && ascii(0, 4) === 'GGUF') return 'It is a GGUF model (llama.cpp), not ONNX.';
  if (bytes.length >= 4 && ascii(0, 4) === '\u0089HDF') return 'It is an HDF5 file (e.g. a Keras .h5 model), not ONNX.';
  if (bytes.length >= 10 && bytes[8] === 0x7b && bytes[9] === 0x22) {
    return 'It looks like a safetensors weights file: it holds weights only, not an ONNX graph.';
  }
  if (bytes.length >= 2 && bytes[0] === 0x80 && (bytes[1] ?? 0) >= 2 && (bytes[1] ?? 0) <= 5) {
    return 'It looks like a Python pickle, not ONNX.';
  }
  const head = bytes.subarray(0, Math.min(bytes.length, 512));
  let printable = 0;
  for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) printable++;
  if (head.length > 0 && printable / head.length > 0.95) return 'It is a text file.';
  return undefined;
}

function notOnnx(name: string, bytes: Uint8Array, why: string): InferscopeError {
  const hint = looksLike(bytes);
  return new InferscopeError('MODEL_NOT_ONNX', `${name} is not an ONNX model: ${why}.${hint ? ` ${hint}` : ''}`, {
    detail: why,
  });
}

/**
 * Decode a model from bytes, or throw MODEL_EMPTY / MODEL_TRUNCATED / MODEL_NOT_ONNX.
 * `bytes` must stay alive and unmodified as long as the model is used.
 */
export function decodeModel(bytes: Uint8Array, name = 'The file'): onnx.ModelProto {
  if (bytes.length === 0) throw new InferscopeError('MODEL_EMPTY', `${name} is empty (0 bytes).`);
  let model: onnx.ModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (error) {
    const scan = scanTopLevel(bytes);
    const reason = error instanceof Error ? error.message : String(error);
    if (scan.status === 'cut' && plausibleIrVersion(scan.irVersion)) {
      throw new InferscopeError(
        'MODEL_TRUNCATED',
        `${name} is cut short: it starts like an ONNX model (IR version ${scan.irVersion}) but ends in the middle of its data ` +
          `(${formatBytes(bytes.length)} read). The download or copy may be incomplete.`,
        { detail: reason, cause: error },
      );
    }
    if (scan.status === 'complete' && plausibleIrVersion(scan.irVersion)) {
      throw new InferscopeError('MODEL_NOT_ONNX', `${name} starts like an ONNX model but its contents are damaged (${reason}).`, {
        detail: reason,
        cause: error,
      });
    }
    throw notOnnx(name, bytes, `the bytes are not a valid ONNX protobuf (${reason})`);
  }
  const has = (field: string) => Object.prototype.hasOwnProperty.call(model, field);
  if (!has('graph') || !model.graph) {
    const scan = scanTopLevel(bytes);
    const lastField = scan.fields.length ? Math.max(...scan.fields) : 0;
    if (scan.status === 'complete' && plausibleIrVersion(scan.irVersion) && lastField < 7) {
      throw new InferscopeError(
        'MODEL_TRUNCATED',
        `${name} is cut short: it starts like an ONNX model (IR version ${scan.irVersion}) but ends before its graph.`,
      );
    }
    throw notOnnx(name, bytes, 'it has no graph');
  }
  if (!has('ir_version')) throw notOnnx(name, bytes, 'it has no IR version');
  if ((model.opset_import ?? []).length === 0) {
    // Writers emit fields in field-number order, so a file ending right after the graph
    // (field 7) has lost its opset imports (field 8) and everything after them.
    const scan = scanTopLevel(bytes);
    const ascending = scan.fields.every((f, i) => i === 0 || f >= (scan.fields[i - 1] ?? 0));
    if (scan.status === 'complete' && ascending && Math.max(...scan.fields) <= 7) {
      throw new InferscopeError(
        'MODEL_TRUNCATED',
        `${name} is cut short: it ends right after its graph, before the operator sets it imports.`,
      );
    }
  }
  return model;
}
