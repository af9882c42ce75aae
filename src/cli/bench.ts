import { estimatePlanDuration, formatShort } from '../shared/domain/plan-duration';
import { DEFAULT_MAX_TIME_MS, DEFAULT_MIN_TIME_MS, DEFAULT_WARMUP_MAX_MS } from '../shared/stats/constants';
import { describeProfile, type InputProfile } from '../shared/domain/profile';
import { InvalidArgumentError } from 'commander';
import type { Handlers } from '../shared/contract';
import { benchToEnd, call, writeOutput } from './run';
import { ProgressLine } from './progress';
import type { BenchPlanInput } from '../shared/domain/plan';
import { fedInputsText, formatInputValue, type InputValues } from '../shared/domain/input-values';
import type { BenchProgressEvent, ConfigResult, RunDocument } from '../shared/domain/run';
import { ciScopeText } from '../shared/domain/uncertainty';
import { configEfficiency } from '../shared/domain/efficiency';
import {
  DEFAULT_CI_TARGET_REL,
  DEFAULT_MIN_ITERATIONS,
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  NO_CI_TEXT,
} from '../shared/stats';
import { formatMedianCi } from '../shared/advice/format';
import { ITEMS_PER_SEC_DEFINITION, rateNote } from '../shared/advice/throughput';
import { renderTable } from './table';
import { parseIntList } from '../shared/parse/lists';

export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)?$/i.exec(value.trim());
  if (!match?.[1]) throw new InvalidArgumentError(`expected a duration like 500ms, 2s or 1m, got "${value}"`);
  const n = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
}

/** A list option read as the app's form reads it (shared/parse/lists.ts); threads also take "default". */
export function intListOption(options: { allowDefault?: boolean } = {}): (value: string) => number[] {
  return (value) => {
    const parsed = parseIntList(value, options);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
    return parsed.values;
  };
}

export function parseRange(value: string): { min: number; max: number } {
  const match = /^(-?\d+)(?:\.\.|:|-)(-?\d+)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a range like 0..30521, got "${value}"`);
  return { min: Number(match[1]), max: Number(match[2]) };
}

/** A shell word: left as it is when plain, single-quoted otherwise. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * The `inferscope bench` command that measures `plan`, for people to run themselves. EP options
 * and the warm-up cap have no flags: the command leaves them at their defaults.
 */
export function benchCommand(plan: BenchPlanInput): string {
  const words = ['npx', 'inferscope', 'bench', plan.model.kind === 'sample' ? `sample:${plan.model.name}` : plan.model.path];
  const list = (values: readonly number[] | readonly string[] | undefined) => (values ?? []).join(',');
  if (plan.eps?.length) words.push('--ep', list(plan.eps));
  if (plan.variants?.length) words.push('--variants', list(plan.variants));
  if (plan.batches && list(plan.batches) !== '1') words.push('--batch', list(plan.batches));
  if (plan.threads && list(plan.threads) !== '0') words.push('--threads', list(plan.threads));
  if (plan.concurrency && list(plan.concurrency) !== '1') words.push('--concurrency', list(plan.concurrency));
  for (const [name, value] of Object.entries(plan.dims ?? {})) words.push('--dim', `${name}=${value}`);
  if (plan.inputs?.dir) words.push('--inputs', plan.inputs.dir);
  if (plan.inputs?.seed) words.push('--seed', String(plan.inputs.seed));
  if (plan.inputs?.intRange) words.push('--int-range', `${plan.inputs.intRange.min}..${plan.inputs.intRange.max}`);
  for (const [name, value] of Object.entries(plan.inputs?.values ?? {})) words.push('--input', `${name}=${formatInputValue(value)}`);
  if (plan.graphOptimizationLevel && plan.graphOptimizationLevel !== 'all') words.push('--optimization', plan.graphOptimizationLevel);
  if (plan.minIterations !== undefined && plan.minIterations !== DEFAULT_MIN_ITERATIONS)
    words.push('--min-iterations', String(plan.minIterations));
  if (plan.minTimeMs !== undefined) words.push('--min-time', seconds(plan.minTimeMs));
  if (plan.maxTimeMs !== undefined) words.push('--max-time', seconds(plan.maxTimeMs));
  if (plan.repetitions !== undefined && plan.repetitions !== null) words.push('--repetitions', String(plan.repetitions));
  for (const [ep, options] of Object.entries(plan.epOptions ?? {})) {
    for (const [key, value] of Object.entries(options)) words.push('--ep-option', `${ep}:${key}=${String(value)}`);
  }
  if (plan.ciTargetRel !== undefined && plan.ciTargetRel !== DEFAULT_CI_TARGET_REL) words.push('--ci-target', String(plan.ciTargetRel));
  if (plan.profile === false) words.push('--no-profile');
  return words.map(shellWord).join(' ');
}

const PHASE_LABEL: Record<BenchProgressEvent['phase'], string> = {
  load: 'loading',
  'session-create': 'creating session',
  'first-run': 'first run',
  warmup: 'warming up',
  measure: 'measuring',
  profile: 'profiling placement',
};

function progressText(p: BenchProgressEvent): string {
  const ci = p.ciHalfWidthRel !== null ? ` CI ±${formatPercent(p.ciHalfWidthRel)}` : '';
  const eta = p.etaMs !== null ? ` · ETA ${formatMs(p.etaMs)}` : '';
  const repetition = p.repetition && (p.repetitions ?? 1) > 1 ? ` · repetition ${p.repetition}/${p.repetitions}` : '';
  return (
    `${p.configIndex + 1}/${p.configCount} ${p.configId}${repetition} · ${PHASE_LABEL[p.phase]} ` +
    `${p.iterations ? `${p.iterations} runs` : ''}${ci}${eta}`
  );
}

function medianCiText(l: { ciLow: number | null; ciHigh: number | null }): string {
  return l.ciLow === null || l.ciHigh === null ? NO_CI_TEXT : `95 % CI ${formatMedianCi(l.ciLow, l.ciHigh)}`;
}

function configLine(c: ConfigResult): string {
  if (c.status !== 'done' || !c.latencyMs) return `${c.id}: ${c.status}${c.error ? ` — ${c.error.code}: ${c.error.message}` : ''}`;
  const rate = formatRate(c.throughput?.itemsPerSec ?? 0, 'items');
  return `${c.id}: median ${formatMs(c.latencyMs.median)} (${medianCiText(c.latencyMs)}, ${ciScopeText(c)}), ${rate}`;
}

/** " (converted from cnn.pt, TorchScript module (PyTorch))" for a model converted from PyTorch / TensorFlow. */
function convertedNote(doc: RunDocument): string {
  const from = doc.model.convertedFrom;
  return from ? ` (converted from ${from.name}, ${from.label})` : '';
}

/** " — measured on gpu-box (http://127.0.0.1:5179)" for a run another machine measured. */
function measuredOn(doc: RunDocument): string {
  return doc.machine ? ` — measured on ${doc.machine.name} (${doc.machine.url})` : '';
}

export function printRun(doc: RunDocument): string {
  const rows = doc.configs.map((c) => {
    const l = c.latencyMs;
    const placement = c.placement
      ? Object.entries(c.placement.timeShareByEp)
          .sort((a, b) => b[1] - a[1])
          .map(([ep, share]) => `${ep.replace('ExecutionProvider', '')} ${formatPercent(share, { digits: 0 })}`)
          .join(', ')
      : '';
    return [
      c.id,
      c.status === 'done' ? (c.stable ? 'done' : 'done (not stable)') : c.status,
      l ? formatMs(l.median) : '—',
      l ? formatMedianCi(l.ciLow, l.ciHigh) : '—',
      c.status === 'done' ? repetitionsCell(c) : '—',
      l ? formatMs(l.p95) : '—',
      c.throughput ? formatCount(c.throughput.itemsPerSec) : '—',
      gflopsCell(doc, c),
      c.sessionCreateMs !== null ? formatMs(c.sessionCreateMs) : '—',
      c.firstRunMs !== null ? formatMs(c.firstRunMs) : '—',
      c.memory ? formatBytes(c.memory.rssPeakBytes) : '—',
      placement,
    ];
  });
  const lines = [
    `Run ${doc.id} — ${doc.model.name}${convertedNote(doc)} — ${doc.status}${measuredOn(doc)}`,
    '',
    renderTable(
      [
        'configuration',
        'status',
        'median',
        '95 % CI',
        'repetitions',
        'p95',
        'items/s',
        'GFLOP/s (peak)',
        'session',
        'first run',
        'peak RSS',
        'time by provider',
      ],
      rows,
    ),
  ];
  const fed = doc.configs.find((c) => c.inputs.length > 0)?.inputs ?? [];
  if (fed.length > 0) {
    lines.push('', `Inputs fed (first configuration): ${fedInputsText(fed)}`);
  }
  if (doc.inputProfile) lines.push(`Input profile ${profileOrigin(doc.inputProfile)}: ${describeProfile(doc.inputProfile)}`);
  const notes = doc.configs.filter((c) => c.uncertainty?.note);
  if (notes.length) lines.push('', ...notes.map((c) => `  ${c.id}: ${c.uncertainty?.note}`));
  const failed = doc.configs.filter((c) => c.error);
  if (failed.length) lines.push('', ...failed.map((c) => `  ${c.id}: ${c.error?.code}: ${c.error?.message}`));
  const fallbacks = doc.configs.filter((c) => c.ep !== 'cpu' && (c.placement?.fallbackNodes.length ?? 0) > 0);
  for (const c of fallbacks) {
    const nodes = c.placement?.fallbackNodes ?? [];
    lines.push(
      '',
      `  ${c.id}: ${nodes.length} node(s) fell back to CPU: ${nodes
        .slice(0, 8)
        .map((n) => `${n.node} (${n.op})`)
        .join(', ')}${nodes.length > 8 ? ', …' : ''}`,
    );
  }
  if (doc.warnings.length) lines.push('', 'Warnings', ...doc.warnings.map((w) => `  ! ${w.configId ? `${w.configId}: ` : ''}${w.message}`));
  lines.push('', `Method: ${doc.method.stopping}`);
  lines.push(`${ITEMS_PER_SEC_DEFINITION}.`);
  const rates = doc.configs.flatMap((c) => {
    const note = c.status === 'done' ? rateNote(c) : null;
    return note ? [`  ${c.id}: ${formatCount(c.throughput?.itemsPerSec ?? 0)} items/s measured — ${note}`] : [];
  });
  if (rates.length) lines.push(...rates);
  if (doc.configs.some((c) => configEfficiency(doc, c)?.peakShare != null)) {
    lines.push(
      `GFLOP/s: 2 × the model's MACs × batch × runs per second; peak share against ${doc.environment.hardware.cpu.peakGflopsFormula}, ` +
        'scaled to the cores each configuration used.' +
        (doc.configs.some((c) => (configEfficiency(doc, c)?.peakShare ?? 0) > 1)
          ? ' A share above 100 % means the cores ran faster than the clock the estimate assumes.'
          : ''),
    );
  }
  return lines.join('\n');
}

/** "98.4 (61 %)": achieved GFLOP/s and the share of the cores' fp32 peak, where the model's MACs are known. */
function gflopsCell(doc: RunDocument, c: ConfigResult): string {
  const e = configEfficiency(doc, c);
  if (!e) return '—';
  const rate = e.gflops >= 100 ? e.gflops.toFixed(0) : e.gflops.toFixed(1);
  return e.peakShare === null ? rate : `${rate} (${(e.peakShare * 100).toFixed(0)} %)`;
}

/** "3, spread 1.2 %", "3, spread 9 %, #2 stands apart", "1 (CI within process)". */
function repetitionsCell(c: ConfigResult): string {
  const u = c.uncertainty;
  if (!u || u.scope === 'within-process') return '1 (CI within process)';
  const outliers = c.repetitions.filter((r) => r.outlier).map((r) => `#${r.index}`);
  const apart = outliers.length ? `, ${outliers.join(' ')} stands apart` : '';
  return `${u.repetitions}, spread ${formatPercent(u.betweenSpreadRel ?? 0, { digits: 1 })}${apart}`;
}

export interface BenchCliOptions {
  /** --on: machines to measure on (names from `inferscope machines list`). */
  on?: string[];
  ep?: string;
  variants?: string;
  batch?: number[];
  threads?: number[];
  concurrency?: number[];
  dim: Record<string, number>;
  minTime?: number;
  maxTime?: number;
  minIterations?: number;
  /** --repetitions N: fresh worker processes per configuration. */
  repetitions?: number;
  /** --ep-option EP:KEY=VALUE. */
  epOption?: Record<string, Record<string, string | number | boolean>>;
  ciTarget?: number;
  inputs?: string;
  seed?: number;
  intRange?: { min: number; max: number };
  /** --input NAME=VALUE: data for named inputs. */
  input?: InputValues;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  profile: boolean;
  /** true: sweep until saturation; a target: until the percentile passes it too. */
  sweep?: true | { percentile: 'p50' | 'p90' | 'p95' | 'p99'; ms: number };
  maxConcurrency?: number;
  json?: string;
}

/** The plan `bench` measures: the same plan the app's form makes for the same choices (tested). */
export function benchPlan(model: BenchPlanInput['model'], opts: BenchCliOptions): BenchPlanInput {
  return {
    model,
    eps: opts.ep
      ? opts.ep
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean)
      : [],
    variants: opts.variants
      ? opts.variants
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : [],
    dims: opts.dim,
    profile: opts.profile,
    inputs: {
      seed: opts.seed ?? 0,
      ...(opts.inputs ? { dir: opts.inputs } : {}),
      ...(opts.intRange ? { intRange: opts.intRange } : {}),
      ...(opts.input && Object.keys(opts.input).length > 0 ? { values: opts.input } : {}),
    },
    ...(opts.batch ? { batches: opts.batch } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.minTime !== undefined ? { minTimeMs: opts.minTime } : {}),
    ...(opts.maxTime !== undefined ? { maxTimeMs: opts.maxTime } : {}),
    ...(opts.minIterations !== undefined ? { minIterations: opts.minIterations } : {}),
    ...(opts.repetitions !== undefined ? { repetitions: opts.repetitions } : {}),
    ...(opts.epOption && Object.keys(opts.epOption).length > 0 ? { epOptions: opts.epOption } : {}),
    ...(opts.ciTarget !== undefined ? { ciTargetRel: opts.ciTarget } : {}),
    ...(opts.optimization ? { graphOptimizationLevel: opts.optimization } : {}),
    ...(opts.sweep
      ? {
          sweep: {
            percentile: opts.sweep === true ? 'p95' : opts.sweep.percentile,
            targetMs: opts.sweep === true ? null : opts.sweep.ms,
            ...(opts.maxConcurrency ? { maxConcurrency: opts.maxConcurrency } : {}),
          },
        }
      : {}),
  };
}

export async function runBench(
  handlers: Handlers,
  model: BenchPlanInput['model'],
  opts: BenchCliOptions,
  /** `--on`: another machine to measure on (this one when absent); notes are printed unless the JSON goes to stdout. */
  each: { machine?: string; notes?: boolean } = {},
): Promise<RunDocument> {
  const { machine, notes = opts.json !== '-' } = each;
  const plan = benchPlan(model, opts);
  const line = new ProgressLine();
  let runId: string | null = null;
  const onSignal = (): void => {
    line.note('Cancelling… (the configurations already measured are kept)');
    if (runId) void call(handlers, 'bench.cancel', { runId }).catch(() => undefined);
  };
  process.once('SIGINT', onSignal);
  try {
    const { doc, finished } = await benchToEnd(handlers, plan, {
      ...(machine ? { machine } : {}),
      onStarted: (id) => (runId = id),
      onEvent: (event, payload) => {
        if (event === 'bench.started' && notes && !opts.json) line.note(durationLine(plan, (payload as { configs: number }).configs));
        if (event === 'bench.progress') line.show((payload as BenchProgressEvent).fraction, progressText(payload as BenchProgressEvent));
        if (event === 'bench.config') line.note(configLine((payload as { config: ConfigResult }).config));
      },
    });
    line.clear();
    // The run as saved; an error the last save could not record (a full disk) still reaches the user.
    const result: RunDocument = finished.error && !doc.error ? { ...doc, error: finished.error } : doc;
    if (opts.json) {
      const text = JSON.stringify(result, null, 2);
      if (opts.json === '-') process.stdout.write(text + '\n');
      else await writeOutput(opts.json, text + '\n');
    }
    return result;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** "saved for this model (2026-12-05)" or "stated by the sample". */
export function profileOrigin(profile: InputProfile): string {
  if (profile.origin === 'sample') return 'stated by the sample';
  return `saved for this model${profile.savedAt ? ` (${profile.savedAt.slice(0, 10)})` : ''}`;
}

/** "4 configurations: about 10 s – 1 min 30 s in all (from the plan's times; loading the model adds to each configuration)". */
function durationLine(plan: BenchPlanInput, configs: number): string {
  const d = estimatePlanDuration({
    configs,
    minTimeMs: plan.minTimeMs ?? DEFAULT_MIN_TIME_MS,
    maxTimeMs: plan.maxTimeMs ?? DEFAULT_MAX_TIME_MS,
    warmupMaxMs: plan.warmupMaxMs ?? DEFAULT_WARMUP_MAX_MS,
    minIterations: plan.minIterations ?? DEFAULT_MIN_ITERATIONS,
    profile: plan.profile ?? true,
    repetitions: plan.repetitions ?? null,
  });
  const range = `about ${formatShort(d.lowMs)} – ${formatShort(d.highMs)} in all`;
  return `${configs} configuration${configs === 1 ? '' : 's'}: ${range} (from ${d.basis})`;
}
