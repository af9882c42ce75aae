import { formatUsd } from '../../../shared/advice/format';
import type { RowRequirementStatus } from '../../../shared/advice/row-status';
import { measuredSetups } from '../../../shared/advice/remeasure';
import type { ModelVerdict, TargetStatus, Verdict, VerdictRow, VerdictStatus } from '../../../shared/domain/advice';
import { plannedConcurrency, type BenchPlanInput } from '../../../shared/domain/plan';
import type { RunDocument, RunStatus, RunSummary } from '../../../shared/domain/run';
import { providerColorSlot } from './run-results';

type Tone = 'ok' | 'warn' | 'danger' | 'neutral' | 'accent';

/** The answer in a few words, above the verdict's own sentence. */
export const VERDICT_HEADLINE: Readonly<Record<VerdictStatus, string>> = {
  'cpu-suffices': 'No GPU needed: the CPU suffices',
  'gpu-needed': 'A GPU is needed',
  'gpu-worth-it': 'A GPU is worth it',
  'nothing-meets': 'Nothing measured meets the requirement',
  'insufficient-data': 'Not enough data for a verdict yet',
};

export const VERDICT_TONE: Readonly<Record<VerdictStatus, Tone>> = {
  'cpu-suffices': 'ok',
  'gpu-needed': 'accent',
  'gpu-worth-it': 'accent',
  'nothing-meets': 'danger',
  'insufficient-data': 'warn',
};

// The row's words are shared with the PDF report.
export {
  capacityText,
  instancesText,
  NOT_ELIGIBLE_NOTE,
  ROW_STATUS_LABEL,
  ROW_STATUS_TITLE,
  rowRequirementStatus,
  type RowRequirementStatus,
} from '../../../shared/advice/row-status';

export const ROW_STATUS_TONE: Readonly<Record<RowRequirementStatus, Tone>> = {
  meets: 'ok',
  borderline: 'warn',
  misses: 'warn',
  fails: 'danger',
  'not-eligible': 'neutral',
};

export function usdText(dollars: number | null): string {
  return dollars === null ? '—' : formatUsd(dollars);
}

export { energyText } from '../../../shared/advice/row-status';

/** A model's headline names the model: "mnist-cnn — No GPU needed: the CPU suffices". */
export function verdictHeadline(model: Pick<ModelVerdict, 'model' | 'status'>): string {
  return `${model.model} — ${VERDICT_HEADLINE[model.status]}`;
}

/** One model's rows in the order a person compares them: those meeting first, cheapest first, then the rest by capacity. */
export function orderedRows(verdict: Pick<Verdict, 'rows'>, model: Pick<ModelVerdict, 'runIds' | 'cheapest'>): VerdictRow[] {
  const rank = (row: VerdictRow) => (row.id === model.cheapest ? 0 : row.meetsRequirement ? 1 : 2);
  return verdict.rows
    .filter((row) => model.runIds.includes(row.runId))
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (a.costPerMillion ?? Infinity) - (b.costPerMillion ?? Infinity) ||
        (b.capacity.maxThroughputRps ?? -1) - (a.capacity.maxThroughputRps ?? -1),
    );
}

/**
 * A row's setup without the run it came from, which the table shows on its own line:
 * "run of 2026-11-28 22:37: CPU, batch 1" → "CPU, batch 1".
 */
export function setupName(row: Pick<VerdictRow, 'label' | 'runLabel'>): string {
  const prefix = `${row.runLabel}: `;
  return row.runLabel && row.label.startsWith(prefix) ? row.label.slice(prefix.length) : row.label;
}

/** Test ids cannot hold "/" or ":": "0:original/cpu/b1/t0" → "0-original_cpu_b1_t0". */
export function rowTestId(rowId: string): string {
  return rowId.replace(/:/g, '-').replace(/\//g, '_');
}

// --- the latency–throughput chart

export interface CapacityChartPoint {
  throughputRps: number;
  latencyMs: number;
  lowMs: number | null;
  highMs: number | null;
  concurrency: number;
  /** This level on its own against the latency target; null without one. */
  status: TargetStatus | null;
}

export interface CapacityChartSeries {
  label: string;
  /** Colour slot of the provider (--ep-N). */
  slot: number;
  cheapest: boolean;
  points: CapacityChartPoint[];
}

export interface CapacityChartData {
  series: CapacityChartSeries[];
  /** The latency target, drawn across the chart; null without one. */
  targetMs: number | null;
  /** What the latency axis shows: "p95 latency" or "median latency" without a target. */
  latencyLabel: string;
  /** The throughput asked for, drawn upright; null without one. */
  targetRps: number | null;
}

/** Each setup's measured levels in concurrency order: the curve a load test walks along. */
export function capacityChartData(verdict: Pick<Verdict, 'rows' | 'models' | 'requirement'>): CapacityChartData {
  const latency = verdict.requirement.latency;
  const cheapest = new Set(verdict.models.map((model) => model.cheapest));
  // Setups of several models share the chart: each series names its model.
  const several = verdict.models.length > 1;
  const series = verdict.rows
    .filter((row) => row.points.length > 0)
    .map((row) => ({
      label: several && !row.label.startsWith(row.model) ? `${row.model}: ${row.label}` : row.label,
      slot: providerColorSlot(row.ep),
      cheapest: cheapest.has(row.id),
      points: [...row.points]
        .sort((a, b) => a.concurrency - b.concurrency)
        .map((p) => ({
          throughputRps: p.throughputRps,
          latencyMs: p.percentileMs + p.batchWaitMs,
          lowMs: p.percentileCiLowMs === null ? null : p.percentileCiLowMs + p.batchWaitMs,
          highMs: p.percentileCiHighMs === null ? null : p.percentileCiHighMs + p.batchWaitMs,
          concurrency: p.concurrency,
          status: p.status,
        })),
    }));
  return {
    series,
    targetMs: latency?.ms ?? null,
    latencyLabel: latency ? `${latency.percentile} latency` : 'median latency',
    targetRps: verdict.requirement.throughputRps,
  };
}

/**
 * A latency axis: logarithmic once the values span more than a decade (a 50 ms target over
 * 40 µs latencies would otherwise flatten every curve onto the floor).
 */
export function latencyAxis(values: readonly number[]): { type: 'linear' | 'logarithmic'; min: number; max: number } {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return { type: 'linear', min: 0, max: 1 };
  const low = Math.min(...positive);
  const high = Math.max(...positive);
  // Headroom keeps a point near a decade off the chart's edge, where it would be cut in half.
  if (high / low > 10)
    return { type: 'logarithmic', min: 10 ** Math.floor(Math.log10(low / 1.3)), max: 10 ** Math.ceil(Math.log10(high * 1.3)) };
  return { type: 'linear', min: 0, max: high * 1.15 };
}

// --- measuring capacity

/** Parallel requests a capacity sweep measures: enough levels to find where latency bends. */
export const SWEEP_CONCURRENCY: readonly number[] = [1, 2, 4, 8];
/** Short on purpose: the sweep finds the knee of the curve; the Benchmark view measures properly. */
export const SWEEP_MIN_TIME_MS = 500;
export const SWEEP_MAX_TIME_MS = 1500;
/** Session create, first run and the end of warm-up, per configuration, as a rough budget. */
const SWEEP_OVERHEAD_MS = 1500;

/** The same model, variants, providers, batches, threads and inputs as the run, at every sweep level. */
export function sweepPlan(doc: Pick<RunDocument, 'plan' | 'configs'>): BenchPlanInput {
  const { plan } = doc;
  return {
    model: plan.model,
    ...measuredSetups(doc),
    epOptions: plan.epOptions,
    concurrency: [...SWEEP_CONCURRENCY],
    dims: plan.dims,
    inputs: plan.inputs,
    graphOptimizationLevel: plan.graphOptimizationLevel,
    minTimeMs: SWEEP_MIN_TIME_MS,
    maxTimeMs: SWEEP_MAX_TIME_MS,
    // Warm-up stops once stable; cutting it short would leave every level "not stable", no verdict.
    warmupMaxMs: plan.warmupMaxMs,
    // Each level in as many fresh processes as the run it extends.
    repetitions: plan.repetitions,
    profile: false,
  };
}

// --- measuring again, longer: shared with `inferscope advise`
export {
  noisyRuns,
  remeasurePlan,
  REMEASURE_FACTOR,
  REMEASURE_MAX_TIME_MS,
  REMEASURE_MIN_TIME_MS,
  REMEASURE_TIME_CAP_MS,
} from '../../../shared/advice/remeasure';

/**
 * How many configurations the sweep measures and about how long it takes: only the levels each
 * provider can take are planned (WebGPU runs one request at a time), so only those count.
 */
export function sweepSize(plan: BenchPlanInput): { configs: number; estimateMs: number } {
  const models = (plan.variants?.length ?? 0) + (plan.includeOriginal === false ? 0 : 1);
  const levels = plan.concurrency ?? [1];
  const eps = plan.eps?.length ? plan.eps : [null];
  const perSetup = eps.reduce((n, ep) => n + (ep === null ? levels.length : plannedConcurrency(ep, levels).length), 0);
  const configs = models * (plan.batches?.length ?? 1) * (plan.threads?.length ?? 1) * perSetup;
  return { configs, estimateMs: configs * ((plan.maxTimeMs ?? SWEEP_MAX_TIME_MS) + SWEEP_OVERHEAD_MS) };
}

/**
 * The sweep as asked for: the run whose model, providers, batches and threads it repeats, and its
 * size once planned. capacity: at SWEEP_CONCURRENCY, added to the ticked runs; again: the same
 * levels measured longer, replacing the run it repeats among the ticked ones.
 */
export interface SweepRequest {
  kind: 'capacity' | 'again';
  baseRunId: string;
  model: string;
  configs: number;
  estimateMs: number;
}

/** The capacity sweep started from the Decide view, as the card shows it. */
export interface Sweep extends SweepRequest {
  /** null until the host names the new run. */
  runId: string | null;
  status: 'starting' | RunStatus;
  /** Whole sweep, 0–1; never moves backwards. */
  fraction: number;
}

/**
 * The sweep from what was asked and the run followed: 'starting' while its base run is read and
 * until 'bench.start' answers with the new run's document.
 */
export function sweepOf(
  request: SweepRequest | null,
  followed: { preparing: boolean; runId: string | null; run: Pick<RunDocument, 'status'> | null; fraction: number },
): Sweep | null {
  if (!request) return null;
  const status = followed.preparing || !followed.run ? 'starting' : followed.run.status;
  return { ...request, runId: followed.runId, status, fraction: followed.fraction };
}

/** Runs a verdict can rest on: finished (or stopped) with at least one measured configuration. */
export function isAdvisable(run: Pick<RunSummary, 'status' | 'done'>): boolean {
  return run.status !== 'running' && run.done > 0;
}

/** The newest run that can carry a verdict (the list comes newest first). */
export function defaultSelection(runs: readonly Pick<RunSummary, 'id' | 'status' | 'done'>[]): string[] {
  const newest = runs.find(isAdvisable);
  return newest ? [newest.id] : [];
}

/** The ticked runs that still exist, in the list's order (newest first). */
export function selectedRuns(runs: readonly Pick<RunSummary, 'id' | 'status' | 'done'>[], ticked: readonly string[]): string[] {
  return runs.filter((run) => isAdvisable(run) && ticked.includes(run.id)).map((run) => run.id);
}
