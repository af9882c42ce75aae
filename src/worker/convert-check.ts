/**
 * The worker side of a conversion's check: the converted model runs in onnxruntime (CPU) on the
 * inputs the original ran on, and each output is compared with the original's. Here, not in the
 * app's process, so a model that crashes onnxruntime costs the check, never the app.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  agreementOf,
  CheckManifestSchema,
  conversionCheck,
  type CheckManifest,
  type CheckTensor,
  type Tolerance,
} from '../shared/convert/check';
import { CONVERT_TOLERANCE, type OutputAgreement } from '../shared/domain/convert';
import { InferscopeError } from '../shared/errors';
import type { RequestOf, ResultOf } from '../core/worker-host/protocol';
import { float16ToFloat32 } from '../core/onnx/tensor';
import { messageOf, sessionOptions } from './session';

type Typed = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array;

const ARRAYS: Record<CheckTensor['dtype'], (b: ArrayBuffer) => Typed | Uint32Array | BigUint64Array> = {
  float32: (b) => new Float32Array(b),
  float16: (b) => new Uint16Array(b),
  float64: (b) => new Float64Array(b),
  int64: (b) => new BigInt64Array(b),
  int32: (b) => new Int32Array(b),
  bool: (b) => new Uint8Array(b),
  uint8: (b) => new Uint8Array(b),
  int8: (b) => new Int8Array(b),
  int16: (b) => new Int16Array(b),
  uint16: (b) => new Uint16Array(b),
  uint32: (b) => new Uint32Array(b),
  uint64: (b) => new BigUint64Array(b),
};
const BYTES: Record<CheckTensor['dtype'], number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  uint32: 4,
  uint64: 8,
};

async function readTensor(folder: string, tensor: CheckTensor): Promise<ort.Tensor> {
  const bytes = await fs.readFile(path.join(folder, tensor.file));
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * BYTES[tensor.dtype]) {
    throw new InferscopeError(
      'CONVERT_FAILED',
      `The check's data for ${tensor.name} holds ${bytes.length} bytes, not the ${count} ${tensor.dtype} values of its shape.`,
    );
  }
  // A copy: Buffer's pool may place the bytes at an offset the typed array cannot start at.
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return new ort.Tensor(tensor.dtype as ort.Tensor.Type, ARRAYS[tensor.dtype](buffer) as never, tensor.shape);
}

function numbers(tensor: ort.Tensor): ArrayLike<number> {
  const data = tensor.data;
  if (tensor.type === 'float16' && data instanceof Uint16Array) return Float64Array.from(data, float16ToFloat32);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  if (Array.isArray(data)) throw new InferscopeError('CONVERT_FAILED', 'The converted model returned strings; they cannot be compared.');
  return data as ArrayLike<number>;
}

async function readManifest(file: string): Promise<CheckManifest> {
  try {
    return CheckManifestSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch (error) {
    throw new InferscopeError('CONVERT_FAILED', `The conversion left no readable check data (${messageOf(error)}).`);
  }
}

async function runSample(
  session: ort.InferenceSession,
  folder: string,
  sample: CheckManifest['samples'][number],
  tolerance: Tolerance,
): Promise<OutputAgreement[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of sample.inputs) feeds[input.name] = await readTensor(folder, input);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.run(feeds);
  } catch (error) {
    throw new InferscopeError('CONVERT_FAILED', `The converted model does not run in onnxruntime: ${messageOf(error)}`);
  }
  const agreements: OutputAgreement[] = [];
  for (const expected of sample.outputs) {
    const got = results[expected.name];
    if (!got) throw new InferscopeError('CONVERT_FAILED', `The converted model has no output named ${expected.name}.`);
    const original = numbers(await readTensor(folder, expected));
    agreements.push(agreementOf(expected.name, expected.shape, original, numbers(got as ort.Tensor), tolerance));
  }
  return agreements;
}

export async function convertCheck(request: RequestOf<'convert-check'>, signal: AbortSignal): Promise<ResultOf<'convert-check'>> {
  const manifest = await readManifest(request.manifestPath);
  const folder = path.dirname(request.manifestPath);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(request.modelPath, sessionOptions('cpu', undefined));
  } catch (error) {
    throw new InferscopeError('CONVERT_FAILED', `onnxruntime cannot load the converted model: ${messageOf(error)}`);
  }
  try {
    const tolerance: Tolerance = request.tolerance ?? CONVERT_TOLERANCE;
    const perSample: OutputAgreement[][] = [];
    for (const sample of manifest.samples) {
      if (signal.aborted) throw new InferscopeError('CANCELLED', 'The conversion check was cancelled.');
      perSample.push(await runSample(session, folder, sample, tolerance));
    }
    const version = ort.env.versions.node ?? ort.env.versions.common;
    return conversionCheck(manifest, perSample, `onnxruntime ${version} (CPU)`, tolerance);
  } finally {
    await session.release().catch(() => undefined);
  }
}
