/**
 * Every failure that crosses a boundary (worker → host → UI/CLI) carries one of
 * these codes. The UI shows the message; tests assert the code.
 */
export const ERROR_CODES = [
  // models
  'MODEL_NOT_FOUND',
  'MODEL_NOT_A_FILE',
  'MODEL_NOT_ONNX',
  'MODEL_TRUNCATED',
  'MODEL_EMPTY',
  'MODEL_TOO_LARGE',
  /** The model breaks a rule of the ONNX format (a zero stride, a negative dim, a file name that leaves its folder). */
  'MODEL_INVALID',
  'MODEL_UNSUPPORTED',
  'EXTERNAL_DATA_MISSING',
  'EXTERNAL_DATA_INVALID',
  'SAMPLE_UNKNOWN',
  // inputs and plans
  'INPUT_INVALID',
  'PLAN_INVALID',
  /** A batch size above 1 for a model whose inputs have no batch axis to set (their first axis is a fixed number). */
  'BATCH_UNSUPPORTED',
  /** A symbolic dimension (other than a leading batch) has no value: the user must set it (--dim NAME=VALUE). */
  'DIMS_REQUIRED',
  /** An input that random data would get wrong (an integer scalar such as a sample rate) has no value (--input NAME=VALUE). */
  'INPUT_REQUIRED',
  // execution providers and the worker
  'EP_UNAVAILABLE',
  'EP_FAILED',
  /** A float16 model on a provider whose device computes no float16 (a WebGPU adapter without shader-f16). */
  'FP16_UNSUPPORTED',
  'WORKER_CRASHED',
  'WORKER_TIMEOUT',
  /** The worker stopped sending its heartbeat (frozen, or stuck in one inference). */
  'WORKER_STALLED',
  'WORKER_START_FAILED',
  'CANCELLED',
  'SESSION_FAILED',
  // transformations
  'QUANTIZE_UNSUPPORTED',
  'QUANTIZE_FAILED',
  /** An operator of an old opset that Inferscope cannot rewrite for opset 13 without changing what it computes. */
  'UPGRADE_UNSUPPORTED',
  /** The upgraded model's outputs differ from the original's by more than 1e-5 (relative): it is not used. */
  'UPGRADE_MISMATCH',
  // conversion from PyTorch / TensorFlow
  /** A PyTorch or TensorFlow file given where an ONNX model is needed: convert it first (Convert). */
  'MODEL_NEEDS_CONVERSION',
  /** No Python interpreter was found, or the chosen one does not start. */
  'CONVERT_NO_PYTHON',
  /** The Python lacks a package converting needs (detail: the install command). */
  'CONVERT_PACKAGES_MISSING',
  /** Loading the file unpickles Python objects (runs code it names): the user has not agreed. */
  'CONVERT_NOT_TRUSTED',
  /** A state_dict holds weights only: the model's class (or a factory script) is needed. */
  'CONVERT_NEEDS_CODE',
  /** An input's shape is missing or does not fit the model. */
  'CONVERT_SHAPES_REQUIRED',
  /** The conversion ran past its time limit and was stopped. */
  'CONVERT_TIMEOUT',
  /** Python or the exporter failed (detail: the last lines it printed). */
  'CONVERT_FAILED',
  /** The ONNX model's outputs differ from the original's beyond the tolerance: it is not used. */
  'CONVERT_MISMATCH',
  // storage and hosts
  'RUN_NOT_FOUND',
  'DISK_FULL',
  'IO_ERROR',
  'BAD_REQUEST',
  /** A message, upload or import over the host's size limit. */
  'PAYLOAD_TOO_LARGE',
  /** A file path the host will not read or write for this request (outside its folder, not chosen by the user). */
  'PATH_NOT_ALLOWED',
  'UNAUTHORIZED',
  'UNKNOWN_COMMAND',
  'NOT_SUPPORTED',
  'INTERNAL',
  // reports
  'CHROMIUM_NOT_FOUND',
  // other machines (`inferscope serve` hosts measured from this app: docs/machines.md)
  /** No machine of that name or id is saved here. */
  'MACHINE_NOT_FOUND',
  /** Nothing answers at the machine's URL, or the connection to it was lost (the host stopped, the SSH tunnel closed). */
  'MACHINE_UNREACHABLE',
  /** The machine refused its access token (or the token is gone: kept in memory only by a host that restarted). */
  'MACHINE_UNAUTHORIZED',
  /** The machine runs an Inferscope whose contract this app cannot speak (detail: both versions). */
  'MACHINE_INCOMPATIBLE',
  /** The machine failed in a way it did not explain with a code of its own (its message says what it said). */
  'MACHINE_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable detail (e.g. the missing external data file). */
  detail?: string;
}

export class InferscopeError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { detail?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'InferscopeError';
    this.code = code;
    this.detail = options?.detail;
  }

  toInfo(): ErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turn anything thrown into an ErrorInfo; unknown failures become INTERNAL with their message. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof InferscopeError) return error.toInfo();
  if (error && typeof error === 'object' && 'code' in error && isErrorCode((error as { code: unknown }).code)) {
    const e = error as { code: ErrorCode; message?: unknown; detail?: unknown };
    const info: ErrorInfo = { code: e.code, message: String(e.message ?? e.code) };
    if (typeof e.detail === 'string') info.detail = e.detail;
    return info;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}
