import type { BenchPlan } from '../../../shared/domain/plan';
import type { BenchProgressEvent, ConfigResult, ConfigStatus, Placement, RunDocument, RunStatus } from '../../../shared/domain/run';
import { formatCount, formatMs, formatPercent, NO_CI_TEXT } from '../../../shared/stats/format';
import { threadsLabel } from './bench-plan';

type LatencyStats = NonNullable<ConfigResult['latencyMs']>;

/** Test ids cannot hold "/": "cpu/b1/t0/c1" → "cpu_b1_t0_c1". */
export function configTestId(configId: string): string {
  return configId.replace(/\//g, '_');
}

/** How a configuration reads in a table: "batch 1 · default threads · 1 request". */
export function configLabel(config: Pick<ConfigResult, 'batch' | 'threads' | 'concurrency'>): string {
  const requests = config.concurrency === 1 ? '1 request' : `${config.concurrency} parallel requests`;
  return `batch ${config.batch} · ${threadsLabel(config.threads)} · ${requests}`;
}

import { providerColorSlot, providerDisplayName } from '../../../shared/domain/providers';

/** Provider names and chart colours come from the one provider table. */
export { providerColorSlot, providerDisplayName };

export interface PlacementShare {
  provider: string;
  label: string;
  nodes: number;
  /** Share of node time, 0–1. */
  timeShare: number;
  slot: number;
}

/** Where the nodes ran, most time first; providers that ran nodes but took no measurable time are kept. */
export function placementShares(placement: Pick<Placement, 'nodesByEp' | 'timeShareByEp'>): PlacementShare[] {
  const providers = new Set([...Object.keys(placement.nodesByEp), ...Object.keys(placement.timeShareByEp)]);
  return [...providers]
    .map((provider) => ({
      provider,
      label: providerDisplayName(provider),
      nodes: placement.nodesByEp[provider] ?? 0,
      timeShare: placement.timeShareByEp[provider] ?? 0,
      slot: providerColorSlot(provider),
    }))
    .sort((a, b) => b.timeShare - a.timeShare || b.nodes - a.nodes || a.label.localeCompare(b.label));
}

/** The run document with one configuration's newer result in place. */
export function withConfig(doc: RunDocument, config: ConfigResult): RunDocument {
  const index = doc.configs.findIndex((entry) => entry.id === config.id);
  if (index < 0) return { ...doc, configs: [...doc.configs, config] };
  const configs = [...doc.configs];
  configs[index] = config;
  return { ...doc, configs };
}

/** Configurations that have come to an end, whatever the end was. */
export function isConfigFinished(status: ConfigStatus): boolean {
  return status !== 'pending' && status !== 'running';
}

export function finishedCount(doc: Pick<RunDocument, 'configs'>): number {
  return doc.configs.filter((config) => isConfigFinished(config.status)).length;
}

/** The fastest finished configuration by median latency. */
export function fastestConfig(doc: Pick<RunDocument, 'configs'>): ConfigResult | null {
  let best: ConfigResult | null = null;
  for (const config of doc.configs) {
    if (config.status !== 'done' || !config.latencyMs) continue;
    if (!best || config.latencyMs.median < (best.latencyMs?.median ?? Infinity)) best = config;
  }
  return best;
}

export interface RunWarningLine {
  /** null for warnings about the whole run (governor, battery). */
  configId: string | null;
  message: string;
}

/**
 * Every warning of a run: the run's own and each configuration's. While a run is measuring,
 * configuration warnings arrive with their configuration before the document lists them.
 */
export function runWarnings(doc: Pick<RunDocument, 'warnings' | 'configs'>): RunWarningLine[] {
  const lines: RunWarningLine[] = doc.warnings.filter((w) => w.configId === null).map((w) => ({ configId: null, message: w.message }));
  const seen = new Set(lines.map((line) => `|${line.message}`));
  for (const config of doc.configs) {
    for (const message of config.warnings) {
      seen.add(`${config.id}|${message}`);
      lines.push({ configId: config.id, message });
    }
  }
  for (const warning of doc.warnings) {
    if (warning.configId === null) continue;
    const key = `${warning.configId}|${warning.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push({ configId: warning.configId, message: warning.message });
  }
  return lines;
}

export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

export const RUN_STATUS_TONE = {
  running: 'accent',
  completed: 'ok',
  cancelled: 'warn',
  failed: 'danger',
  interrupted: 'warn',
} as const satisfies Record<RunStatus, string>;

export const CONFIG_STATUS_LABEL: Record<ConfigStatus, string> = {
  pending: 'Waiting',
  running: 'Measuring',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

export const CONFIG_STATUS_TONE = {
  pending: 'neutral',
  running: 'accent',
  done: 'ok',
  failed: 'danger',
  cancelled: 'warn',
  skipped: 'neutral',
} as const satisfies Record<ConfigStatus, string>;

export const PHASE_LABEL: Record<BenchProgressEvent['phase'], string> = {
  load: 'Loading the model',
  'session-create': 'Creating the session',
  'first-run': 'First (cold) run',
  warmup: 'Warming up',
  measure: 'Measuring',
  profile: 'Profiling placement',
};

type StoppingPlan = Pick<BenchPlan, 'minTimeMs' | 'maxTimeMs' | 'minIterations' | 'ciTargetRel' | 'warmupMaxMs'>;

/** Shares of one configuration's time given to the steps before measuring; profiling takes the rest. */
const WARMUP_START = 0.05;
const MEASURE_START = 0.2;
const PROFILE_START = 0.95;

/**
 * How far one configuration has come, 0–1. Measuring ends when minimum iterations, minimum time
 * and the CI target are all reached, or at the time cap, so progress is the furthest of "time
 * cap" and the nearest of the three conditions. The CI narrows roughly as 1/√n, so the share of
 * samples still needed is (target / reached)².
 */
export function configFraction(
  progress: Pick<BenchProgressEvent, 'phase' | 'elapsedMs' | 'iterations' | 'ciHalfWidthRel'>,
  plan: StoppingPlan,
): number {
  switch (progress.phase) {
    case 'load':
      return 0;
    case 'session-create':
      return 0.02;
    case 'first-run':
      return 0.04;
    case 'warmup': {
      const share = plan.warmupMaxMs > 0 ? Math.min(1, progress.elapsedMs / plan.warmupMaxMs) : 1;
      return WARMUP_START + (MEASURE_START - WARMUP_START) * share;
    }
    case 'measure': {
      const byCap = plan.maxTimeMs > 0 ? progress.elapsedMs / plan.maxTimeMs : 1;
      const byTime = plan.minTimeMs > 0 ? progress.elapsedMs / plan.minTimeMs : 1;
      const byIterations = plan.minIterations > 0 ? progress.iterations / plan.minIterations : 1;
      const ci = progress.ciHalfWidthRel;
      const byCi = ci === null ? 0 : ci <= plan.ciTargetRel ? 1 : (plan.ciTargetRel / ci) ** 2;
      const share = Math.min(1, Math.max(byCap, Math.min(byTime, byIterations, byCi)));
      return MEASURE_START + (PROFILE_START - MEASURE_START) * share;
    }
    case 'profile':
      return PROFILE_START;
  }
}

/** Whole run, 0–1: configurations before this one count as done. */
export function runFraction(progress: BenchProgressEvent, plan: StoppingPlan): number {
  if (progress.configCount <= 0) return 0;
  return Math.min(1, (progress.configIndex + configFraction(progress, plan)) / progress.configCount);
}

/**
 * Time left from the share done and the time spent so far; the host's own estimate (which only
 * moves when a configuration ends) until enough of the run has passed to extrapolate.
 */
export function estimateRemainingMs(fraction: number, elapsedMs: number, hostEtaMs: number | null): number | null {
  if (fraction >= 1) return 0;
  if (fraction >= 0.03 && elapsedMs > 0) return (elapsedMs * (1 - fraction)) / fraction;
  return hostEtaMs;
}

/** A suggested file name: "mnist-cnn-2026-11-28T21-59-44-741-3696fc.run.json". */
export function runFileName(doc: Pick<RunDocument, 'id' | 'model'>): string {
  const model = doc.model.name.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${model}-${doc.id}.run.json`;
}

/** When a run was made, as lists show it: "4 Dec 2026, 23:35:34" in the person's locale. */
export function runTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "±1.2 %" for the 95 % CI of a median; "±<0.1 %" where rounding would claim an interval of exactly zero. */
export function ciHalfWidthText(halfWidthRel: number): string {
  return halfWidthRel < 0.0005 ? '±<0.1 %' : `±${formatPercent(halfWidthRel, { digits: 1 })}`;
}

/**
 * Why a narrow CI of the median can sit beside a huge spread of single runs (a CV of 1333 %): the CI is how well the
 * median is known, not how much single runs vary. Null where single runs vary less than their mean (CV ≤ 100 %).
 */
export function spreadNote(stats: Pick<LatencyStats, 'cv' | 'p99' | 'max'>): string | null {
  if (!(stats.cv > 1)) return null;
  return (
    `The CI says how well the median is known, not how much single runs vary: they vary more than their mean ` +
    `(CV ${formatPercent(stats.cv, { digits: 0 })}, p99 ${formatMs(stats.p99)}, slowest ${formatMs(stats.max)}).`
  );
}

/** The text of a results-table row, shared by the table and its Markdown copy. */
export interface ResultCells {
  configuration: string;
  status: string;
  median: string;
  ci: string;
  ciNote: string;
  p95: string;
  p99: string;
  itemsPerSec: string;
  session: string;
  firstRun: string;
}

export function resultCells(config: ConfigResult, variantLabel: string | null, scope: string): ResultCells {
  const stats = config.latencyMs;
  const hasCi = stats && stats.ciLow !== null && stats.ciHigh !== null && stats.ciHalfWidthRel !== null;
  return {
    configuration: [variantLabel, providerDisplayName(config.ep), configLabel(config)].filter(Boolean).join(' · '),
    status: CONFIG_STATUS_LABEL[config.status],
    median: stats ? formatMs(stats.median) : '—',
    ci: hasCi ? `${formatMs(stats.ciLow as number)} – ${formatMs(stats.ciHigh as number)}` : '—',
    ciNote: hasCi ? `${ciHalfWidthText(stats.ciHalfWidthRel as number)} · ${scope}` : stats ? NO_CI_TEXT : '',
    p95: stats ? formatMs(stats.p95) : '—',
    p99: stats ? formatMs(stats.p99) : '—',
    itemsPerSec: config.throughput ? formatCount(config.throughput.itemsPerSec) : '—',
    session: config.sessionCreateMs !== null ? formatMs(config.sessionCreateMs) : '—',
    firstRun: config.firstRunMs !== null ? formatMs(config.firstRunMs) : '—',
  };
}
