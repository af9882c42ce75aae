/**
 * fp16 on data (docs/quantization.md#fp16): the fp32 model runs on the job's inputs with its
 * intermediate values as extra outputs, which gives each value's largest magnitude (values past
 * the fp16-safe range keep their producer and readers in fp32), a strided sample of each value
 * (to find where a variant first diverges) and the outputs a variant is checked against.
 *
 * Bounded: at most MAX_DATA_RECORDS inputs and MAX_MEASURED_VALUES values, VALUES_PER_SESSION
 * extra outputs per session (one session per group, so a run never holds every activation of a
 * large model at once), models up to DATA_MAX_MODEL_BYTES, and a time budget the caller checks.
 */
import * as ort from 'onnxruntime-node';
import type { OutputQuality } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import { formatBytes } from '../../shared/stats/format';
import { DataType } from '../onnx/codec';
import type { ModelProto } from '../onnx/codec';
import { float16ToFloat32 } from '../onnx/tensor';
import type { ExternalDataReader } from '../onnx/tensor';
import type { ElementTypes } from './element-types';
import { feedsFor, keep, type OutputValue, type ReferenceOutputs } from './evaluate';
import { OutputQualityAccumulator } from './quality';
import { withExtraOutputs } from './layers';
import { tensorBytes } from './scratch';
import { createSession, iterate } from './session';
import { sessionBytes } from './tensors';
import type { InputRecord, InputSource } from './types';

/** Activations beyond ±2^15 keep their nodes fp32: half of fp16's 65504 left as headroom for the variant's own drift. */
export const SAFE_ACTIVATION = 32768;
export const MAX_DATA_RECORDS = 8;
export const MAX_MEASURED_VALUES = 4096;
export const VALUES_PER_SESSION = 256;
/** Elements of each value kept (evenly strided) to compare a variant against. */
export const SAMPLE_VALUES = 1024;
/** Inputs on which those samples are kept. */
export const SAMPLE_RECORDS = 2;
/** Larger models are not run on data during the conversion (the job's evaluation still runs them). */
export const DATA_MAX_MODEL_BYTES = 512 * 1024 ** 2;

export interface ValueRange {
  /** Largest finite magnitude over every input. */
  maxAbs: number;
  /** NaN and ±Inf elements in the fp32 model's value. */
  nonFinite: number;
}

export interface Fp32Measurement {
  records: InputRecord[];
  ranges: Map<string, ValueRange>;
  /** Per input (the first SAMPLE_RECORDS): value → strided sample. */
  samples: Map<string, Float32Array>[];
  reference: ReferenceOutputs;
  /** Float outputs of the model, in its order: the ones a variant is checked on. */
  outputs: string[];
  notes: string[];
}

/** Why the model is not run on data at all, or undefined when it is. */
export function dataPassSkipped(model: ModelProto, data: InputSource | undefined): string | undefined {
  if (!data) return 'no inputs were given to the conversion';
  const bytes = tensorBytes(model);
  if (bytes > DATA_MAX_MODEL_BYTES)
    return `the model's ${formatBytes(bytes)} of weights are over the ${formatBytes(DATA_MAX_MODEL_BYTES)} limit`;
  return undefined;
}

export async function collectRecords(data: InputSource): Promise<InputRecord[]> {
  const records: InputRecord[] = [];
  for await (const record of iterate(data)) {
    records.push(record);
    if (records.length >= MAX_DATA_RECORDS) break;
  }
  return records;
}

/** The float values of the main graph worth measuring: its float inputs and every float node output, in graph order. */
export function measurableValues(model: ModelProto, types: ElementTypes): string[] {
  const graph = model.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (name: string | null | undefined) => {
    if (!name || seen.has(name) || initializers.has(name) || types.get(name) !== DataType.FLOAT) return;
    seen.add(name);
    names.push(name);
  };
  for (const input of graph.input ?? []) add(input.name);
  for (const node of graph.node ?? []) for (const o of node.output ?? []) add(o);
  return names;
}

export interface SessionSource {
  model: ModelProto;
  external: ExternalDataReader | undefined;
  what: string;
  /** The model encoded once (external data inline), reused by every session with other extra outputs. */
  bytes?: Uint8Array | undefined;
}

async function openWith(source: SessionSource, names: readonly string[]): Promise<ort.InferenceSession> {
  source.bytes ??= sessionBytes(source.model, source.external);
  const declared = new Set((source.model.graph?.output ?? []).map((o) => o.name ?? ''));
  const extra = names.filter((n) => !declared.has(n));
  // Extra outputs appended to the encoded model, not a new encoding per group (layers.ts).
  const bytes = extra.length > 0 ? withExtraOutputs(source.bytes, extra) : source.bytes;
  // Optimizations off: every value exists as the graph says, in the type the graph gives it.
  return createSession(bytes, source.what, { optimization: 'disabled' });
}

async function runFetching(session: ort.InferenceSession, record: InputRecord, fetches: readonly string[], what: string) {
  try {
    return await session.run(feedsFor(session, record), [...fetches]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InferscopeError('QUANTIZE_FAILED', `Running ${what} on the evaluation inputs failed: ${message}`, {
      detail: message,
      cause: error,
    });
  }
}

/** A float tensor's values as float32 (float16 widened); undefined for anything else. */
export function floatValues(value: ort.OnnxValue | undefined): Float32Array | undefined {
  if (!(value instanceof ort.Tensor)) return undefined;
  if (value.type === 'float32') return value.data as Float32Array;
  if (value.type === 'float16') {
    const data = value.data as unknown;
    return data instanceof Uint16Array ? Float32Array.from(data, float16ToFloat32) : Float32Array.from(data as ArrayLike<number>);
  }
  return undefined;
}

/** Every SAMPLE_VALUES-th share of the values, the same positions for the same length. */
export function stridedSample(values: ArrayLike<number>): Float32Array {
  const stride = Math.max(1, Math.floor(values.length / SAMPLE_VALUES));
  const count = Math.min(SAMPLE_VALUES, Math.ceil(values.length / stride));
  const out = new Float32Array(count);
  for (let k = 0; k < count; k++) out[k] = values[k * stride] as number;
  return out;
}

export function rangeOf(values: ArrayLike<number>, into: ValueRange = { maxAbs: 0, nonFinite: 0 }): ValueRange {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) into.nonFinite++;
    else if (Math.abs(v) > into.maxAbs) into.maxAbs = Math.abs(v);
  }
  return into;
}

function groups<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length > 0 ? out : [[]];
}

/**
 * Runs the fp32 model on the records with its float values as extra outputs, group by group.
 * `onGroup` is called after each group (it may throw to cancel); `outOfTime` stops after a group.
 */
export async function measureFp32(
  source: SessionSource,
  records: InputRecord[],
  values: readonly string[],
  hooks: { onGroup?: (done: number, total: number) => void; outOfTime?: () => boolean } = {},
): Promise<Fp32Measurement> {
  const graph = source.model.graph ?? {};
  const measured = values.slice(0, MAX_MEASURED_VALUES);
  const result: Fp32Measurement = {
    records,
    ranges: new Map(),
    samples: records.slice(0, SAMPLE_RECORDS).map(() => new Map()),
    reference: records.map(() => new Map<string, OutputValue>()),
    outputs: [],
    notes: [],
  };
  if (values.length > measured.length)
    result.notes.push(`${measured.length} of ${values.length} values measured (limit ${MAX_MEASURED_VALUES})`);
  const inputNames = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const outputNames = (graph.output ?? []).map((o) => o.name ?? '').filter(Boolean);
  const parts = groups(
    measured.filter((n) => !inputNames.has(n)),
    VALUES_PER_SESSION,
  );
  for (const [index, part] of parts.entries()) {
    const session = await openWith(source, part);
    try {
      if (index === 0) {
        const declared = new Set(outputNames);
        result.outputs = session.outputMetadata.filter((m) => declared.has(m.name) && m.isTensor && isFloat(m.type)).map((m) => m.name);
      }
      for (const [r, record] of records.entries()) {
        const fetches = index === 0 ? [...new Set([...outputNames, ...part])] : part;
        const out = await runFetching(session, record, fetches, source.what);
        if (index === 0) {
          for (const name of outputNames) {
            const kept = keep(out[name]);
            if (kept) result.reference[r]?.set(name, kept);
          }
          for (const name of measured) if (inputNames.has(name)) note(result, r, name, inputValues(record, name));
        }
        for (const name of part) note(result, r, name, floatValues(out[name]));
      }
    } finally {
      await session.release();
    }
    hooks.onGroup?.(index + 1, parts.length);
    if (index + 1 < parts.length && hooks.outOfTime?.()) {
      result.notes.push(`stopped after ${index + 1} of ${parts.length} groups of values (time limit)`);
      break;
    }
  }
  return result;
}

function isFloat(type: string): boolean {
  return type === 'float32' || type === 'float16';
}

function inputValues(record: InputRecord, name: string): Float32Array | undefined {
  const tensor = record[name];
  return tensor && tensor.type === 'float32' ? (tensor.data as Float32Array) : undefined;
}

function note(result: Fp32Measurement, record: number, name: string, values: Float32Array | undefined): void {
  if (!values) return;
  let range = result.ranges.get(name);
  if (!range) result.ranges.set(name, (range = { maxAbs: 0, nonFinite: 0 }));
  rangeOf(values, range);
  result.samples[record]?.set(name, stridedSample(values));
}

// ---------------------------------------------------------------------------------------------
// A variant against the measurement

export interface OutputCheck {
  quality: OutputQuality[];
  /** Finite where the original is, and cosine ≥ the threshold on every float output. */
  passed: boolean;
  worstCosine: number;
  /** NaN/Inf elements where the original is finite, over every output. */
  broken: number;
}

/** The variant's outputs on every record, compared with the fp32 model's. */
export async function checkOutputs(source: SessionSource, measurement: Fp32Measurement, minCosine: number): Promise<OutputCheck> {
  const session = await openWith(source, []);
  const accumulators = new Map(measurement.outputs.map((n) => [n, new OutputQualityAccumulator(n)]));
  try {
    const names = measurement.outputs.filter((n) => session.outputNames.includes(n));
    for (const [r, record] of measurement.records.entries()) {
      const out = await runFetching(session, record, names, source.what);
      for (const name of names) {
        const x = measurement.reference[r]?.get(name);
        const y = keep(out[name]);
        if (x && y && x.data.length === y.data.length) accumulators.get(name)?.add(x, y);
      }
    }
  } finally {
    await session.release();
  }
  const quality = [...accumulators.values()].map((a) => a.result()).filter((q) => q.elements > 0);
  let worstCosine = 1;
  let broken = 0;
  for (const q of quality) {
    if (q.broken) broken += q.nanCount + q.infCount;
    if (!q.zeroReference) worstCosine = Math.min(worstCosine, q.cosine);
  }
  return { quality, passed: broken === 0 && worstCosine >= minCosine, worstCosine, broken };
}

export interface ValueError {
  /** ‖x − y‖ / ‖x‖ on the sampled elements where both are finite (0 when the fp32 value is all zeros). */
  relError: number;
  /** NaN/Inf in the variant where the fp32 value is finite (the sampled elements, or the whole value when fp32 has none). */
  broken: number;
}

/** How far each value of the variant is from the fp32 model's, on the sampled inputs; names the variant lacks are left out. */
export async function measureDivergence(
  source: SessionSource,
  measurement: Fp32Measurement,
  names: readonly string[],
): Promise<Map<string, ValueError>> {
  const errors = new Map<string, ValueError>();
  const sampled = names.filter((n) => measurement.samples[0]?.has(n));
  const present = new Set<string>();
  for (const node of source.model.graph?.node ?? []) for (const o of node.output ?? []) if (o) present.add(o);
  for (const input of source.model.graph?.input ?? []) if (input.name) present.add(input.name);
  const inputNames = new Set((source.model.graph?.input ?? []).map((i) => i.name ?? ''));
  for (const part of groups(
    sampled.filter((n) => present.has(n) && !inputNames.has(n)),
    VALUES_PER_SESSION,
  )) {
    if (part.length === 0) continue;
    const session = await openWith(source, part);
    try {
      for (const [r, samples] of measurement.samples.entries()) {
        const out = await runFetching(session, measurement.records[r] as InputRecord, part, source.what);
        for (const name of part) {
          const y = floatValues(out[name]);
          const x = samples.get(name);
          if (!x || !y) continue;
          addError(errors, name, x, y, measurement.ranges.get(name)?.nonFinite === 0);
        }
      }
    } finally {
      await session.release();
    }
  }
  return errors;
}

function addError(errors: Map<string, ValueError>, name: string, x: Float32Array, values: Float32Array, finiteOriginal: boolean): void {
  const y = stridedSample(values);
  if (y.length !== x.length) return;
  let signal = 0;
  let noise = 0;
  let broken = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (!Number.isFinite(a)) continue;
    if (!Number.isFinite(b)) {
      broken++;
      continue;
    }
    signal += a * a;
    const d = a - b;
    noise += d * d;
  }
  if (finiteOriginal && broken === 0) broken = rangeOf(values).nonFinite;
  const relError = signal > 0 ? Math.sqrt(noise / signal) : 0;
  const previous = errors.get(name);
  errors.set(name, previous ? { relError: Math.max(previous.relError, relError), broken: previous.broken + broken } : { relError, broken });
}
