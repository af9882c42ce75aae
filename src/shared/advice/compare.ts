/**
 * Side-by-side comparison against a baseline (the first entry). "Faster" or "slower" is
 * claimed only when the 95 % CI of the ratio of medians excludes 1 and the difference is at
 * least the run-to-run floor (docs/measurement.md#comparisons); otherwise there is no
 * measurable difference. The CI comes from the repetitions (fresh processes) where there are
 * any, else from the samples of one process each, and every statement says which.
 */
import type { Comparison, ComparisonEntry } from '../domain/advice';
import { repetitionMedians, type ConfigResult, type RunDocument } from '../domain/run';
import {
  BOOTSTRAP_RESAMPLES,
  COMPARE_MIN_SAMPLES,
  compareMeasured,
  formatPercent,
  formatRatio,
  formatSignificant,
  RUN_TO_RUN_FLOOR,
} from '../stats';
import { machineIdentity, machineLabel, machineNames, runLabels, variantLabel } from './setups';
import { throughputMismatch } from './throughput';

export interface CompareItem {
  run: RunDocument;
  config: ConfigResult;
  /** Shown in place of "<run> <config id>". */
  label?: string;
}

export interface CompareOptions {
  /** Bootstrap seed; the default makes a comparison recomputed from stored samples say the same thing. */
  seed?: number;
  title?: string;
  /**
   * Caps resamples × (n_A + n_B) per comparison, for callers with a time budget (the report):
   * a run of a fast model holds 10⁵ samples per configuration, and the full bootstrap of many
   * such pairs takes minutes. Never fewer than MIN_RESAMPLES; the resamples used are reported.
   */
  maxBootstrapDraws?: number;
}

const MIN_RESAMPLES = 200;

function resamplesFor(options: CompareOptions, a: number, b: number): number {
  if (options.maxBootstrapDraws === undefined) return BOOTSTRAP_RESAMPLES;
  return Math.min(BOOTSTRAP_RESAMPLES, Math.max(MIN_RESAMPLES, Math.floor(options.maxBootstrapDraws / (a + b))));
}

/** What the CI of a comparison rests on, in words: "3 + 3 repetitions", "within one process each". */
export function comparisonBasis(comparison: { basis?: 'repetitions' | 'within-process'; repetitions?: [number, number] }): string {
  const [a, b] = comparison.repetitions ?? [1, 1];
  if (comparison.basis === 'repetitions') return `over ${a} + ${b} repetitions`;
  return 'within one process each: run-to-run variation not sampled';
}

/** A statement about B against A from median(B) / median(A) and its CI. */
export function describeRatio(comparison: {
  ratio: number;
  ciLow: number;
  ciHigh: number;
  verdict: string;
  tooFewSamples: boolean;
  basis?: 'repetitions' | 'within-process';
  repetitions?: [number, number];
  belowFloor?: boolean;
}): string {
  const { ratio, ciLow, ciHigh } = comparison;
  if (comparison.tooFewSamples) return `too few samples to tell (fewer than ${COMPARE_MIN_SAMPLES}; ratio ${formatSignificant(ratio)})`;
  const basis = comparisonBasis(comparison);
  if (comparison.verdict === 'faster') {
    const ci = `${formatSignificant(1 / ciHigh)}–${formatRatio(1 / ciLow)}`;
    return `${formatRatio(1 / ratio)} faster than the baseline (95 % CI ${ci}, ${basis})`;
  }
  if (comparison.verdict === 'slower') {
    return `${formatRatio(ratio)} slower than the baseline (95 % CI ${formatSignificant(ciLow)}–${formatRatio(ciHigh)}, ${basis})`;
  }
  if (comparison.belowFloor) {
    return (
      `no measurable difference (median ratio ${formatSignificant(ratio)}: under the ${formatPercent(RUN_TO_RUN_FLOOR, { digits: 0 })} ` +
      `separate runs differ by when nothing changed; 95 % CI ${formatSignificant(ciLow)}–${formatSignificant(ciHigh)}, ${basis})`
    );
  }
  return (
    `no measurable difference (median ratio ${formatSignificant(ratio)}, 95 % CI ` +
    `${formatSignificant(ciLow)}–${formatSignificant(ciHigh)} includes 1, ${basis})`
  );
}

/**
 * What else differs between two runs besides the configuration, said next to the ratio: the machine,
 * Inferscope's version, onnxruntime's version. Empty when nothing does.
 */
export function environmentDifferences(a: RunDocument, b: RunDocument): string[] {
  const differences: string[] = [];
  if (machineIdentity(a) !== machineIdentity(b)) differences.push(`different machines (${machineText(a)} / ${machineText(b)})`);
  if (a.environment.app.version !== b.environment.app.version) {
    differences.push(`Inferscope ${a.environment.app.version} / ${b.environment.app.version}`);
  }
  if (a.environment.versions.onnxruntime !== b.environment.versions.onnxruntime) {
    differences.push(`onnxruntime ${a.environment.versions.onnxruntime} / ${b.environment.versions.onnxruntime}`);
  }
  return differences;
}

/** "gpu-box: Intel Xeon Gold 6338 (16 threads) + NVIDIA L4" for a run measured on a saved machine; its hardware otherwise. */
function machineText(run: RunDocument): string {
  return `${run.machine ? `${run.machine.name}: ` : ''}${machineLabel(run)}`;
}

export function compareConfigurations(items: readonly CompareItem[], options: CompareOptions = {}): Comparison {
  const baselineItem = items[0];
  if (!baselineItem)
    return { title: options.title ?? 'Comparison', baseline: '', machinesDiffer: false, entries: [], notes: ['Nothing to compare.'] };
  const runs = [...new Set(items.map((i) => i.run))];
  const labels = runLabels(runs);
  const runLabel = new Map(runs.map((r, i) => [r, labels[i] ?? r.id]));
  // "this machine", "gpu-box": side by side, machines read as the person named them (their hardware where unnamed).
  const names = machineNames(runs);
  const machineOf = new Map(runs.map((r, i) => [r, names[i] ?? machineLabel(r)]));
  const machinesDiffer = new Set(items.map((i) => machineIdentity(i.run))).size > 1;
  const labelOf = (item: CompareItem): string =>
    item.label ?? (runs.length > 1 ? `${runLabel.get(item.run)} ${item.config.id}` : item.config.id);
  const notes: string[] = [];
  if (machinesDiffer) notes.push('Measured on different machines: the differences include the hardware, not only the configuration.');

  const base = baselineItem.config;
  const baseUsable = base.status === 'done' && base.samples.length > 0;
  if (!baseUsable) notes.push(`The baseline ${labelOf(baselineItem)} has no samples (${base.status}): nothing can be compared with it.`);

  const entries: ComparisonEntry[] = items.map((item, index) => {
    const c = item.config;
    const stats = c.status === 'done' ? c.latencyMs : null;
    const usable = c.status === 'done' && c.samples.length > 0;
    let vsBaseline: ComparisonEntry['vsBaseline'] = null;
    let statement: string;
    const environment = index === 0 ? [] : environmentDifferences(baselineItem.run, item.run);
    if (index === 0) statement = 'baseline';
    else if (!usable) statement = `not measured (${c.status}${c.error ? `: ${c.error.message}` : ''})`;
    else if (!baseUsable) statement = 'the baseline has no samples';
    else {
      vsBaseline = compareMeasured(
        { samples: base.samples, repetitionMedians: repetitionMedians(base) },
        { samples: c.samples, repetitionMedians: repetitionMedians(c) },
        {
          resamples: resamplesFor(options, base.samples.length, c.samples.length),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
        },
      );
      statement = describeRatio(vsBaseline);
      if (environment.length) statement += ` — measured with ${environment.join(', ')}`;
    }
    const throughput = c.status === 'done' ? (c.throughput?.itemsPerSec ?? null) : null;
    const baseThroughput = base.status === 'done' ? (base.throughput?.itemsPerSec ?? null) : null;
    return {
      label: labelOf(item),
      runId: item.run.id,
      configId: c.id,
      machine: machineOf.get(item.run) ?? machineLabel(item.run),
      variant: variantLabel(item.run, c.variant),
      medianMs: stats?.median ?? null,
      ciLowMs: stats?.ciLow ?? null,
      ciHighMs: stats?.ciHigh ?? null,
      p95Ms: stats?.p95 ?? null,
      throughputRps: throughput,
      vsBaseline,
      throughputRatio: index > 0 && throughput !== null && baseThroughput ? throughput / baseThroughput : null,
      throughputNote: index > 0 && c.status === 'done' && base.status === 'done' ? throughputMismatch(base, c) : null,
      statement,
      environment,
    };
  });
  return { title: options.title ?? `Against ${labelOf(baselineItem)}`, baseline: labelOf(baselineItem), machinesDiffer, entries, notes };
}

/**
 * Runs side by side: the same configuration (by id) in every run, the first run as the
 * baseline. A single run compares its configurations with its first one.
 */
export function compareRuns(runs: readonly RunDocument[], options: CompareOptions = {}): Comparison[] {
  const first = runs[0];
  if (!first) return [];
  if (runs.length === 1) {
    const items = first.configs.map((config) => ({ run: first, config }));
    return items.length > 1
      ? [compareConfigurations(items, { ...options, title: `${first.model.name}: configurations against ${items[0]?.config.id}` })]
      : [];
  }
  const ids = [...new Set(runs.flatMap((r) => r.configs.map((c) => c.id)))];
  const comparisons: Comparison[] = [];
  for (const id of ids) {
    const items: CompareItem[] = [];
    for (const run of runs) {
      const config = run.configs.find((c) => c.id === id);
      if (config) items.push({ run, config });
    }
    if (items.length < 2 || items[0]?.run !== first) continue;
    const comparison = compareConfigurations(items, { ...options, title: id });
    const absent = runs.filter((r) => !r.configs.some((c) => c.id === id));
    if (absent.length) comparison.notes.push(`Not measured in ${absent.length} of the runs.`);
    comparisons.push(comparison);
  }
  return comparisons;
}
