/**
 * Measured-looking runs for the Decide and Compare logic: seeded log-normal samples through the
 * real statistics, so the real verdict and comparison code can read them. Only the fields those
 * read are filled (test/fixtures/runs/build.ts makes full documents, but the renderer's
 * type-check project cannot reach it).
 */
import type { ConfigResult, RunDocument } from '../../../../../src/shared/domain/run';
import { computeStatistics, createRng } from '../../../../../src/shared/stats';

export interface MeasuredConfig {
  ep: string;
  variant?: string;
  batch?: number;
  threads?: number;
  concurrency?: number;
  medianMs: number;
  seed: number;
  n?: number;
  status?: 'done' | 'failed';
  /** Log-normal spread of the samples (0.04 unless given): a wide one makes a noisy measurement. */
  spread?: number;
  /** false: the warm-up never became stable (a loaded machine). */
  stable?: boolean;
}

function config(spec: MeasuredConfig): ConfigResult {
  const batch = spec.batch ?? 1;
  const threads = spec.threads ?? 0;
  const concurrency = spec.concurrency ?? 1;
  const variant = spec.variant ?? 'original';
  const base = `${spec.ep}/b${batch}/t${threads}/c${concurrency}`;
  const rng = createRng(spec.seed);
  const samples =
    spec.status === 'failed'
      ? []
      : Array.from({ length: spec.n ?? 400 }, () =>
          Number((spec.medianMs * Math.exp((spec.spread ?? 0.04) * rng.normal())).toPrecision(6)),
        );
  const stats = samples.length ? computeStatistics(samples) : null;
  const itemsPerSec = stats ? (concurrency * batch * 1000) / stats.mean : 0;
  return {
    id: variant === 'original' ? base : `${variant}/${base}`,
    variant,
    ep: spec.ep,
    batch,
    threads,
    concurrency,
    status: spec.status ?? 'done',
    error: spec.status === 'failed' ? { code: 'SESSION_FAILED', message: 'Session creation failed' } : null,
    stable: stats !== null && spec.stable !== false,
    warmup: stats
      ? { iterations: 60, ms: stats.mean * 60, stable: spec.stable !== false, windowMedians: [stats.median, stats.median, stats.median] }
      : null,
    latencyMs: stats,
    throughput: stats ? { runsPerSec: itemsPerSec / batch, itemsPerSec } : null,
    samples,
    samplesPerThread: [samples.length],
    gpu: null,
    warnings: [],
    repetitions: [],
    uncertainty: null,
  } as unknown as ConfigResult;
}

/** A run on an 8-thread CPU machine without a GPU. */
export function measuredRun(id: string, model: string, configs: MeasuredConfig[]): RunDocument {
  const docs = configs.map(config);
  const unique = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);
  return {
    id,
    createdAt: '2026-11-20T09:00:00.000Z',
    status: 'completed',
    plan: {
      model: { kind: 'sample', name: model },
      variants: [],
      includeOriginal: true,
      eps: [],
      epOptions: {},
      batches: unique(docs.map((c) => c.batch)),
      threads: unique(docs.map((c) => c.threads)),
      concurrency: unique(docs.map((c) => c.concurrency)),
      dims: {},
      inputs: { seed: 0 },
      graphOptimizationLevel: 'all',
      minIterations: 30,
      minTimeMs: 2000,
      maxTimeMs: 20000,
      warmupMaxMs: 10000,
      ciTargetRel: 0.01,
      profile: true,
    },
    model: { name: model, variant: 'fp32' },
    environment: {
      hardware: {
        cpu: { brand: 'Intel Xeon Gold 6338', logicalCores: 8 },
        os: { hostname: 'cpu-box' },
        gpus: [],
        providerAssessments: [{ name: 'cpu', displayName: 'CPU', bundled: true, status: 'candidate', detail: '' }],
        providers: [{ name: 'cpu', displayName: 'CPU', status: 'ready', detail: '', probeMs: 100 }],
      },
      host: 'browser',
      app: { version: '0.1.0' },
      versions: { node: 'v22.0.0', onnxruntime: '1.22.0', electron: null, chromium: null },
    },
    variants: [
      { id: 'original', label: 'fp32 (as given)', mode: null, path: '', sizeBytes: 1, precision: 'fp32', quality: [], warnings: [] },
    ],
    configs: docs,
    warnings: [],
    importedFrom: null,
  } as unknown as RunDocument;
}
