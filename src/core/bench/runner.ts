/**
 * Runs a benchmark plan: one configuration at a time through the worker supervisor, saving
 * the run document after every configuration so nothing measured is lost to a crash, a
 * cancel or the app closing. Progress is forwarded as contract events, at most 20 per second.
 *
 * This file is the lifecycle (start, measure, save, cancel, wait); preparing the first document
 * is prepare.ts, what a configuration records is results.ts, GPU use gpu-polling.ts, capacity
 * sweeps sweep.ts and the progress events progress.ts.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventName, EventPayload } from '../../shared/contract';
import type { BenchPlanInput } from '../../shared/domain/plan';
import { configSummary } from '../../shared/domain/config-charts';
import type { ConfigResult, RunDocument } from '../../shared/domain/run';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { RunStore } from '../store/runs';
import type { ProgressOf } from '../worker-host/protocol';
import type { WorkerSupervisor } from '../worker-host/supervisor';
import { startGpuPolling } from './gpu-polling';
import type { BenchConfigInput, UserTensor } from './measurement';
import { explainGeneratedInputs, type PlannedConfig } from './plan';
import { prepareRun, type PrepareDeps } from './prepare';
import { ProgressForwarder } from './progress';
import { configFromRepetitions, repetitionsAfterFirst, uncertaintyNote, type RepetitionOutcome } from './repetitions';
import {
  cancelUnfinished,
  collectConfigWarnings,
  configWarnings,
  isDone,
  pendingConfig,
  recordFailure,
  runStatus,
  statusOf,
} from './results';
import { nextSweepLevel } from './sweep';

export { METHOD_TEXT } from './prepare';
export { PROGRESS_INTERVAL_MS } from './progress';
export { OTHER_LOAD_WARN_SHARE, configFromMeasurement, configWarnings } from './results';

/** A configuration may take its measuring cap plus warm-up plus this much before it counts as hung. */
const CONFIG_TIMEOUT_SLACK_MS = 120_000;

export interface RunnerContext {
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
}

export interface RunnerDeps extends PrepareDeps {
  supervisor: WorkerSupervisor;
  store: RunStore;
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<RunDocument>;
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
    const { doc, planned, tensors } = await prepareRun(planInput, this.deps);
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
        collectConfigWarnings(doc, config);
        if (doc.plan.sweep && isDone(config)) queueNextSweepLevel(doc, planned, index, tally);
        doc.error = await this.saveProgress(doc, tally);
        context.emit('bench.config', { runId: doc.id, ...configSummary(config) });
        // Measuring on while nothing can be saved would spend the user's time on results that are lost.
        if (doc.error || statusOf(config) === 'cancelled') break;
      }
      cancelUnfinished(doc);
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

  /**
   * Measures one configuration in the worker, once per repetition, each in a fresh worker process
   * (docs/measurement.md#repetitions), and records the outcome in `doc`.
   */
  private async measureConfig(doc: RunDocument, index: number, planned: PlannedConfig, job: ConfigJob): Promise<void> {
    const { context, tally } = job;
    const config = doc.configs[index] as ConfigResult;
    config.status = 'running';
    const eta = (): number | null =>
      tally.finished === 0 ? null : ((Date.now() - tally.startedAt) / tally.finished) * (tally.toRun - tally.finished);
    const emitProgress = (event: EventPayload<'bench.progress'>): void => context.emit('bench.progress', event);
    const progress = new ProgressForwarder(
      emitProgress,
      doc.id,
      config.id,
      index,
      doc.configs.length,
      () => tally.finished / tally.toRun,
      eta,
    );
    const gpuPoll = startGpuPolling(doc.environment.hardware);
    // What the worker reported before it failed (a crash, a stall) is kept with the failure.
    const received: number[] = [];
    const tracePath = path.join(this.deps.store.artifactsDir(doc.id), traceFileName(config.id));
    const outcomes: RepetitionOutcome[] = [];
    try {
      let count = doc.plan.repetitions;
      for (let r = 1; r <= (count ?? 1); r++) {
        progress.setRepetition(r, count);
        received.length = 0;
        const outcome = await this.measureRepetition(doc, planned, job, r === 1 ? tracePath : null, (value) => {
          for (const sample of value.recentSamplesMs) received.push(sample);
          progress.push(value);
        });
        progress.flush();
        outcomes.push(outcome);
        if (!outcome.ok) {
          // A first repetition that fails fails the configuration; a later one leaves the finished ones standing.
          if (r === 1 || outcome.error.code === 'CANCELLED') break;
          continue;
        }
        if (r === 1) count = repetitionsAfterFirst(doc.plan, outcome.wallMs);
      }
      const first = outcomes[0];
      if (!first || !outcomes.some((o) => o.ok)) {
        const error = first && !first.ok ? first.error : toErrorInfo(new Error('No repetition was measured.'));
        recordFailure(
          config,
          explainGeneratedInputs(
            error,
            doc.model.inputs,
            doc.plan,
            job.tensors.map((t) => t.name),
          ),
          received,
        );
        return;
      }
      Object.assign(config, configFromRepetitions(outcomes, config, gpuPoll?.summary() ?? null, uncertaintyNote(doc.plan, outcomes)));
      // The worker keeps the trace only where it could write it (not on a full disk).
      if (config.placement) config.placement.traceFile = (await fileExists(tracePath)) ? traceFileName(config.id) : null;
      config.warnings = configWarnings(doc, config);
    } finally {
      gpuPoll?.stop();
      progress.stop();
    }
  }

  /** One repetition: a fresh worker process measures the configuration; only the first runs the profiled pass. */
  private async measureRepetition(
    doc: RunDocument,
    planned: PlannedConfig,
    job: ConfigJob,
    tracePath: string | null,
    onProgress: (value: ProgressOf<'bench'>) => void,
  ): Promise<RepetitionOutcome> {
    const started = Date.now();
    try {
      const measurement = await this.deps.supervisor.request(
        { type: 'bench', config: benchConfig(doc, planned, job.tensors, tracePath) },
        {
          signal: job.signal,
          timeoutMs: doc.plan.maxTimeMs + doc.plan.warmupMaxMs + CONFIG_TIMEOUT_SLACK_MS,
          freshProcess: true,
          onProgress,
        },
      );
      return { ok: true, measurement, wallMs: Date.now() - started, pid: this.deps.supervisor.pid ?? null };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error), wallMs: Date.now() - started, pid: null };
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

/** A capacity sweep grows by the next concurrency level of the setup just measured, right after it. */
function queueNextSweepLevel(doc: RunDocument, planned: PlannedConfig[], index: number, tally: Tally): void {
  const next = nextSweepLevel(doc, planned[index] as PlannedConfig);
  if (!next) return;
  doc.configs.splice(index + 1, 0, pendingConfig(next));
  planned.splice(index + 1, 0, next);
  tally.toRun += 1;
}

/** What the worker is asked to measure for one configuration. */
function benchConfig(doc: RunDocument, planned: PlannedConfig, tensors: UserTensor[], traceFile: string | null): BenchConfigInput {
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
      values: doc.plan.inputs.values ?? {},
      ...(doc.plan.inputs.intRange ? { intRange: doc.plan.inputs.intRange } : {}),
    },
    minIterations: doc.plan.minIterations,
    minTimeMs: doc.plan.minTimeMs,
    maxTimeMs: doc.plan.maxTimeMs,
    warmupMaxMs: doc.plan.warmupMaxMs,
    ciTargetRel: doc.plan.ciTargetRel,
    // Placement is the same in every process: the first repetition alone profiles it.
    profile: doc.plan.profile && traceFile !== null,
    graphOptimizationLevel: doc.plan.graphOptimizationLevel,
    ...(traceFile !== null ? { traceFile } : {}),
  };
}

/** Symbolic dims as inspection resolved them (the user's values and stated defaults); batch is set per configuration. */
function resolvedDims(doc: RunDocument): Record<string, number> {
  return { ...doc.model.dims, ...doc.plan.dims };
}

export function traceFileName(configId: string): string {
  return `${configId.replace(/[^A-Za-z0-9_-]+/g, '_')}.trace.json`;
}

function fileExists(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}
