/**
 * The message protocol between a host (Electron main, browser host, CLI) and the
 * inference worker process. Both ends parse every message they receive with these
 * schemas, so a bug on one side shows up as a typed error, not as undefined fields.
 *
 * Shape: the host sends requests `{type, id, ...}` and control messages (`hello`,
 * `cancel`); the worker answers each request with any number of
 * `{type:'progress', id, value}` and exactly one `{type:'result', id, value}` or
 * `{type:'error', id, error}`. What `value` holds depends on the request type and is
 * listed once in REQUESTS: adding a request type there makes the worker's handler
 * table and the supervisor's result typing follow (a missing handler is a compile error).
 * Besides, a worker that announced `heartbeatMs` sends `{type:'heartbeat'}` that often, from a
 * thread of its own, whatever its requests are doing.
 *
 * Transport: child_process.fork with `serialization: 'advanced'` and Electron's
 * utilityProcess both use structured clone, so Uint8Array travels as is; a host on a
 * JSON-only transport may send model bytes as base64 instead.
 */
import { z } from 'zod';
import { ErrorInfoSchema } from '../../shared/contract/error';
import { DimValuesSchema } from '../../shared/domain/app';
import { InputValuesSchema } from '../../shared/domain/input-values';
import { UpgradeReportSchema } from '../../shared/domain/upgrade';
import { ConversionCheckSchema } from '../../shared/domain/convert';
import { QuantizeOptionsSchema, QuantizeReportSchema } from '../../shared/domain/quantize';
import { CalibrationSpecSchema, QuantizeProgressSchema, VariantSchema } from '../../shared/domain/variant';
import { BenchConfigSchema, BenchMeasurementSchema, BenchProgressSchema, EpOptionsSchema } from '../bench/measurement';

export { EpOptionsSchema, type EpOptions } from '../bench/measurement';

export { ErrorInfoSchema };

const RequestId = z.string().min(1);

/** Any Uint8Array (z.instanceof would narrow the type to Uint8Array<ArrayBuffer> and refuse Buffer-backed views). */
const BytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, { message: 'expected a Uint8Array' });

// ---- probe: can this execution provider run a tiny model here, and how long does it take?

export const ProbeRequestSchema = z.object({
  type: z.literal('probe'),
  id: RequestId,
  /** onnxruntime-node's EP name: 'cpu', 'webgpu', 'cuda', 'tensorrt', … (unknown names are answered, not rejected). */
  ep: z.string().min(1),
  /** The probe model, serialized ModelProto: bytes over structured clone, base64 over JSON transports. */
  modelBytes: z.union([BytesSchema, z.string().min(1)]),
  epOptions: EpOptionsSchema.optional(),
});

export const ProbeFailureCodeSchema = z.enum(['EP_UNAVAILABLE', 'EP_FAILED']);

export const ProbeResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    ep: z.string(),
    /** Session create + first run, wall time: what a user waits before the EP answers at all. */
    ms: z.number().nonnegative(),
    detail: z.object({
      /** The name ONNX Runtime's profiler gives this EP (e.g. WebGpuExecutionProvider). */
      provider: z.string(),
      sessionCreateMs: z.number().nonnegative(),
      firstRunMs: z.number().nonnegative(),
      nodes: z.number().int().nonnegative(),
      nodesOnEp: z.number().int().nonnegative(),
      /** Nodes ONNX Runtime placed on another EP (usually CPU) although we asked for this one. */
      fallbackNodes: z.array(z.object({ node: z.string(), op: z.string(), provider: z.string() })),
    }),
  }),
  z.object({
    ok: z.literal(false),
    ep: z.string(),
    code: ProbeFailureCodeSchema,
    message: z.string(),
  }),
]);
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

// ---- bench: one configuration through the measuring loop (docs/measurement.md#one-configuration-step-by-step)

export const BenchRequestSchema = z.object({
  type: z.literal('bench'),
  id: RequestId,
  config: BenchConfigSchema,
});

// ---- quantize: one model file → one variant file, with calibration and quality figures

export const IntRangeSchema = z.object({ min: z.number().int(), max: z.number().int() });

export const QuantizeJobRequestSchema = z.object({
  type: z.literal('quantize'),
  id: RequestId,
  modelPath: z.string().min(1),
  /** The variant's .onnx path; its folder must exist (the host owns where variants live). */
  outputPath: z.string().min(1),
  options: QuantizeOptionsSchema,
  calibration: CalibrationSpecSchema.default({ kind: 'random', samples: 16, seed: 1 }),
  evaluationSamples: z.number().int().positive().max(1000).default(8),
  /** Values of symbolic input dimensions (random and image inputs); the batch is 1 unless given. */
  dims: DimValuesSchema.optional(),
  /** Inclusive ranges of random integer inputs by input name (token ids inside the vocabulary). */
  intRanges: z.record(z.string(), IntRangeSchema).optional(),
  /** Data for named inputs of random samples (sr=16000, state=zeros); well-known names get stated defaults. */
  inputValues: InputValuesSchema.optional(),
  layerReport: z.enum(['auto', 'always', 'never']).default('auto'),
});

export const QuantizeJobProgressSchema = QuantizeProgressSchema.omit({ jobId: true });

export const QuantizeJobResultSchema = z.object({
  report: QuantizeReportSchema,
  /** The variant on disk: the .onnx file plus its external data file. */
  sizeBytes: z.number().int().nonnegative(),
  externalData: z.object({ location: z.string(), sizeBytes: z.number().int().nonnegative() }).nullable(),
  calibration: VariantSchema.shape.calibration,
  evaluation: VariantSchema.shape.evaluation,
  durationMs: z.number().nonnegative(),
});
export type QuantizeJobResult = z.infer<typeof QuantizeJobResultSchema>;

// ---- upgrade: a legacy model → IR 8 / opset 13, checked against the original in onnxruntime

export const UpgradeJobRequestSchema = z.object({
  type: z.literal('upgrade'),
  id: RequestId,
  modelPath: z.string().min(1),
  outputPath: z.string().min(1),
  samples: z.number().int().positive().max(100).default(4),
  dims: DimValuesSchema.optional(),
  intRanges: z.record(z.string(), IntRangeSchema).optional(),
  inputValues: InputValuesSchema.optional(),
});

export const UpgradeJobResultSchema = z.object({ report: UpgradeReportSchema, sizeBytes: z.number().int().nonnegative() });

// ---- convert-check: a model converted from PyTorch / TensorFlow against the original's outputs

export const ConvertCheckRequestSchema = z.object({
  type: z.literal('convert-check'),
  id: RequestId,
  modelPath: z.string().min(1),
  /** The manifest the conversion script wrote: the inputs both ran on and the original's outputs. */
  manifestPath: z.string().min(1),
  tolerance: z.object({ abs: z.number().nonnegative(), rel: z.number().nonnegative(), minCosine: z.number() }).optional(),
});

// ---- test hooks: make the worker fail the ways a broken EP does (honoured only with INFERSCOPE_TEST_HOOKS=1)

export const CRASH_KINDS = [
  /** process.exit with a non-zero code, as a native library calling exit() would. */
  'exit',
  /** SIGABRT, as a failed assertion inside an EP would. */
  'abort',
  /** A synchronous endless loop: the event loop never turns, as inside a stuck native call. */
  'hang',
  /** Waits (event loop free) until cancelled: the cooperative cancel path. */
  'wait-for-cancel',
] as const;

export const CrashForTestRequestSchema = z.object({
  type: z.literal('crash-for-test'),
  id: RequestId,
  how: z.enum(CRASH_KINDS),
});

/**
 * Every request type: what the host sends, what progress values and which final value
 * the worker answers with. z.never() = no such message ever comes.
 */
export const REQUESTS = {
  probe: { request: ProbeRequestSchema, progress: z.never(), result: ProbeResultSchema },
  bench: { request: BenchRequestSchema, progress: BenchProgressSchema, result: BenchMeasurementSchema },
  quantize: { request: QuantizeJobRequestSchema, progress: QuantizeJobProgressSchema, result: QuantizeJobResultSchema },
  upgrade: { request: UpgradeJobRequestSchema, progress: z.never(), result: UpgradeJobResultSchema },
  'convert-check': { request: ConvertCheckRequestSchema, progress: z.never(), result: ConversionCheckSchema },
  'crash-for-test': { request: CrashForTestRequestSchema, progress: z.never(), result: z.never() },
} as const;

export type RequestType = keyof typeof REQUESTS;
export type RequestOf<T extends RequestType> = z.infer<(typeof REQUESTS)[T]['request']>;
export type ProgressOf<T extends RequestType> = z.infer<(typeof REQUESTS)[T]['progress']>;
export type ResultOf<T extends RequestType> = z.infer<(typeof REQUESTS)[T]['result']>;
/** A request as a caller writes it (defaults optional): the supervisor assigns the id and fills the defaults. */
export type RequestBody<T extends RequestType> = Omit<z.input<(typeof REQUESTS)[T]['request']>, 'id'>;
export type AnyRequest = { [T in RequestType]: RequestOf<T> }[RequestType];

// ---- host → worker

export const HelloMessageSchema = z.object({ type: z.literal('hello') });
export const CancelMessageSchema = z.object({ type: z.literal('cancel'), id: RequestId });

export const HostMessageSchema = z.discriminatedUnion('type', [
  HelloMessageSchema,
  CancelMessageSchema,
  ProbeRequestSchema,
  BenchRequestSchema,
  QuantizeJobRequestSchema,
  UpgradeJobRequestSchema,
  ConvertCheckRequestSchema,
  CrashForTestRequestSchema,
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

// ---- worker → host

export const ReadyMessageSchema = z.object({
  type: z.literal('ready'),
  pid: z.number().int(),
  /** node, v8, onnxruntime, and electron when the worker runs inside Electron. */
  versions: z.object({ node: z.string(), onnxruntime: z.string() }).catchall(z.string()),
  /** Execution providers this onnxruntime-node build knows; `bundled: false` ones need extra libraries. */
  backends: z.array(z.object({ name: z.string(), bundled: z.boolean() })),
  transport: z.enum(['node-fork', 'electron-utility']),
  /**
   * How often this worker sends a heartbeat; null when it sends none (the launcher gave it no
   * heartbeat channel). Only a worker that announced heartbeats is held to them.
   */
  heartbeatMs: z.number().int().positive().nullable().default(null),
});
export type ReadyMessage = z.infer<typeof ReadyMessageSchema>;

/**
 * How a launcher asks the worker for heartbeats: the interval in ms, and the file descriptor of
 * the channel they go to (the request channel cannot be written from another thread).
 */
export const HEARTBEAT_ENV = { intervalMs: 'INFERSCOPE_HEARTBEAT_MS', fd: 'INFERSCOPE_HEARTBEAT_FD' } as const;

/** One measuring loop (warm-up or measurement) of a session that is inside a `session.run` right now. */
export const RunInProgressSchema = z.object({
  /** How long the run in progress has taken so far. */
  runningMs: z.number().nonnegative(),
  /** The slowest run this loop's session finished before it (warm-up and measurement). */
  slowestMs: z.number().nonnegative(),
});

/**
 * Sent every `heartbeatMs` by a thread of the worker that never runs inference, so a long
 * synchronous native call (a TensorRT engine build, one slow inference) never holds it back; it
 * stops only when the whole process does (frozen, SIGSTOP, killed). It also says which measuring
 * loops are inside a run, so an inference that never ends is told apart from a long one.
 * It travels on its own channel (see WorkerLauncher), not on the request channel.
 */
export const HeartbeatMessageSchema = z.object({
  type: z.literal('heartbeat'),
  runs: z.array(RunInProgressSchema).default([]),
});
export type HeartbeatMessage = z.infer<typeof HeartbeatMessageSchema>;

export const ProgressMessageSchema = z.object({ type: z.literal('progress'), id: RequestId, value: z.unknown() });
export const ResultMessageSchema = z.object({ type: z.literal('result'), id: RequestId, value: z.unknown() });
export const ErrorMessageSchema = z.object({ type: z.literal('error'), id: RequestId, error: ErrorInfoSchema });

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  ReadyMessageSchema,
  HeartbeatMessageSchema,
  ProgressMessageSchema,
  ResultMessageSchema,
  ErrorMessageSchema,
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Model bytes from a probe request as a Uint8Array, whichever way they travelled. */
export function modelBytesOf(bytes: Uint8Array | string): Uint8Array {
  if (typeof bytes !== 'string') return bytes;
  // atob keeps this file free of node:* so the renderer-side can share the schemas if it ever needs to.
  const binary = atob(bytes);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
