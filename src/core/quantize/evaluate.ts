/**
 * Quality figures for a variant written to disk, one model in memory at a time: the fp32
 * model runs first and its outputs are kept, its session is released, and only then is the
 * variant loaded and compared. Two sessions of a large model side by side (plus the model
 * held for quantization) would need several times the model's size in memory.
 */
import * as ort from 'onnxruntime-node';
import type { OutputQuality } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import { toFloat16Bits } from '../bench/inputs';
import { float16ToFloat32 } from '../onnx/tensor';
import { OutputQualityAccumulator, type NumericArray } from './quality';
import type { InputRecord, InputTensor } from './types';

export type SessionSource = string | Uint8Array;

export interface OutputValue {
  data: NumericArray;
  dims: readonly number[];
}

/** Per evaluation record, each output's values, by output name. */
export type ReferenceOutputs = Map<string, OutputValue>[];

export async function openSession(
  source: SessionSource,
  what: string,
  code: 'SESSION_FAILED' | 'QUANTIZE_FAILED',
  optimization: 'disabled' | 'all' = 'all',
): Promise<ort.InferenceSession> {
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: optimization,
      logSeverityLevel: 3,
    };
    return typeof source === 'string'
      ? await ort.InferenceSession.create(source, options)
      : await ort.InferenceSession.create(source, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError(code, `onnxruntime could not load ${what}: ${message}`, { detail: message, cause: error });
  }
}

/**
 * A CPU session from bytes in memory whose external data (if any) lies in `folder`, as on disk: for
 * models with extra outputs patched in, or upgraded copies that were never written.
 */
export async function openFromBytes(
  bytes: Uint8Array,
  folder: string,
  what: string,
  optimization: 'disabled' | 'all' = 'all',
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: optimization,
      logSeverityLevel: 3,
      extra: { session: { model_external_initializers_file_folder_path: folder } },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('SESSION_FAILED', `onnxruntime could not load ${what}: ${message}`, { detail: message, cause: error });
  }
}

/** The session's tensor inputs as the data builder wants them. */
export function sessionInputs(session: ort.InferenceSession): { name: string; type: string; shape: (number | string)[] }[] {
  return session.inputMetadata.map((input) => {
    if (!input.isTensor)
      throw new InferscopeError('INPUT_INVALID', `Input ${input.name} is not a tensor (sequences and maps cannot be fed here).`);
    return { name: input.name, type: input.type, shape: [...input.shape] };
  });
}

/**
 * Feeds for `session`: a record built for the fp32 model fed to a variant whose inputs became
 * float16 (fp16 without keep_io_types) is converted, so both models see the same values.
 */
export function feedsFor(session: ort.InferenceSession, record: InputRecord): Record<string, ort.Tensor> {
  const types = new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : undefined]));
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(record)) {
    const want = types.get(name);
    feeds[name] = toTensor(want === 'float16' && tensor.type === 'float32' ? toFloat16(tensor) : tensor);
  }
  return feeds;
}

function toTensor(tensor: InputTensor): ort.Tensor {
  return new ort.Tensor(tensor.type as ort.Tensor.Type, tensor.data as never, [...tensor.dims]);
}

function toFloat16(tensor: InputTensor): InputTensor {
  return { type: 'float16', dims: tensor.dims, data: Uint16Array.from(tensor.data as ArrayLike<number>, toFloat16Bits) };
}

async function run(session: ort.InferenceSession, record: InputRecord, what: string): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feedsFor(session, record));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('SESSION_FAILED', `Running ${what} failed: ${message}`, { detail: message, cause: error });
  }
}

/** A copy of an output's numbers that outlives the session (fp16 widened to float32; strings are not compared). */
export function keep(value: ort.OnnxValue | undefined): OutputValue | undefined {
  if (!value || !(value instanceof ort.Tensor)) return undefined;
  const data = value.data as unknown;
  if (Array.isArray(data)) return undefined;
  if (value.type === 'float16') {
    const widened = data instanceof Uint16Array ? Float32Array.from(data, float16ToFloat32) : Float32Array.from(data as ArrayLike<number>);
    return { data: widened, dims: [...value.dims] };
  }
  const typed = data as { slice(): NumericArray };
  return { data: typed.slice(), dims: [...value.dims] };
}

export interface EvaluationHooks {
  signal?: AbortSignal | undefined;
  /** After each record (done of total). */
  onRecord?: ((done: number, total: number) => void) | undefined;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
}

/** Runs the reference model on every record and keeps every output. */
export async function collectOutputs(
  session: ort.InferenceSession,
  records: readonly InputRecord[],
  hooks: EvaluationHooks = {},
): Promise<ReferenceOutputs> {
  const outputs: ReferenceOutputs = [];
  for (const [index, record] of records.entries()) {
    checkAborted(hooks.signal);
    const result = await run(session, record, 'the original model');
    const kept = new Map<string, OutputValue>();
    for (const name of session.outputNames) {
      const value = keep(result[name]);
      if (value) kept.set(name, value);
    }
    outputs.push(kept);
    hooks.onRecord?.(index + 1, records.length);
  }
  return outputs;
}

/** Runs the variant on the same records and compares each output the reference also has, in the reference's order. */
export async function compareWithReference(
  session: ort.InferenceSession,
  records: readonly InputRecord[],
  reference: ReferenceOutputs,
  outputOrder: readonly string[],
  hooks: EvaluationHooks = {},
): Promise<OutputQuality[]> {
  const names = outputOrder.filter((n) => session.outputNames.includes(n));
  const accumulators = new Map(names.map((n) => [n, new OutputQualityAccumulator(n)]));
  for (const [index, record] of records.entries()) {
    checkAborted(hooks.signal);
    const result = await run(session, record, 'the transformed model');
    const expected = reference[index];
    for (const name of names) {
      const x = expected?.get(name);
      const y = keep(result[name]);
      if (!x || !y) continue;
      try {
        accumulators.get(name)?.add(x, y);
      } catch (error) {
        throw new InferscopeError('QUANTIZE_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
    hooks.onRecord?.(index + 1, records.length);
  }
  return names.map((n) => (accumulators.get(n) as OutputQualityAccumulator).result());
}
