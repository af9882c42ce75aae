import type { Comparison, ComparisonEntry } from '../../../shared/domain/advice';
import type { ConfigResult } from '../../../shared/domain/run';
import { formatRatio, formatSignificant } from '../../../shared/stats/format';

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
  if (items.length < 2) return { ok: false, reason: items.length === 0 ? 'Tick two or more runs or configurations.' : 'Tick one more run or configuration to compare with the first.' };
  if (compareMode(items) === 'mixed') return { ok: false, reason: 'Compare either whole runs (their shared configurations) or single configurations, not both: untick one kind.' };
  return { ok: true };
}

/** Drops items whose run is gone (deleted elsewhere). */
export function existingItems(items: readonly CompareItemRef[], runIds: ReadonlySet<string>): CompareItemRef[] {
  return items.filter((item) => runIds.has(item.runId));
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
  /** "1.8× faster (95 % CI 1.7–1.9×)", "no measurable difference", … */
  text: string;
  /** Time against the baseline's: "0.55× (0.53–0.58)"; null for the baseline or without samples. */
  timeRatio: string | null;
}

/**
 * The plain verdict of one row. The ratio is median(row) / median(baseline), so "faster" reads
 * its inverse; "faster" or "slower" only where the 95 % CI excludes 1 (MEASUREMENT.md, "Comparing").
 */
export function readEntry(entry: Pick<ComparisonEntry, 'vsBaseline' | 'statement'>, index: number): RowReading {
  if (index === 0) return { verdict: 'baseline', text: 'baseline', timeRatio: null };
  const vs = entry.vsBaseline;
  if (!vs) return { verdict: 'not-measured', text: entry.statement, timeRatio: null };
  const timeRatio = `${formatRatio(vs.ratio)} (${formatSignificant(vs.ciLow)}–${formatSignificant(vs.ciHigh)})`;
  if (vs.tooFewSamples) return { verdict: 'too-few', text: 'too few samples to tell', timeRatio };
  if (vs.verdict === 'faster') {
    return { verdict: 'faster', text: `${formatRatio(1 / vs.ratio)} faster (95 % CI ${formatSignificant(1 / vs.ciHigh)}–${formatRatio(1 / vs.ciLow)})`, timeRatio };
  }
  if (vs.verdict === 'slower') {
    return { verdict: 'slower', text: `${formatRatio(vs.ratio)} slower (95 % CI ${formatSignificant(vs.ciLow)}–${formatRatio(vs.ciHigh)})`, timeRatio };
  }
  return { verdict: 'same', text: 'no measurable difference', timeRatio };
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

export interface MedianBar {
  label: string;
  medianMs: number;
  lowMs: number;
  highMs: number;
  baseline: boolean;
}

/** Medians with their 95 % CIs, one bar per measured entry, the baseline first. */
export function medianBars(comparison: Pick<Comparison, 'entries'>): MedianBar[] {
  const bars: MedianBar[] = [];
  comparison.entries.forEach((entry, index) => {
    if (entry.medianMs === null) return;
    bars.push({
      label: entry.label,
      medianMs: entry.medianMs,
      lowMs: entry.ciLowMs ?? entry.medianMs,
      highMs: entry.ciHighMs ?? entry.medianMs,
      baseline: index === 0,
    });
  });
  return bars;
}
