import type { Comparison, ComparisonEntry } from '../../../shared/domain/advice';
import type { ConfigResult } from '../../../shared/domain/run';
import { formatPercent, formatRatio, formatSignificant } from '../../../shared/stats/format';
import { RUN_TO_RUN_FLOOR } from '../../../shared/stats/constants';
import { comparisonBasis } from '../../../shared/advice/compare';

/** One thing to compare: a whole run, or one configuration of a run. */
export interface CompareItemRef {
  runId: string;
  configId?: string;
}

export function itemKey(item: CompareItemRef): string {
  return item.configId === undefined ? item.runId : `${item.runId}#${item.configId}`;
}

export function sameItem(a: CompareItemRef, b: CompareItemRef): boolean {
  return itemKey(a) === itemKey(b);
}

/** "compare-item-<run>" or "compare-item-<run>-cpu_b1_t0_c1": test ids cannot hold "/". */
export function itemTestId(item: CompareItemRef): string {
  return item.configId === undefined ? `compare-item-${item.runId}` : `compare-item-${item.runId}-${item.configId.replace(/\//g, '_')}`;
}

/** Ticks or unticks an item; the order of ticking is kept, so the first ticked is the baseline. */
export function toggleItem(items: readonly CompareItemRef[], item: CompareItemRef, checked: boolean): CompareItemRef[] {
  const without = items.filter((other) => !sameItem(other, item));
  return checked ? [...without, item] : without;
}

export function makeBaseline(items: readonly CompareItemRef[], item: CompareItemRef): CompareItemRef[] {
  const found = items.find((other) => sameItem(other, item));
  return found ? [found, ...items.filter((other) => !sameItem(other, item))] : [...items];
}

/**
 * Whole runs compare the configurations they share; single configurations compare as picked.
 * The two cannot mix in one comparison.
 */
export type CompareMode = 'runs' | 'configurations' | 'mixed';

export function compareMode(items: readonly CompareItemRef[]): CompareMode {
  const configs = items.filter((item) => item.configId !== undefined).length;
  if (configs === 0) return 'runs';
  return configs === items.length ? 'configurations' : 'mixed';
}

export type CompareReadiness = { ok: true } | { ok: false; reason: string };

export function readiness(items: readonly CompareItemRef[]): CompareReadiness {
  if (items.length < 2)
    return {
      ok: false,
      reason:
        items.length === 0 ? 'Tick two or more runs or configurations.' : 'Tick one more run or configuration to compare with the first.',
    };
  if (compareMode(items) === 'mixed')
    return {
      ok: false,
      reason: 'Compare either whole runs (their shared configurations) or single configurations, not both: untick one kind.',
    };
  return { ok: true };
}

/** Drops items whose run is gone (deleted elsewhere). */
export function existingItems(items: readonly CompareItemRef[], runIds: readonly string[]): CompareItemRef[] {
  return items.filter((item) => runIds.includes(item.runId));
}

/** What the picker lists under a run: enough to choose, without the samples. */
export interface ConfigChoice {
  id: string;
  ep: string;
  variant: string;
  batch: number;
  threads: number;
  concurrency: number;
  medianMs: number | null;
  done: boolean;
}

export function configChoices(configs: readonly ConfigResult[]): ConfigChoice[] {
  return configs.map((config) => ({
    id: config.id,
    ep: config.ep,
    variant: config.variant,
    batch: config.batch,
    threads: config.threads,
    concurrency: config.concurrency,
    medianMs: config.status === 'done' ? (config.latencyMs?.median ?? null) : null,
    done: config.status === 'done' && config.latencyMs !== null,
  }));
}

// --- reading a comparison

export type RowVerdict = 'baseline' | 'faster' | 'slower' | 'same' | 'too-few' | 'not-measured';

export interface RowReading {
  verdict: RowVerdict;
  /** "1.8× faster", "no measurable difference", … */
  headline: string;
  /** "(95 % CI 1.7–1.9×)" where a difference is claimed; empty otherwise. */
  detail: string;
  /** Time against the baseline's: "0.55×" with its CI "0.53–0.58"; null for the baseline or without samples. */
  timeRatio: { value: string; ci: string } | null;
}

/** "1.8× faster (95 % CI 1.7–1.9×)": a row's reading in one line. */
export function readingText(reading: Pick<RowReading, 'headline' | 'detail'>): string {
  return reading.detail ? `${reading.headline} ${reading.detail}` : reading.headline;
}

/**
 * The plain verdict of one row. The ratio is median(row) / median(baseline), so "faster" reads
 * its inverse; "faster" or "slower" only where the 95 % CI excludes 1 (docs/measurement.md#comparisons).
 */
export function readEntry(
  entry: Pick<ComparisonEntry, 'vsBaseline' | 'statement'> & { environment?: string[] },
  index: number,
): RowReading {
  if (index === 0) return { verdict: 'baseline', headline: 'baseline', detail: '', timeRatio: null };
  const vs = entry.vsBaseline;
  if (!vs) return { verdict: 'not-measured', headline: entry.statement, detail: '', timeRatio: null };
  const timeRatio = { value: formatRatio(vs.ratio), ci: `${formatSignificant(vs.ciLow)}–${formatSignificant(vs.ciHigh)}` };
  if (vs.tooFewSamples) return { verdict: 'too-few', headline: 'too few samples to tell', detail: '', timeRatio };
  // What the CI rests on and what else differs between the runs, said beside the ratio.
  const basis = comparisonBasis(vs);
  const environment = entry.environment?.length ? ` — measured with ${entry.environment.join(', ')}` : '';
  if (vs.verdict === 'faster') {
    return {
      verdict: 'faster',
      headline: `${formatRatio(1 / vs.ratio)} faster`,
      detail: `(95 % CI ${formatSignificant(1 / vs.ciHigh)}–${formatRatio(1 / vs.ciLow)}, ${basis})${environment}`,
      timeRatio,
    };
  }
  if (vs.verdict === 'slower') {
    return {
      verdict: 'slower',
      headline: `${formatRatio(vs.ratio)} slower`,
      detail: `(95 % CI ${formatSignificant(vs.ciLow)}–${formatRatio(vs.ciHigh)}, ${basis})${environment}`,
      timeRatio,
    };
  }
  const floor = vs.belowFloor ? `under the ${formatPercent(RUN_TO_RUN_FLOOR, { digits: 0 })} separate runs differ by, ` : '';
  return { verdict: 'same', headline: 'no measurable difference', detail: `(${floor}${basis})${environment}`, timeRatio };
}

export const ROW_VERDICT_TONE: Readonly<Record<RowVerdict, 'ok' | 'warn' | 'danger' | 'neutral' | 'accent'>> = {
  baseline: 'accent',
  faster: 'ok',
  slower: 'danger',
  same: 'neutral',
  'too-few': 'warn',
  'not-measured': 'warn',
};

/** "cpu/b1/t0/c1" → "cpu_b1_t0_c1" inside a table's test id. */
export function entryTestId(entry: Pick<ComparisonEntry, 'runId' | 'configId'>): string {
  return `compare-row-${entry.runId}-${entry.configId.replace(/\//g, '_')}`;
}

/**
 * An entry's two lines: what was measured, then where. The host's label is "<run> <config id>"
 * when several runs take part: "run of 2026-11-28 22:37 #1 cpu/b1/t0/c1".
 */
export function entryLines(entry: Pick<ComparisonEntry, 'label' | 'configId'>): { config: string; run: string | null } {
  const suffix = ` ${entry.configId}`;
  if (entry.label.endsWith(suffix)) return { config: entry.configId, run: entry.label.slice(0, -suffix.length) };
  return { config: entry.label, run: null };
}

export interface MedianBar {
  /** One line per array item: the configuration, then the run. */
  label: string[];
  medianMs: number;
  /** The median's 95 % CI; null (no whisker) when the entry has too few runs for one. */
  lowMs: number | null;
  highMs: number | null;
  baseline: boolean;
}

/** Medians with their 95 % CIs, one bar per measured entry, the baseline first. */
export function medianBars(comparison: Pick<Comparison, 'entries'>): MedianBar[] {
  const bars: MedianBar[] = [];
  comparison.entries.forEach((entry, index) => {
    if (entry.medianMs === null) return;
    const lines = entryLines(entry);
    bars.push({
      label: lines.run === null ? [lines.config] : [lines.config, lines.run],
      medianMs: entry.medianMs,
      lowMs: entry.ciLowMs,
      highMs: entry.ciHighMs,
      baseline: index === 0,
    });
  });
  return bars;
}
