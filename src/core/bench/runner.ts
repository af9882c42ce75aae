/**
 * Runs a benchmark plan: one configuration at a time through the worker supervisor, saving
 * the run document after every configuration so nothing measured is lost to a crash, a
 * cancel or the app closing. Progress is forwarded as contract events, at most 20 per second.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventName, EventPayload } from '../../shared/contract';
import type { HardwareProfile } from '../../shared/domain/hardware';
import type { ModelInfo } from '../../shared/domain/model';
import { BenchPlanSchema, concurrencyRefusal, type BenchPlan, type BenchPlanInput } from '../../shared/domain/plan';
import {
  RUN_SCHEMA,
  RUN_SCHEMA_VERSION,
  type ConfigResult,
  type RunDocument,
  type RunEnvironment,
  type RunModel,
  type RunWarning,
  type BenchProgressEvent,
  type RunVariant,
} from '../../shared/domain/run';
import { InferscopeError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { PERCENTILE_METHOD, THERMAL_TREND_WARN_RATIO } from '../../shared/stats';
import { queryNvidiaUsage } from '../hardware';
import { readNoiseSnapshot } from '../hardware/noise';
import { newRunId, type RunStore } from '../store/runs';
import { sha256File } from '../store/files';
import type { BenchConfigInput, BenchMeasurement, UserTensor } from './measurement';
import { MAX_CONFIGS, ORIGINAL, checkPlanMemory, configId, expandPlan, type PlannedConfig } from './plan';
import { nextConcurrency } from '../../shared/advice/capacity';
import type { WorkerSupervisor } from '../worker-host/supervisor';
import { readTensorFolder } from './tensor-files';

/** Other processes busier than this share of the machine during a configuration earn a warning. */
export const OTHER_LOAD_WARN_SHARE = 0.1;
/** Progress events reach the UI at most this often. */
export const PROGRESS_INTERVAL_MS = 50;
/** A configuration may take its measuring cap plus warm-up plus this much before it counts as hung. */
const CONFIG_TIMEOUT_SLACK_MS = 120_000;
const GPU_POLL_MS = 500;

export interface RunnerContext {
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
}

export interface RunnerDeps {
  supervisor: WorkerSupervisor;
  store: RunStore;
  resolveModel: (source: BenchPlan['model']) => Promise<{ path: string; sample: string | null }>;
  inspect: (path: string, dims: Record<string, number>) => Promise<ModelInfo>;
  hardware: () => Promise<HardwareProfile>;
  /** A variant made by the Quantize view, by id; it must come from this model. */
  variant: (id: string) => Promise<RunVariant & { sourceSha256: string }>;
  environment: Omit<RunEnvironment, 'hardware'>;
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<RunDocument>;
}

/** "2 s", "0.5 s", "1.25 s": seconds without trailing zeros. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

export const METHOD_TEXT = (plan: BenchPlan): RunDocument['method'] => ({
  warmup: `Warm-up runs the measuring loop unrecorded until the medians of the last 3 windows agree within ±2 % (Triton perf_analyzer's rule), or for at most ${seconds(plan.warmupMaxMs)} — then the result says "not stable".`,
  stopping: `Measurement keeps every sample and stops once it has at least ${plan.minIterations} runs, ${seconds(plan.minTimeMs)}, and a 95 % confidence interval of the median within ±${(plan.ciTargetRel * 100).toFixed(1)} % of it — or at ${seconds(plan.maxTimeMs)}, reporting the interval reached.`,
  statistics: `One sample = one awaited session.run, timed with process.hrtime. Percentiles: ${PERCENTILE_METHOD}. The 95 % CI of the median comes from order statistics (exact binomial ranks; normal approximation above 1000 samples). Outliers: beyond 3·IQR from the quartiles.`,
  concurrency: 'Concurrency N = N sessions, each on its own thread in the worker, running back to back: latency is per request, throughput is all runs over the measuring time.',
});

export class BenchRunner {
  private readonly active = new Map<string, ActiveRun>();

  constructor(private readonly deps: RunnerDeps) {}

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /** Validates and prepares the run, saves its first document, and measures in the background. */
  async start(planInput: BenchPlanInput, context: RunnerContext): Promise<RunDocument> {
    const parsed = BenchPlanSchema.safeParse(planInput);
    if (!parsed.success) {
      throw new InferscopeError('PLAN_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const plan = parsed.data;
    if (plan.minTimeMs > plan.maxTimeMs) throw new InferscopeError('PLAN_INVALID', 'The minimum time must not exceed the maximum time.');
    const model = await this.deps.resolveModel(plan.model);
    const info = await this.deps.inspect(model.path, plan.dims);
    const hardware = await this.deps.hardware();
    const tensors = plan.inputs.dir ? await readTensorFolder(plan.inputs.dir, info.inputs.map((i) => i.name)) : [];

    const ready = hardware.providers.filter((p) => p.status === 'ready').map((p) => p.name);
    const eps = plan.eps.length > 0 ? plan.eps : ready;
    if (eps.length === 0) throw new InferscopeError('EP_UNAVAILABLE', 'No execution provider is ready on this machine.');
    const planned = expandPlan(plan, eps);
    if (planned.length > MAX_CONFIGS) {
      throw new InferscopeError('PLAN_INVALID', `This plan expands to ${planned.length} configurations; at most ${MAX_CONFIGS} are allowed.`);
    }
    // Inputs × requests in flight for every configuration must fit the free memory: refused here, before the worker makes them.
    checkPlanMemory(info, plan, planned, tensors);

    const runModelInfo = await runModel(model, info);
    const variants: RunVariant[] = [];
    if (plan.includeOriginal) {
      variants.push({ id: ORIGINAL, label: `${info.precision} (as given)`, mode: null, path: model.path, sizeBytes: runModelInfo.sizeBytes, precision: info.precision, quality: [], warnings: [] });
    }
    for (const id of plan.variants) {
      const { sourceSha256, ...variant } = await this.deps.variant(id);
      if (sourceSha256 !== runModelInfo.sha256) {
        throw new InferscopeError('PLAN_INVALID', `The variant ${variant.label} was made from another model (or the model changed since); make it again.`);
      }
      variants.push(variant);
    }
    if (variants.length === 0) throw new InferscopeError('PLAN_INVALID', 'Nothing to measure: pick the model, a variant, or both.');

    const doc: RunDocument = {
      schema: RUN_SCHEMA,
      schemaVersion: RUN_SCHEMA_VERSION,
      id: newRunId(),
      createdAt: new Date().toISOString(),
      finishedAt: null,
      status: 'running',
      plan,
      model: runModelInfo,
      variants,
      environment: { ...this.deps.environment, hardware },
      method: METHOD_TEXT(plan),
      configs: planned.map((c) => pendingConfig(c)),
      warnings: [],
      importedFrom: null,
      error: null,
    };
    for (const config of doc.configs) {
      const provider = hardware.providers.find((p) => p.name === config.ep);
      const refusal = concurrencyRefusal(config.ep, config.concurrency);
      if (!provider || provider.status !== 'ready') {
        config.status = 'skipped';
        config.error = {
          code: 'EP_UNAVAILABLE',
          message: provider ? `${provider.displayName} is ${provider.status}: ${provider.detail}` : `"${config.ep}" is not an execution provider on this machine.`,
        };
      } else if (refusal) {
        config.status = 'skipped';
        config.error = { code: 'NOT_SUPPORTED', message: refusal };
      }
    }
    const noise = await readNoiseSnapshot();
    if (noise.governor && noise.governor !== 'performance') {
      doc.warnings.push({ code: 'governor', configId: null, message: `The CPU frequency governor is "${noise.governor}", not "performance": clocks may change during the run.` });
    }
    if (noise.onBattery) doc.warnings.push({ code: 'battery', configId: null, message: 'This machine runs on battery: it may slow its CPU and GPU to save power.' });
    await this.deps.store.save(doc);

    const controller = new AbortController();
    const done = this.measure(doc, planned, tensors, controller.signal, context).finally(() => this.active.delete(doc.id));
    this.active.set(doc.id, { controller, done });
    context.emit('bench.started', { runId: doc.id, configs: doc.configs.length });
    return doc;
  }

  /** Resolves when the run has ended (completed, cancelled or failed). */
  wait(id: string): Promise<RunDocument> | null {
    return this.active.get(id)?.done ?? null;
  }

  cancel(id: string): boolean {
    const run = this.active.get(id);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  async cancelAll(): Promise<void> {
    const runs = [...this.active.values()];
    for (const run of runs) run.controller.abort();
    await Promise.allSettled(runs.map((r) => r.done));
  }

  private async measure(
    doc: RunDocument,
    planned: PlannedConfig[],
    tensors: UserTensor[],
    signal: AbortSignal,
    context: RunnerContext,
  ): Promise<RunDocument> {
    const tally: Tally = { startedAt: Date.now(), toRun: doc.configs.filter((c) => c.status === 'pending').length, finished: 0, saved: 0 };
    try {
      for (const [index, config] of doc.configs.entries()) {
        if (config.status !== 'pending') continue;
        if (signal.aborted) break;
        const plannedConfig = planned[index] as PlannedConfig;
        await this.measureConfig(doc, index, plannedConfig, { tensors, signal, context, tally });
        tally.finished += 1;
        const others = doc.warnings.filter((w) => w.configId !== config.id);
        doc.warnings = [...others, ...config.warnings.map((message) => warningFor(config.id, message))];
        const next = doc.plan.sweep && isDone(config) ? nextSweepLevel(doc, plannedConfig) : null;
        if (next) {
          doc.configs.splice(index + 1, 0, pendingConfig(next));
          planned.splice(index + 1, 0, next);
          tally.toRun += 1;
        }
        doc.error = await this.saveProgress(doc, tally);
        context.emit('bench.config', { runId: doc.id, config });
        // Measuring on while nothing can be saved would spend the user's time on results that are lost.
        if (doc.error || statusOf(config) === 'cancelled') break;
      }
      for (const config of doc.configs) if (config.status === 'pending' || config.status === 'running') config.status = 'cancelled';
      doc.status = runStatus(doc, signal.aborted);
    } catch (error) {
      doc.status = 'failed';
      doc.error = toErrorInfo(error);
    }
    doc.finishedAt = new Date().toISOString();
    // With the disk still full this fails too, and the last complete save stays as it was.
    await this.deps.store.save(doc).catch(() => undefined);
    context.emit('bench.finished', { runId: doc.id, status: doc.status, ...(doc.error ? { error: doc.error } : {}) });
    return doc;
  }

  /** Measures one configuration in the worker and records the outcome in `doc`. */
  private async measureConfig(doc: RunDocument, index: number, planned: PlannedConfig, job: ConfigJob): Promise<void> {
    const { signal, context, tally } = job;
    const config = doc.configs[index] as ConfigResult;
    config.status = 'running';
    const eta = (): number | null =>
      tally.finished === 0 ? null : ((Date.now() - tally.startedAt) / tally.finished) * (tally.toRun - tally.finished);
    const progress = new ProgressForwarder(context, doc.id, config.id, index, doc.configs.length, () => tally.finished / tally.toRun, eta);
    const gpuPoll = doc.environment.hardware.gpus.some((g) => g.vendor === 'nvidia') ? new GpuPoller() : null;
    // What the worker reported before it failed (a crash, a stall) is kept with the failure.
    const received: number[] = [];
    const tracePath = path.join(this.deps.store.artifactsDir(doc.id), traceFileName(config.id));
    try {
      const measurement = await this.deps.supervisor.request(
        { type: 'bench', config: benchConfig(doc, planned, job.tensors, tracePath) },
        {
          signal,
          timeoutMs: doc.plan.maxTimeMs + doc.plan.warmupMaxMs + CONFIG_TIMEOUT_SLACK_MS,
          onProgress: (value) => {
            for (const sample of value.recentSamplesMs) received.push(sample);
            progress.push(value);
          },
        },
      );
      progress.flush();
      Object.assign(config, configFromMeasurement(measurement, config, gpuPoll?.summary() ?? null));
      // The worker keeps the trace only where it could write it (not on a full disk).
      if (config.placement) config.placement.traceFile = (await fileExists(tracePath)) ? traceFileName(config.id) : null;
      config.warnings = configWarnings(doc, config, measurement.resources.otherLoadShare);
    } catch (error) {
      const info = toErrorInfo(error);
      config.status = info.code === 'CANCELLED' ? 'cancelled' : 'failed';
      config.error = info;
      config.samples = received;
    } finally {
      gpuPoll?.stop();
      progress.stop();
    }
  }

  /**
   * Saves the document; null when saved. A failed save (a full disk) leaves the last saved document
   * as it was and gives the error the run stops with, saying what the saved document still holds.
   */
  private async saveProgress(doc: RunDocument, tally: Tally): Promise<ErrorInfo | null> {
    try {
      await this.deps.store.save(doc);
      tally.saved = doc.configs.filter(isDone).length;
      return null;
    } catch (error) {
      const info = toErrorInfo(error);
      const kept = `${tally.saved} measured configuration${tally.saved === 1 ? '' : 's'}`;
      const message = `${info.message.replace(/\.?$/, '.')} The run stopped; its saved document keeps the ${kept} saved before.`;
      return { ...info, message };
    }
  }
}

interface Tally {
  startedAt: number;
  toRun: number;
  finished: number;
  /** Measured configurations in the last document saved. */
  saved: number;
}

interface ConfigJob {
  tensors: UserTensor[];
  signal: AbortSignal;
  context: RunnerContext;
  tally: Tally;
}

function runStatus(doc: RunDocument, aborted: boolean): RunDocument['status'] {
  if (doc.error) return 'failed';
  if (aborted) return 'cancelled';
  return doc.configs.every((c) => c.status === 'failed' || c.status === 'skipped') ? 'failed' : 'completed';
}

function benchConfig(doc: RunDocument, planned: PlannedConfig, tensors: UserTensor[], traceFile: string): BenchConfigInput {
  return {
    modelPath: doc.variants.find((v) => v.id === planned.variant)?.path ?? doc.model.path,
    ep: planned.ep,
    epOptions: doc.plan.epOptions[planned.ep] ?? {},
    batch: planned.batch,
    threads: planned.threads,
    concurrency: planned.concurrency,
    inputs: {
      seed: doc.plan.inputs.seed,
      dims: resolvedDims(doc),
      defaultDim: 1,
      tensors,
      ...(doc.plan.inputs.intRange ? { intRange: doc.plan.inputs.intRange } : {}),
    },
    minIterations: doc.plan.minIterations,
    minTimeMs: doc.plan.minTimeMs,
    maxTimeMs: doc.plan.maxTimeMs,
    warmupMaxMs: doc.plan.warmupMaxMs,
    ciTargetRel: doc.plan.ciTargetRel,
    profile: doc.plan.profile,
    graphOptimizationLevel: doc.plan.graphOptimizationLevel,
    traceFile,
  };
}

function fileExists(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

// Separate functions so the compiler does not narrow a status that measureConfig changed.
function isDone(c: ConfigResult): boolean {
  return c.status === 'done';
}

function statusOf(c: ConfigResult): ConfigResult['status'] {
  return c.status;
}

/**
 * The next concurrency level of a capacity sweep for the setup `base` belongs to, from the
 * levels measured so far; null when the sweep of that setup is done.
 */
function nextSweepLevel(doc: RunDocument, base: PlannedConfig): PlannedConfig | null {
  const sweep = doc.plan.sweep;
  if (!sweep) return null;
  const same = doc.configs.filter(
    (c) => c.variant === base.variant && c.ep === base.ep && c.batch === base.batch && c.threads === base.threads && c.status === 'done' && c.latencyMs && c.throughput,
  );
  const points = same.map((c) => ({
    concurrency: c.concurrency,
    latencyMs: (sweep.percentile === 'p50' ? c.latencyMs?.median : c.latencyMs?.[sweep.percentile]) ?? 0,
    // Requests per second: a batch-b run answers b requests.
    throughputRps: c.throughput?.itemsPerSec ?? 0,
  }));
  const concurrency = nextConcurrency(points, { targetMs: sweep.targetMs, minGain: sweep.minGain, maxConcurrency: sweep.maxConcurrency });
  if (concurrency === null || doc.configs.some((c) => c.id === configId({ ...base, concurrency }))) return null;
  const refusal = concurrencyRefusal(base.ep, concurrency);
  if (refusal) {
    if (!doc.warnings.some((w) => w.code === 'sweep-limited' && w.configId === base.id)) doc.warnings.push({ code: 'sweep-limited', configId: base.id, message: refusal });
    return null;
  }
  const c = { variant: base.variant, ep: base.ep, batch: base.batch, threads: base.threads, concurrency };
  return { id: configId(c), ...c };
}

export function traceFileName(configId: string): string {
  return `${configId.replace(/[^A-Za-z0-9_-]+/g, '_')}.trace.json`;
}

/** Symbolic dims as inspection resolved them (the user's values and stated defaults); batch is set per configuration. */
function resolvedDims(doc: RunDocument): Record<string, number> {
  return { ...doc.model.dims, ...doc.plan.dims };
}

function pendingConfig(c: PlannedConfig): ConfigResult {
  return {
    ...c,
    status: 'pending',
    error: null,
    provider: null,
    loadMs: null,
    sessionCreateMs: null,
    firstRunMs: null,
    warmup: null,
    stable: false,
    stopReason: null,
    measureMs: null,
    latencyMs: null,
    throughput: null,
    samples: [],
    samplesPerThread: [],
    trendRatio: null,
    memory: null,
    cpu: null,
    gpu: null,
    inputs: [],
    placement: null,
    placementError: null,
    warnings: [],
  };
}

export function configFromMeasurement(m: BenchMeasurement, base: ConfigResult, gpu: ConfigResult['gpu']): ConfigResult {
  const placement = m.placement
    ? {
        requestedProvider: m.placement.requestedProvider,
        runs: m.placement.runs,
        nodesByEp: Object.fromEntries(m.placement.byProvider.map((p) => [p.provider, p.nodes])),
        timeShareByEp: Object.fromEntries(m.placement.byProvider.map((p) => [p.provider, p.timeShare])),
        fallbackNodes: m.placement.fallbackNodes,
        topOps: m.placement.topOps,
        nodes: m.placement.nodes,
        traceFile: null,
      }
    : null;
  return {
    ...base,
    status: 'done',
    error: null,
    provider: m.provider,
    loadMs: m.loadMs,
    sessionCreateMs: m.sessionCreateMs,
    firstRunMs: m.firstRunMs,
    warmup: m.warmup,
    stable: m.warmup.stable,
    stopReason: m.stopReason,
    measureMs: m.measureMs,
    latencyMs: m.stats,
    throughput: m.throughput,
    samples: m.samplesMs,
    samplesPerThread: m.samplesPerThread,
    trendRatio: m.trendRatio,
    memory: {
      rssBeforeCreateBytes: m.resources.rssBeforeCreateBytes,
      rssAfterCreateBytes: m.resources.rssAfterCreateBytes,
      rssPeakBytes: m.resources.rssPeakBytes,
      rssAfterMeasureBytes: m.resources.rssAfterMeasureBytes,
    },
    cpu: {
      userMs: m.resources.cpuUserMs,
      systemMs: m.resources.cpuSystemMs,
      avgCoresBusy: m.resources.avgCoresBusy,
      packagePowerWatts: m.resources.cpuEnergyJ !== null && m.measureMs > 0 ? m.resources.cpuEnergyJ / (m.measureMs / 1000) : null,
    },
    gpu,
    inputs: m.inputs,
    placement,
    placementError: m.placementError,
  };
}

/** Plain-language warnings about what may make this configuration's numbers less trustworthy. */
export function configWarnings(doc: RunDocument, c: ConfigResult, otherLoad: number | null): string[] {
  const warnings: string[] = [];
  const provider = doc.environment.hardware.providers.find((p) => p.name === c.ep);
  if (provider?.software) {
    warnings.push(`${provider.displayName} ran on a software adapter (${provider.adapter ?? 'no GPU'}): these timings say nothing about a GPU.`);
  }
  if (c.warmup && !c.warmup.stable) warnings.push(`Warm-up never became stable within ${(doc.plan.warmupMaxMs / 1000).toFixed(0)} s: the first samples may still be settling.`);
  if (c.stopReason === 'max-time' && c.latencyMs && c.latencyMs.ciHalfWidthRel > doc.plan.ciTargetRel) {
    warnings.push(`The 95 % CI of the median reached ±${(c.latencyMs.ciHalfWidthRel * 100).toFixed(1)} %, not the ±${(doc.plan.ciTargetRel * 100).toFixed(1)} % asked for, before the time limit.`);
  }
  if (c.trendRatio !== null && c.trendRatio > THERMAL_TREND_WARN_RATIO) {
    warnings.push(`The last quarter of samples was ${((c.trendRatio - 1) * 100).toFixed(0)} % slower than the first: thermal throttling or growing contention.`);
  }
  if (otherLoad !== null && otherLoad > OTHER_LOAD_WARN_SHARE) {
    warnings.push(`Other processes used ${(otherLoad * 100).toFixed(0)} % of the CPU during the measurement.`);
  }
  const fallback = c.placement?.fallbackNodes.length ?? 0;
  if (c.ep !== 'cpu' && fallback > 0) {
    warnings.push(`${fallback} node${fallback === 1 ? '' : 's'} fell back to the CPU on ${provider?.displayName ?? c.ep}, with copies between devices.`);
  }
  return warnings;
}

function warningFor(configId: string, message: string): RunWarning {
  const code: RunWarning['code'] = /software adapter/.test(message)
    ? 'software-adapter'
    : /never became stable/.test(message)
      ? 'not-stable'
      : /CI of the median/.test(message)
        ? 'ci-not-reached'
        : /slower than the first/.test(message)
          ? 'throttling'
          : /Other processes/.test(message)
            ? 'other-load'
            : 'fallback-nodes';
  return { code, configId, message };
}

async function runModel(model: { path: string; sample: string | null }, info: ModelInfo): Promise<RunModel> {
  return {
    name: model.sample ?? info.name,
    path: model.path,
    sample: model.sample,
    sizeBytes: info.sizeBytes + info.externalDataBytes,
    sha256: await sha256File(model.path),
    inputs: info.inputs,
    outputs: info.outputs,
    opsets: info.opsets,
    precision: info.precision,
    parameters: info.parameters.total,
    macs: info.macs,
    nodeCount: info.nodeCount,
    dims: Object.fromEntries(info.dims.filter((d) => d.value !== null && d.source !== 'batch-default').map((d) => [d.name, d.value as number])),
    variant: 'fp32',
  };
}


/** Coalesces the worker's progress into at most one event per PROGRESS_INTERVAL_MS, keeping every sample. */
class ProgressForwarder {
  private latest: BenchProgressEvent | null = null;
  private samples: number[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSent = 0;

  constructor(
    private readonly context: RunnerContext,
    private readonly runId: string,
    private readonly configId: string,
    private readonly configIndex: number,
    private readonly configCount: number,
    private readonly fraction: () => number,
    private readonly eta: () => number | null,
  ) {}

  push(value: unknown): void {
    const p = value as { phase: BenchProgressEvent['phase']; iterations: number; elapsedMs: number; medianMs: number | null; ciHalfWidthRel: number | null; recentSamplesMs?: number[] };
    if (p.recentSamplesMs) this.samples.push(...p.recentSamplesMs);
    this.latest = {
      runId: this.runId,
      configId: this.configId,
      configIndex: this.configIndex,
      configCount: this.configCount,
      phase: p.phase,
      iterations: p.iterations,
      elapsedMs: p.elapsedMs,
      medianMs: p.medianMs,
      ciHalfWidthRel: p.ciHalfWidthRel,
      samplesMs: [],
      fraction: Math.min(1, this.fraction()),
      etaMs: this.eta(),
    };
    const wait = PROGRESS_INTERVAL_MS - (Date.now() - this.lastSent);
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.latest) return;
    this.lastSent = Date.now();
    this.context.emit('bench.progress', { ...this.latest, samplesMs: this.samples });
    this.samples = [];
    this.latest = null;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Samples nvidia-smi while a configuration runs: peak memory, mean utilization and power. */
class GpuPoller {
  private readonly memory: number[] = [];
  private readonly util: number[] = [];
  private readonly power: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private busy = false;

  constructor() {
    this.timer = setInterval(() => void this.poll(), GPU_POLL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const usage = await queryNvidiaUsage();
      for (const gpu of usage) {
        if (gpu.memoryUsedBytes !== null) this.memory.push(gpu.memoryUsedBytes);
        if (gpu.utilizationPercent !== null) this.util.push(gpu.utilizationPercent);
        if (gpu.powerDrawWatts !== null) this.power.push(gpu.powerDrawWatts);
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  summary(): ConfigResult['gpu'] {
    if (this.memory.length + this.util.length + this.power.length === 0) return null;
    const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    return {
      memoryUsedBytes: this.memory.length ? Math.max(...this.memory) : null,
      utilizationPercent: mean(this.util),
      powerDrawWatts: mean(this.power),
    };
  }
}
