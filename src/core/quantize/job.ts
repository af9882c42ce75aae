/**
 * A quantization job as every host runs it (the app's services, the browser host, the CLI):
 * the request is checked, the CPU's int8 choices are pinned, and the worker makes the variant
 * inside the store's staging folder; the store installs it once it is complete.
 */
import type { QuantizeCpu } from '../../shared/domain/quantize';
import { QuantizeRequestSchema, type QuantizeProgress, type QuantizeRequestInput, type Variant } from '../../shared/domain/variant';
import { InferscopeError } from '../../shared/errors';
import type { WorkerSupervisor } from '../worker-host/supervisor';
import { quantizeCpu, type VariantSource, type VariantStore } from './variants';

/**
 * Environment for a worker that runs quantization jobs. glibc raises its mmap threshold after
 * large blocks are freed (up to 32 MiB), so a model's weights freed by one step end up in heap
 * arenas that are never returned: the next onnxruntime session then needs fresh memory again,
 * and a 100 MB model's job peaks near 4× its size instead of under 3×. Pinning the threshold at
 * its default keeps large blocks mmapped and returned on free. Ignored where glibc is not the
 * allocator (macOS, Windows, musl). Not meant for benchmark workers: it changes how onnxruntime's
 * per-run allocations are served.
 */
export const QUANTIZE_WORKER_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

/** A large model's calibration and evaluation can take long; a hung worker still ends. */
export const QUANTIZE_TIMEOUT_MS = 60 * 60_000;

export interface QuantizeJobInput {
  supervisor: WorkerSupervisor;
  store: VariantStore;
  request: QuantizeRequestInput;
  /** The model file the request's source resolved to (describeSource gives sha256 and size). */
  source: VariantSource;
  /** This machine's CPU: static int8 picks its activation type by it (VNNI or not). */
  cpu?: QuantizeCpu | undefined;
  onProgress?: ((progress: QuantizeProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export async function runQuantizeJob(input: QuantizeJobInput): Promise<Variant> {
  const parsed = QuantizeRequestSchema.safeParse(input.request);
  if (!parsed.success) {
    throw new InferscopeError(
      'BAD_REQUEST',
      `Invalid quantization request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const request = parsed.data;
  const options = { ...request.options };
  // Only static int8 depends on the CPU; pinning it there (and only there) keeps variant ids machine-independent otherwise.
  // A CPU given with the request (the app sends the detected one) counts by the same flags as one detected here.
  const cpu = options.cpu ?? input.cpu;
  if (options.mode === 'int8-static' && cpu) options.cpu = quantizeCpu(cpu.arch, cpu.flags);
  const pinned = { ...request, options };
  return input.store.create(pinned, input.source, (outputPath) =>
    input.supervisor.request(
      {
        type: 'quantize',
        modelPath: input.source.path,
        outputPath,
        options,
        calibration: request.calibration,
        evaluationSamples: request.evaluationSamples,
        ...(request.dims ? { dims: request.dims } : {}),
        ...(request.intRanges ? { intRanges: request.intRanges } : {}),
        ...(request.inputValues ? { inputValues: request.inputValues } : {}),
        layerReport: request.layerReport,
      },
      {
        id: request.jobId,
        timeoutMs: input.timeoutMs ?? QUANTIZE_TIMEOUT_MS,
        ...(input.signal ? { signal: input.signal } : {}),
        onProgress: (progress) => input.onProgress?.({ jobId: request.jobId, ...progress }),
      },
    ),
  );
}
