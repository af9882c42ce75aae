/**
 * Saving ONNX models: atomic writes (temp file, fsync, rename), with optional external data.
 * A written model never depends on files it did not write. Loading is read.ts.
 */
import { constants as fsConstants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InferscopeError } from '../../shared/errors';
import { formatBytes } from '../../shared/stats/format';
import { DataLocation, DataType, onnx, type ModelProto, type TensorProto } from './codec';
import { IO_CHUNK_BYTES, MAX_MODEL_BYTES, type LoadedModel } from './read';
import {
  checkExternalLocation,
  externalDataRef,
  readTensorValues,
  tensorByteSize,
  tensorRawBytes,
  type ExternalDataReader,
} from './tensor';
import { cloneMessage, mapTensors } from './walk';

const EXTERNAL_ALIGNMENT = 4096;

/** Serialize a model; throws MODEL_TOO_LARGE when it would reach protobuf's 2 GiB limit. */
export function encodeModel(model: ModelProto): Uint8Array {
  const writer = onnx.ModelProto.encode(model);
  if (writer.len > MAX_MODEL_BYTES) {
    throw new InferscopeError(
      'MODEL_TOO_LARGE',
      `The model would be ${formatBytes(writer.len)} as one file; store large tensors as external data (externalDataThresholdBytes).`,
    );
  }
  return writer.finish();
}

export interface WriteModelOptions {
  /**
   * Main-graph initializers holding at least this many bytes go to an external data file
   * (offsets aligned to 4096). Without it every tensor is stored inside the .onnx file.
   */
  externalDataThresholdBytes?: number;
  /** External data file name, relative to the model's folder; default "<model file name>.data". */
  externalDataLocation?: string;
  /**
   * Where tensors of `model` that are already external come from (usually the LoadedModel
   * the model was read as). Their bytes are copied into the new file(s).
   */
  externalDataSource?: ExternalDataReader | LoadedModel;
  signal?: AbortSignal;
}

export interface WriteModelResult {
  path: string;
  sizeBytes: number;
  externalData: { location: string; path: string; sizeBytes: number; tensors: number } | null;
}

function sourceReader(source: WriteModelOptions['externalDataSource']): ExternalDataReader | undefined {
  if (!source) return undefined;
  return 'read' in source ? source : source.external;
}

/** The tensor's values as little-endian bytes, whatever field they are stored in. */
function tensorBytesForExternal(tensor: TensorProto, source: ExternalDataReader | undefined): Uint8Array | undefined {
  if (tensor.data_type === DataType.STRING) return undefined;
  const raw = tensorRawBytes(tensor, source);
  if (raw) return raw;
  const values = readTensorValues(tensor, source);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The tensor with its data moved inline into raw_data (for tensors currently external). */
function inlined(tensor: TensorProto, source: ExternalDataReader | undefined): TensorProto {
  const raw = tensorRawBytes(tensor, source);
  const copy = cloneMessage(tensor);
  delete copy.external_data;
  delete copy.data_location;
  if (raw) copy.raw_data = raw;
  return copy;
}

async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, Math.min(IO_CHUNK_BYTES, data.length - done), position + done);
    done += bytesWritten;
  }
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function writeError(path: string, error: unknown): InferscopeError {
  if (error instanceof InferscopeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new InferscopeError('DISK_FULL', `Not enough disk space to write ${path}.`, { detail: path, cause: error });
  }
  return new InferscopeError('IO_ERROR', `Could not write ${path}: ${message}`, { detail: path, cause: error });
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the renames durable; not every platform lets a folder be opened (Windows), which is fine.
  try {
    const handle = await open(dir, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Write a model atomically (temp file, fsync, rename). With `externalDataThresholdBytes`,
 * large main-graph initializers go to one external data file at 4096-aligned offsets. The
 * written model never depends on files it did not write: tensors that were external in the
 * input are copied from `externalDataSource`.
 */
export async function writeModel(path: string, model: ModelProto, options: WriteModelOptions = {}): Promise<WriteModelResult> {
  const absolute = resolve(path);
  const dir = dirname(absolute);
  const source = sourceReader(options.externalDataSource);
  const threshold = options.externalDataThresholdBytes;
  const location = options.externalDataLocation ?? `${basename(absolute)}.data`;
  if (threshold !== undefined) checkExternalLocation(location, '(external data file)');

  const tempModel = tempPathFor(absolute);
  const externalTarget = join(dir, location);
  const tempExternal = threshold !== undefined ? tempPathFor(externalTarget) : undefined;
  try {
    const { written, outgoing, externalSize } = moveOutLargeTensors(model, threshold, location, source);
    const externalTensors = tempExternal && outgoing.length > 0 ? await writeExternalData(tempExternal, outgoing, options.signal) : 0;
    const bytes = encodeModel(written);
    const handle = await open(tempModel, 'w');
    try {
      await writeFully(handle, bytes, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (tempExternal && externalTensors > 0) await rename(tempExternal, externalTarget);
    await rename(tempModel, absolute);
    await fsyncDir(dir);
    return {
      path: absolute,
      sizeBytes: bytes.length,
      externalData: externalTensors > 0 ? { location, path: externalTarget, sizeBytes: externalSize, tensors: externalTensors } : null,
    };
  } catch (error) {
    await rm(tempModel, { force: true }).catch(() => undefined);
    if (tempExternal) await rm(tempExternal, { force: true }).catch(() => undefined);
    throw writeError(absolute, error);
  }
}

/** A tensor bound for the external data file: where it goes, and its bytes, fetched when written. */
interface OutgoingTensor {
  offset: number;
  length: number;
  bytes: () => Uint8Array | undefined;
}

/**
 * The model as it will be written: main-graph initializers of at least `threshold` bytes point
 * at the external data file (`outgoing` says what goes where), and tensors that were external
 * in the input are inlined from `source`. A synchronous walk; the bytes of outgoing tensors are
 * fetched one at a time while writing, so external sources are never held in memory all at once.
 */
function moveOutLargeTensors(
  model: ModelProto,
  threshold: number | undefined,
  location: string,
  source: ExternalDataReader | undefined,
): { written: ModelProto; outgoing: OutgoingTensor[]; externalSize: number } {
  const outgoing: OutgoingTensor[] = [];
  let externalSize = 0;
  const written = mapTensors(model, (tensor, { role, depth }) => {
    const movable = threshold !== undefined && role === 'initializer' && depth === 0 && tensor.data_type !== DataType.STRING;
    const size = movable ? tensorByteSize(tensor) : undefined;
    if (threshold !== undefined && size !== undefined && size > 0 && size >= threshold) {
      const offset = Math.ceil(externalSize / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
      externalSize = offset + size;
      const moved = cloneMessage(tensor);
      for (const field of ['raw_data', 'float_data', 'int32_data', 'int64_data', 'double_data', 'uint64_data'] as const) {
        delete moved[field];
      }
      moved.data_location = DataLocation.EXTERNAL;
      moved.external_data = [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(size) },
      ];
      outgoing.push({ offset, length: size, bytes: () => tensorBytesForExternal(tensor, source) });
      return moved;
    }
    if (tensor.data_location === DataLocation.EXTERNAL) {
      if (!source) {
        const ref = externalDataRef(tensor);
        throw new InferscopeError(
          'EXTERNAL_DATA_MISSING',
          `Tensor "${tensor.name ?? ''}" keeps its data in "${ref?.location ?? '?'}"; pass externalDataSource so it can be copied.`,
          { detail: ref?.location ?? '' },
        );
      }
      return inlined(tensor, source);
    }
    return tensor;
  });
  return { written, outgoing, externalSize };
}

/** Writes the outgoing tensors into `path` (fsynced) and returns how many there were. */
async function writeExternalData(path: string, outgoing: readonly OutgoingTensor[], signal: AbortSignal | undefined): Promise<number> {
  const handle = await open(path, 'w');
  let tensors = 0;
  try {
    for (const item of outgoing) {
      if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Writing the model was cancelled.');
      const bytes = item.bytes();
      if (!bytes || bytes.length < item.length) {
        throw new InferscopeError('INTERNAL', 'A tensor holds fewer bytes than its dims and type require.');
      }
      await writeFully(handle, bytes.subarray(0, item.length), item.offset);
      tensors += 1;
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close();
  return tensors;
}
