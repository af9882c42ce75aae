/**
 * One benchmark configuration, docs/measurement.md#one-configuration-step-by-step, inside the worker:
 * load → session create → first run → warm-up until stable → measure until the stop
 * rule says so → statistics, resources → a separate profiled pass for placement.
 * Concurrency > 1 hands steps 2–5 to threads (concurrent.ts).
 */
import { open, stat } from 'node:fs/promises';
import { InferscopeError } from '../shared/errors';
import { machineCpuTimes, otherLoadShare, type CpuTimes } from '../core/bench/cpu-load';
import { energyBetweenJ } from '../core/hardware/power';
import { computeStatistics, trendRatio } from '../shared/stats';
import type * as ort from 'onnxruntime-node';
import { throughputOf, type BenchConfig, type BenchMeasurement, type BenchProgress } from '../core/bench/measurement';
import { providerNameForEp, summarizePlacement, type PlacementSummary } from '../core/bench/placement';
import { throwIfCancelled } from './cancel';
import { benchFeeds } from './feeds';
import { Measurement, nowMs, ProgressThrottle, RssPeak, runBackToBack, Warmup } from './loop';
import { createProfiledSession } from './profiling';
import { runtimeBackends } from './runtime';
import { PROFILE_MAX_TIME_SHARE } from '../shared/stats/constants';
import { messageOf, sessionOptions } from './session';
import { measureConcurrently } from './concurrent';
import { createSession, firstRun, phaseProgress, type BenchContext, type TimedPhases } from './steps';
import { stopWatching, watchRuns } from './heartbeat';
import type { RunWatch } from './watch';

const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export async function bench(config: BenchConfig, context: BenchContext): Promise<BenchMeasurement> {
  const known = runtimeBackends();
  if (!known.some((b) => b.name === config.ep)) {
    throw new InferscopeError(
      'EP_UNAVAILABLE',
      `This ONNX Runtime build has no "${config.ep}" execution provider (it knows: ${known.map((b) => b.name).join(', ')}).`,
    );
  }
  const rss = new RssPeak();

  // Step 1. The session is then created from the path, not these bytes, so ONNX Runtime finds external data
  // next to the model; this read also leaves the file in the page cache, so step 2 measures parsing, not the disk.
  context.progress(phaseProgress('load'));
  const loadStarted = nowMs();
  const modelBytes = await readModel(config.modelPath);
  const loadMs = nowMs() - loadStarted;
  throwIfCancelled(context.signal);

  const timed = config.concurrency > 1 ? await measureConcurrently(config, context, rss) : await measureOnThisThread(config, context, rss);

  let placement: PlacementSummary | null = null;
  let placementError: string | null = null;
  if (config.profile) {
    context.progress(phaseProgress('profile'));
    try {
      placement = await profilePass(config, context.signal);
    } catch (error) {
      if (error instanceof InferscopeError && error.code === 'CANCELLED') throw error;
      // A measurement already taken is never thrown away because the extra profiled pass failed.
      placementError = messageOf(error);
    }
  }

  const stats = computeStatistics(timed.samplesMs);
  const cpuMs = (timed.cpu.user + timed.cpu.system) / 1000;
  return {
    ep: config.ep,
    provider: providerNameForEp(config.ep),
    modelBytes,
    inputs: timed.inputs,
    outputs: timed.outputs,
    loadMs,
    sessionCreateMs: timed.sessionCreateMs,
    firstRunMs: timed.firstRunMs,
    warmup: timed.warmup,
    samplesMs: timed.samplesMs,
    samplesPerThread: timed.samplesPerThread,
    measureMs: timed.measureMs,
    stopReason: timed.stopReason,
    stats,
    trendRatio: trendRatio(timed.samplesMs),
    // Items from the shapes fed, not config.batch: a model with its batch fixed at 1 runs batch 1 whatever was asked.
    throughput: throughputOf(timed.samplesMs.length, timed.measureMs, timed.inputs),
    resources: {
      rssBeforeCreateBytes: timed.rssBeforeCreateBytes,
      rssAfterCreateBytes: timed.rssAfterCreateBytes,
      rssPeakBytes: rss.peak,
      rssAfterMeasureBytes: timed.rssAfterMeasureBytes,
      cpuUserMs: timed.cpu.user / 1000,
      cpuSystemMs: timed.cpu.system / 1000,
      avgCoresBusy: timed.measureMs > 0 ? cpuMs / timed.measureMs : 0,
      otherLoadShare: otherLoadShare(timed.machineCpu.before, timed.machineCpu.after, cpuMs),
      cpuEnergyJ: energyBetweenJ(timed.machineCpu.before.energy, timed.machineCpu.after.energy),
    },
    placement,
    placementError,
  };
}

async function readModel(modelPath: string): Promise<number> {
  try {
    const info = await stat(modelPath);
    if (!info.isFile()) throw new InferscopeError('MODEL_NOT_A_FILE', `${modelPath} is not a file.`, { detail: modelPath });
    // Read through one reused buffer: the point is the time to get the file off the disk, not a copy held in memory.
    const handle = await open(modelPath, 'r');
    try {
      const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      let total = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) return total;
        total += bytesRead;
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof InferscopeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InferscopeError('MODEL_NOT_FOUND', `No model at ${modelPath}.`, { detail: modelPath, cause: error });
    }
    throw new InferscopeError('IO_ERROR', `Could not read ${modelPath}: ${messageOf(error)}`, { detail: modelPath, cause: error });
  }
}

export interface MeasureHooks {
  rss: RssPeak;
  throttle: ProgressThrottle;
  signal: AbortSignal;
  progress: (value: BenchProgress) => void;
  watch?: RunWatch;
}

/**
 * Step 5 on one session: the measuring loop itself. Exported so the harness-overhead benchmark
 * (scripts/bench-harness.mjs) times exactly this code against a bare loop of session.run.
 */
export async function measureSamples(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  config: Pick<BenchConfig, 'minIterations' | 'minTimeMs' | 'maxTimeMs' | 'maxIterations' | 'ciTargetRel'>,
  hooks: MeasureHooks,
): Promise<{ measurement: Measurement; cpu: NodeJS.CpuUsage; machineCpu: { before: CpuTimes; after: CpuTimes } }> {
  const { rss, throttle, signal, progress, watch } = hooks;
  const machineBefore = machineCpuTimes();
  const cpuBefore = process.cpuUsage();
  const measureStarted = nowMs();
  const measurement = new Measurement(measureStarted, config);
  let reported = 0;
  await runBackToBack(
    session,
    feeds,
    (sampleMs, endMs) => {
      const done = measurement.add(sampleMs, endMs);
      rss.maybeRead(endMs);
      if (throttle.due(endMs)) {
        const recent = measurement.samples.slice(reported);
        reported = measurement.samples.length;
        progress(phaseProgress('measure', measurement.samples.length, measurement.elapsedMs, null, measurement.lastCiHalfWidthRel, recent));
      }
      throwIfCancelled(signal);
      return done;
    },
    watch,
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { measurement, cpu, machineCpu: { before: machineBefore, after: machineCpuTimes() } };
}

/** Steps 2–5 for concurrency 1: one session, run back to back on this thread. */
async function measureOnThisThread(config: BenchConfig, context: BenchContext, rss: RssPeak): Promise<TimedPhases> {
  const { signal } = context;
  const rssBeforeCreateBytes = rss.read();
  context.progress(phaseProgress('session-create'));
  const createStarted = nowMs();
  const session = await createSession(config);
  const sessionCreateMs = nowMs() - createStarted;
  const rssAfterCreateBytes = rss.read();
  const watch = watchRuns();
  try {
    throwIfCancelled(signal);
    const { feeds, inputs } = benchFeeds(session, config.inputs, config.batch);

    context.progress(phaseProgress('first-run'));
    const firstRunMs = await firstRun(session, feeds, config.ep);
    throwIfCancelled(signal);

    const throttle = new ProgressThrottle();
    const warmupStarted = nowMs();
    const warmup = new Warmup(warmupStarted, config.warmupMaxMs, { maxTimeMs: config.maxTimeMs, firstRunMs });
    if (!warmup.skipped) {
      await runBackToBack(
        session,
        feeds,
        (sampleMs, endMs) => {
          const done = warmup.add(sampleMs, endMs);
          rss.maybeRead(endMs);
          if (throttle.due(endMs)) {
            context.progress(phaseProgress('warmup', warmup.count, endMs - warmupStarted, warmup.lastWindowMedian));
          }
          throwIfCancelled(signal);
          return done;
        },
        watch,
      );
    }

    const { measurement, cpu, machineCpu } = await measureSamples(session, feeds, config, {
      rss,
      throttle,
      signal,
      progress: (value) => context.progress(value),
      watch,
    });
    const decision = measurement.decision;
    if (!decision?.stop) throw new InferscopeError('INTERNAL', 'The measuring loop ended without a stop decision.');

    return {
      inputs,
      outputs: [...session.outputNames],
      sessionCreateMs,
      firstRunMs,
      warmup: warmup.outcome(),
      samplesMs: measurement.samples,
      samplesPerThread: [measurement.samples.length],
      measureMs: measurement.elapsedMs,
      stopReason: decision.reason,
      rssBeforeCreateBytes,
      rssAfterCreateBytes,
      rssAfterMeasureBytes: rss.read(),
      cpu,
      machineCpu,
    };
  } finally {
    stopWatching(watch);
    await session.release();
  }
}

/** Step 8: a separate, short profiled session; its timings never become samples. */
async function profilePass(config: BenchConfig, signal: AbortSignal): Promise<PlacementSummary> {
  const profiled = await createProfiledSession(
    config.modelPath,
    sessionOptions(config.ep, config.epOptions, config.threads, config.graphOptimizationLevel),
  );
  try {
    const { feeds } = benchFeeds(profiled.session, config.inputs, config.batch);
    const started = nowMs();
    for (let i = 0; i < config.profileRuns; i++) {
      throwIfCancelled(signal);
      // A slow model profiles fewer runs: the pass stays within PROFILE_MAX_TIME_SHARE of the maximum time after its first run.
      if (i > 0 && nowMs() - started >= PROFILE_MAX_TIME_SHARE * config.maxTimeMs) break;
      await profiled.session.run(feeds);
    }
    return summarizePlacement(await profiled.takeTrace(config.traceFile), config.ep);
  } finally {
    await profiled.close();
  }
}
