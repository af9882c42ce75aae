/**
 * The onnxruntime sessions the quantizer runs itself (calibration, quality comparison,
 * load checks): CPU, from bytes in memory (or a file, past protobuf's 2 GiB), quiet logs,
 * failures as coded errors.
 */
import * as ort from 'onnxruntime-node';
import { InferscopeError } from '../../shared/errors';
import type { OutputQuality } from '../../shared/domain/quantize';
import { OutputQualityAccumulator } from './quality';
import type { InputRecord, InputSource } from './types';

export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export async function createSession(
  /** The model's bytes, or the path of its file (a model with external data). */
  source: Uint8Array | string,
  what: string,
  options: { optimization?: OptimizationLevel; sessionOptions?: ort.InferenceSession.SessionOptions } = {},
): Promise<ort.InferenceSession> {
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: options.optimization ?? 'all',
      logSeverityLevel: 3,
      ...options.sessionOptions,
    };
    return typeof source === 'string'
      ? await ort.InferenceSession.create(source, sessionOptions)
      : await ort.InferenceSession.create(source, sessionOptions);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('QUANTIZE_FAILED', `onnxruntime could not load ${what}: ${message}`, { detail: message, cause: error });
  }
}

export function toFeeds(record: InputRecord): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(record)) {
    feeds[name] =
      tensor instanceof ort.Tensor ? tensor : new ort.Tensor(tensor.type as ort.Tensor.Type, tensor.data as never, [...tensor.dims]);
  }
  return feeds;
}

export async function* iterate(source: InputSource): AsyncGenerator<InputRecord> {
  for await (const record of source as AsyncIterable<InputRecord>) yield record;
}

export async function runSession(session: ort.InferenceSession, record: InputRecord, what: string, outputs?: readonly string[]) {
  try {
    return outputs ? await session.run(toFeeds(record), [...outputs]) : await session.run(toFeeds(record));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('QUANTIZE_FAILED', `Running ${what} failed: ${message}`, { detail: message, cause: error });
  }
}

function numeric(tensor: ort.Tensor): ArrayLike<number> | ArrayLike<bigint> {
  const data = tensor.data as unknown;
  if (Array.isArray(data)) throw new InferscopeError('NOT_SUPPORTED', 'String outputs cannot be compared numerically.');
  // fp16 outputs come back as Uint16Array bit patterns on some runtimes: widen them.
  if (tensor.type === 'float16' && data instanceof Uint16Array) return Float32Array.from(data, float16Value);
  return data as ArrayLike<number>;
}

function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x03ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Run the reference and the transformed model on the same inputs and compare every output
 * both have (by name), in the reference's output order.
 */
export async function evaluateQuality(
  referenceBytes: Uint8Array,
  candidateBytes: Uint8Array,
  inputs: InputSource,
): Promise<OutputQuality[]> {
  const reference = await createSession(referenceBytes, 'the original model');
  const candidate = await createSession(candidateBytes, 'the transformed model');
  try {
    const names = reference.outputNames.filter((n) => candidate.outputNames.includes(n));
    const accumulators = new Map(names.map((n) => [n, new OutputQualityAccumulator(n)]));
    for await (const record of iterate(inputs)) {
      const expected = await runSession(reference, record, 'the original model', names);
      const actual = await runSession(candidate, record, 'the transformed model', names);
      for (const name of names) {
        const x = expected[name];
        const y = actual[name];
        if (!x || !y) continue;
        accumulators.get(name)?.add({ data: numeric(x), dims: x.dims }, { data: numeric(y), dims: y.dims });
      }
    }
    return names.map((n) => (accumulators.get(n) as OutputQualityAccumulator).result());
  } finally {
    await reference.release();
    await candidate.release();
  }
}
