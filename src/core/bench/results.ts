/**
 * What a run document records about its configurations: a configuration waiting its turn, one
 * measured by the worker or one that failed, the warnings that come with the numbers, and the
 * status of the run as a whole.
 */
import type { ConfigResult, RunDocument, RunWarning } from '../../shared/domain/run';
import { toErrorInfo } from '../../shared/errors';
import { formatMs, THERMAL_TREND_WARN_RATIO, type LatencyStats } from '../../shared/stats';
import type { BenchMeasurement } from './measurement';
import type { PlannedConfig } from './plan';

/** Other processes busier than this share of the machine during a configuration earn a warning. */
export const OTHER_LOAD_WARN_SHARE = 0.1;

export function pendingConfig(c: PlannedConfig): ConfigResult {
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
    repetitions: [],
    uncertainty: null,
  };
}

export function configFromMeasurement(m: BenchMeasurement, base: ConfigResult, gpu: ConfigResult['gpu']): ConfigResult {
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
    placement: placementFromMeasurement(m),
    placementError: m.placementError,
  };
}

/** The worker's placement summary as the run document keeps it; the trace file is set once it is known to exist. */
function placementFromMeasurement(m: BenchMeasurement): ConfigResult['placement'] {
  if (!m.placement) return null;
  return {
    requestedProvider: m.placement.requestedProvider,
    runs: m.placement.runs,
    nodesByEp: Object.fromEntries(m.placement.byProvider.map((p) => [p.provider, p.nodes])),
    timeShareByEp: Object.fromEntries(m.placement.byProvider.map((p) => [p.provider, p.timeShare])),
    fallbackNodes: m.placement.fallbackNodes,
    topOps: m.placement.topOps,
    nodes: m.placement.nodes,
    traceFile: null,
  };
}

/** Records a configuration the worker did not finish, with the samples it reported before it failed (a crash, a stall). */
export function recordFailure(config: ConfigResult, error: unknown, received: number[]): void {
  const info = toErrorInfo(error);
  config.status = info.code === 'CANCELLED' ? 'cancelled' : 'failed';
  config.error = info;
  config.samples = received;
}

/** Plain-language warnings about what may make this configuration's numbers less trustworthy. */
export function configWarnings(doc: RunDocument, c: ConfigResult): string[] {
  const warnings: string[] = [];
  const provider = doc.environment.hardware.providers.find((p) => p.name === c.ep);
  if (provider?.software) {
    warnings.push(
      `${provider.displayName} ran on a software adapter (${provider.adapter ?? 'no GPU'}): these timings say nothing about a GPU.`,
    );
  }
  const cut = warmupCutWarning(doc, c);
  if (cut) warnings.push(cut);
  else if (c.warmup && !c.warmup.stable)
    warnings.push(
      `Warm-up never became stable within ${(doc.plan.warmupMaxMs / 1000).toFixed(0)} s: the first samples may still be settling.`,
    );
  warnings.push(...stopWarnings(doc, c));
  if (c.trendRatio !== null && c.trendRatio > THERMAL_TREND_WARN_RATIO) {
    warnings.push(
      `The last quarter of samples was ${((c.trendRatio - 1) * 100).toFixed(0)} % slower than the first: thermal throttling or ` +
        `growing contention.`,
    );
  }
  warnings.push(...repetitionWarnings(c));
  const fallback = c.placement?.fallbackNodes.length ?? 0;
  if (c.ep !== 'cpu' && fallback > 0) {
    warnings.push(
      `${fallback} node${fallback === 1 ? '' : 's'} fell back to the CPU on ${provider?.displayName ?? c.ep}, with copies between devices.`,
    );
  }
  return warnings;
}

/** Other processes' CPU share per repetition, and repetitions whose median stands apart from the others'. */
function repetitionWarnings(c: ConfigResult): string[] {
  const warnings: string[] = [];
  const done = c.repetitions.filter((r) => r.status === 'done');
  const of = done.length > 1 ? ` of ${c.repetitions.length}` : '';
  for (const r of done) {
    if (r.otherLoadShare === null || r.otherLoadShare <= OTHER_LOAD_WARN_SHARE) continue;
    const when = done.length > 1 ? `during repetition ${r.index}${of}` : 'during the measurement';
    warnings.push(`Other processes used ${(r.otherLoadShare * 100).toFixed(0)} % of the CPU ${when}.`);
  }
  for (const r of done) {
    if (!r.outlier || !r.latencyMs) continue;
    const others = done.filter((o) => o !== r && o.latencyMs).map((o) => (o.latencyMs as LatencyStats).median);
    const typical = others.length ? [...others].sort((a, b) => a - b)[Math.floor(others.length / 2)] : null;
    const away = typical
      ? ` (${formatMs(typical)} typical of the others, ${(Math.abs(r.latencyMs.median / typical - 1) * 100).toFixed(0)} % away)`
      : '';
    warnings.push(
      `Repetition ${r.index}${of} stands apart: its median ${formatMs(r.latencyMs.median)}${away}. Something else may have run ` +
        `then; it is kept in the CI, which is wider for it.`,
    );
  }
  return warnings;
}

/** A warm-up cut short because one run is a large share of the maximum time (docs/measurement.md#warm-up). */
function warmupCutWarning(doc: RunDocument, c: ConfigResult): string | null {
  const cut = c.warmup?.cut ?? null;
  if (!c.warmup || cut === null) return null;
  const run = c.firstRunMs !== null ? `one run (the first took ${formatMs(c.firstRunMs)})` : 'one run';
  const max = formatMs(doc.plan.maxTimeMs);
  if (cut === 'skipped') return `Warm-up skipped: ${run} is a large share of the ${max} max time; the first samples may still be settling.`;
  const n = c.warmup.iterations;
  return (
    `Warm-up shortened to ${n} run${n === 1 ? '' : 's'} (${formatMs(c.warmup.ms)}): ${run} is a large share of the ${max} max time; ` +
    `the first samples may still be settling.`
  );
}

/**
 * Warnings about where the stopping rule left the configuration: the time limit before the minimum runs or the CI
 * target. With repetitions, each process has its own stopping rule: the one that got least far speaks.
 */
function stopWarnings(doc: RunDocument, c: ConfigResult): string[] {
  const done = c.repetitions.filter((r) => r.status === 'done' && r.latencyMs);
  const worst =
    done.length > 1 ? done.reduce((a, b) => ((a.latencyMs?.ciHalfWidthRel ?? 1) >= (b.latencyMs?.ciHalfWidthRel ?? 1) ? a : b)) : null;
  const stats = worst?.latencyMs ?? c.latencyMs;
  const stopReason = worst ? worst.stopReason : c.stopReason;
  if (stopReason !== 'max-time' || !stats) return [];
  const where = worst ? ` in repetition ${worst.index}` : '';
  const warnings: string[] = [];
  const n = stats.count;
  if (n < doc.plan.minIterations) {
    warnings.push(
      `Max time reached before the minimum ${doc.plan.minIterations} runs${where}: ${n} run${n === 1 ? ' was' : 's were'} measured.`,
    );
  }
  const target = `±${(doc.plan.ciTargetRel * 100).toFixed(1)} %`;
  if (stats.ciHalfWidthRel === null) {
    warnings.push(`The 95 % CI of the median was not reached${where} (${target} asked for): too few runs for a CI before the time limit.`);
  } else if (stats.ciHalfWidthRel > doc.plan.ciTargetRel) {
    warnings.push(
      `The 95 % CI of the median reached ±${(stats.ciHalfWidthRel * 100).toFixed(1)} %${where}, not the ${target} asked for, ` +
        `before the time limit.`,
    );
  }
  return warnings;
}

/** Replaces the run's warnings about `config` with the ones it has now. */
export function collectConfigWarnings(doc: RunDocument, config: ConfigResult): void {
  const others = doc.warnings.filter((w) => w.configId !== config.id);
  doc.warnings = [...others, ...config.warnings.map((message) => warningFor(config.id, message))];
}

function warningFor(configId: string, message: string): RunWarning {
  const code: RunWarning['code'] = /software adapter/.test(message)
    ? 'software-adapter'
    : /^Warm-up (skipped|shortened)/.test(message)
      ? 'warmup-shortened'
      : /^Max time reached before the minimum/.test(message)
        ? 'too-few-runs'
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

/** Configurations never reached (a cancel, a failed save) end as cancelled. */
export function cancelUnfinished(doc: RunDocument): void {
  for (const config of doc.configs) if (config.status === 'pending' || config.status === 'running') config.status = 'cancelled';
}

export function runStatus(doc: RunDocument, aborted: boolean): RunDocument['status'] {
  if (doc.error) return 'failed';
  if (aborted) return 'cancelled';
  return doc.configs.every((c) => c.status === 'failed' || c.status === 'skipped') ? 'failed' : 'completed';
}

// Separate functions so the compiler does not narrow a status that an await in between changed.
export function isDone(c: ConfigResult): boolean {
  return c.status === 'done';
}

export function statusOf(c: ConfigResult): ConfigResult['status'] {
  return c.status;
}
