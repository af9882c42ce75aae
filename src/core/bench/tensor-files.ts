/**
 * The user's own input tensors: NumPy .npy files and ONNX TensorProto .pb files (as in the
 * test_data_set_N folders ONNX model zoos ship). Each becomes raw little-endian bytes plus
 * type and dims, ready to travel to the worker. A bad file is an INPUT_INVALID error naming it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InferscopeError } from '../../shared/errors';
import { onnx } from '../onnx/codec';
import { dtypeName, dtypeStorageBytes } from '../onnx/dtypes';
import { readTensorValues, tensorDims, tensorElementCount } from '../onnx/tensor';
import type { UserTensor } from './measurement';

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** NumPy dtype descriptors (little-endian or byte-order-free) → onnxruntime element types. */
const NPY_TYPES: Record<string, { type: string; bytes: number }> = {
  '<f4': { type: 'float32', bytes: 4 },
  '<f8': { type: 'float64', bytes: 8 },
  '<f2': { type: 'float16', bytes: 2 },
  '<i8': { type: 'int64', bytes: 8 },
  '<i4': { type: 'int32', bytes: 4 },
  '<i2': { type: 'int16', bytes: 2 },
  '|i1': { type: 'int8', bytes: 1 },
  '<u8': { type: 'uint64', bytes: 8 },
  '<u4': { type: 'uint32', bytes: 4 },
  '<u2': { type: 'uint16', bytes: 2 },
  '|u1': { type: 'uint8', bytes: 1 },
  '|b1': { type: 'bool', bytes: 1 },
};

function invalid(file: string, why: string): InferscopeError {
  return new InferscopeError('INPUT_INVALID', `${path.basename(file)}: ${why}`, { detail: file });
}

export function parseNpy(bytes: Uint8Array, file: string, name: string): UserTensor {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw invalid(file, 'not a NumPy .npy file (bad magic).');
  const major = bytes[6] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major >= 2 ? 12 : 10;
  if (bytes.length < headerStart) throw invalid(file, 'the .npy header is cut short.');
  const headerLength = major >= 2 ? view.getUint32(8, true) : view.getUint16(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw invalid(file, 'the .npy header is cut short.');
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw invalid(file, 'the .npy header does not say dtype, order and shape.');
  if (fortran === 'True') throw invalid(file, 'Fortran-ordered arrays are not supported: save with np.ascontiguousarray.');
  const spec = NPY_TYPES[descr];
  if (!spec) throw invalid(file, `dtype ${descr} is not supported (big-endian, strings and objects cannot be fed to a model).`);
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw invalid(file, `bad shape (${shapeText}).`);
  const count = dims.reduce((a, b) => a * b, 1);
  const needed = count * spec.bytes;
  if (bytes.length - dataStart < needed)
    throw invalid(file, `holds ${bytes.length - dataStart} data bytes; shape (${dims.join(', ')}) of ${descr} needs ${needed}.`);
  return { name, type: spec.type, dims, data: bytes.slice(dataStart, dataStart + needed) };
}

export function parseTensorProto(bytes: Uint8Array, file: string, fallbackName: string): UserTensor {
  let tensor: onnx.TensorProto;
  try {
    tensor = onnx.TensorProto.decode(bytes);
  } catch (error) {
    throw invalid(file, `not an ONNX TensorProto (${error instanceof Error ? error.message : String(error)}).`);
  }
  const type = dtypeName(tensor.data_type);
  const dims = tensorDims(tensor);
  if (type === 'undefined' || type.startsWith('unknown') || type === 'string')
    throw invalid(file, `element type ${type} cannot be fed as an input here.`);
  const count = tensorElementCount(tensor);
  let values;
  try {
    values = readTensorValues(tensor);
  } catch (error) {
    throw invalid(file, error instanceof Error ? error.message : String(error));
  }
  if (typeof values === 'string' || Array.isArray(values)) throw invalid(file, 'string tensors are not supported.');
  const byteLength = dtypeStorageBytes(tensor.data_type, count) ?? 0;
  const data = new Uint8Array(values.buffer, values.byteOffset, Math.min(byteLength, values.byteLength)).slice();
  if (data.length !== byteLength) throw invalid(file, `holds ${data.length} bytes; dims [${dims.join(', ')}] need ${byteLength}.`);
  return { name: tensor.name || fallbackName, type, dims, data };
}

/**
 * Reads every .npy / .pb file in `dir`. Names: input_0.pb style files (ONNX test data sets) are
 * matched by the name inside the TensorProto or, failing that, by position; a .npy file is
 * named after its file name (e.g. input_ids.npy → "input_ids").
 */
export async function readTensorFolder(dir: string, inputNames: readonly string[]): Promise<UserTensor[]> {
  let entries: string[];
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw invalid(dir, 'is not a folder of tensors.');
    entries = (await fs.readdir(dir)).filter((f) => /\.(npy|pb)$/i.test(f)).sort();
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    throw new InferscopeError('INPUT_INVALID', `Cannot read the inputs folder ${dir}: ${(error as Error).message}`, { detail: dir });
  }
  if (entries.length === 0) throw invalid(dir, 'contains no .npy or .pb tensors.');
  const tensors: UserTensor[] = [];
  for (const [index, entry] of entries.entries()) {
    const file = path.join(dir, entry);
    const bytes = new Uint8Array(await fs.readFile(file));
    const stem = entry.replace(/\.(npy|pb)$/i, '');
    const positional = /^input_(\d+)$/.exec(stem);
    const fallback = positional ? (inputNames[Number(positional[1])] ?? stem) : (inputNames[index] ?? stem);
    const tensor = entry.toLowerCase().endsWith('.npy')
      ? parseNpy(bytes, file, inputNames.includes(stem) ? stem : fallback)
      : parseTensorProto(bytes, file, fallback);
    if (!inputNames.includes(tensor.name)) {
      throw invalid(file, `names input "${tensor.name}", but the model's inputs are ${inputNames.map((n) => `"${n}"`).join(', ')}.`);
    }
    tensors.push(tensor);
  }
  return tensors;
}

/** One tensor file given as an input's value (--input state=state.npy): the tensor, named after that input. */
export async function readTensorFile(file: string, inputName: string): Promise<UserTensor> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (error) {
    throw new InferscopeError('INPUT_INVALID', `Cannot read ${file} for input ${inputName}: ${(error as Error).message}`, { detail: file });
  }
  const tensor = file.toLowerCase().endsWith('.npy') ? parseNpy(bytes, file, inputName) : parseTensorProto(bytes, file, inputName);
  return { ...tensor, name: inputName };
}
