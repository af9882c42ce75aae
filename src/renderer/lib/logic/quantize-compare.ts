import type { ModelSource } from '../../../shared/domain/app';
import type { CpuInfo } from '../../../shared/domain/hardware';
import type { BenchPlanInput } from '../../../shared/domain/plan';
import type { OutputQuality } from '../../../shared/domain/quantize';
import type { ConfigResult, ConfigStatus, RunDocument } from '../../../shared/domain/run';
import type { Variant } from '../../../shared/domain/variant';
import { formatRatio } from '../../../shared/stats/format';
import { throughputMismatch } from '../../../shared/advice/throughput';
import { fastInt8Name, hasFastInt8 } from './quantize-options';
import { formatSqnr, isUnusable, SQNR_FAIR_DB, verdictOf, worstOutput, type WorstOutput } from './quantize-quality';
import { providerColorSlot, providerDisplayName } from './run-results';

/** Short on purpose: the side-by-side answers "faster or not", the Benchmark view measures properly. */
export const COMPARE_MIN_TIME_S = 1;
export const COMPARE_MAX_TIME_S = 5;
/** Warm-up gives up on stability after this; small models settle in well under it. */
export const COMPARE_WARMUP_MAX_MS = 2000;

export type TimesParse = { ok: true; minTimeMs: number; maxTimeMs: number } | { ok: false; error: string };

export function parseCompareTimes(minS: string, maxS: string): TimesParse {
  const min = Number(minS.trim());
  const max = Number(maxS.trim());
  if (minS.trim() === '' || !Number.isFinite(min) || min < 0)
    return { ok: false, error: 'The minimum time is a number of seconds, 0 or more' };
  if (maxS.trim() === '' || !Number.isFinite(max) || max <= 0)
    return { ok: false, error: 'The maximum time is a number of seconds above 0' };
  if (min > max) return { ok: false, error: 'The minimum time cannot exceed the maximum' };
  return { ok: true, minTimeMs: Math.round(min * 1000), maxTimeMs: Math.round(max * 1000) };
}

/** One configuration per model and provider: batch 1, default threads, one request at a time. */
export function buildComparePlan(input: {
  source: ModelSource;
  variantIds: readonly string[];
  eps: readonly string[];
  minTimeMs: number;
  maxTimeMs: number;
}): BenchPlanInput {
  return {
    model: input.source,
    variants: [...input.variantIds],
    includeOriginal: true,
    eps: [...input.eps],
    batches: [1],
    threads: [0],
    concurrency: [1],
    minTimeMs: input.minTimeMs,
    maxTimeMs: input.maxTimeMs,
    warmupMaxMs: Math.min(COMPARE_WARMUP_MAX_MS, input.maxTimeMs),
    // Placement is how fallbacks to the CPU show up on GPU providers.
    profile: true,
  };
}

export type SpeedVerdict = 'faster' | 'slower' | 'same';

/** original median / variant median: above 1 the variant is faster. */
export interface Speedup {
  ratio: number;
  /** From the 95 % CIs of both medians: the smallest and largest ratio they allow; null when either side has too few runs for a CI. */
  low: number | null;
  high: number | null;
  /** Claimed only when the ratio's range excludes 1. */
  verdict: SpeedVerdict;
}

interface MedianWithCi {
  median: number;
  ciLow: number | null;
  ciHigh: number | null;
}

/**
 * A conservative speed-up: the range combines the extremes of both medians' intervals, so it is
 * wider than a bootstrap of the ratio and "faster" is never claimed where the data do not show it.
 */
export function speedupOf(original: MedianWithCi, variant: MedianWithCi): Speedup {
  const ratio = original.median / variant.median;
  // Too few runs on either side for a CI: no range, and no claim.
  if (original.ciLow === null || original.ciHigh === null || variant.ciLow === null || variant.ciHigh === null) {
    return { ratio, low: null, high: null, verdict: 'same' };
  }
  const low = variant.ciHigh > 0 ? original.ciLow / variant.ciHigh : ratio;
  const high = variant.ciLow > 0 ? original.ciHigh / variant.ciLow : ratio;
  const verdict: SpeedVerdict = low > 1 ? 'faster' : high < 1 ? 'slower' : 'same';
  return { ratio, low, high, verdict };
}

export interface CompareRow {
  /** "original" or the variant id. */
  modelId: string;
  label: string;
  /** null for the original. */
  mode: string | null;
  configId: string | null;
  status: ConfigStatus | 'missing';
  error: string | null;
  medianMs: number | null;
  ciLowMs: number | null;
  ciHighMs: number | null;
  /** null for the original and whenever either side has no median. */
  speedup: Speedup | null;
  itemsPerSec: number | null;
  /** This model's items/s ÷ the original's; null for the original or without both rates. */
  itemsRatio: number | null;
  /** Why the items/s ratio and the speed-up point different ways (slow runs, gaps between runs); null when they agree. */
  rateNote: string | null;
  sizeBytes: number | null;
  rssPeakBytes: number | null;
  /** The output that suffered most; null for the original or when nothing was compared. */
  quality: WorstOutput | null;
  /** The variant's quality verdict; null for the original and for variants no longer listed. */
  verdict: ReturnType<typeof verdictOf> | null;
  fallbackNodes: { node: string; op: string; provider: string }[];
}

export interface CompareGroup {
  ep: string;
  label: string;
  /** A software adapter (WebGPU on SwiftShader): correct, but its times say nothing about a GPU. */
  software: boolean;
  rows: CompareRow[];
}

interface ModelEntry {
  id: string;
  label: string;
  mode: string | null;
  sizeBytes: number | null;
  quality: readonly (Pick<OutputQuality, 'name' | 'sqnrDb'> & Partial<Pick<OutputQuality, 'nanCount' | 'infCount' | 'broken'>>)[];
  verdict: ReturnType<typeof verdictOf> | null;
}

function verdictFor(variant: Variant | undefined): ReturnType<typeof verdictOf> | null {
  return variant ? verdictOf(variant) : null;
}

/** The variants ticked for a comparison until the person changes a tick: all but the unusable ones. */
export function defaultCompareVariantIds(variants: readonly Variant[]): string[] {
  return variants.filter((variant) => !isUnusable(variant)).map((variant) => variant.id);
}

function modelsOf(doc: RunDocument, variants: readonly Variant[]): ModelEntry[] {
  const full = new Map(variants.map((variant) => [variant.id, variant]));
  const entries: ModelEntry[] = doc.variants.map((entry) => ({
    id: entry.id,
    label: entry.id === 'original' ? 'Original' : entry.label,
    mode: entry.mode,
    sizeBytes: entry.sizeBytes,
    // The variant's own report also counts NaN/Inf, which the run's copy leaves out.
    quality: full.get(entry.id)?.report.quality ?? entry.quality,
    verdict: verdictFor(full.get(entry.id)),
  }));
  // Documents without a variants list still name each configuration's model.
  for (const config of doc.configs) {
    if (entries.some((entry) => entry.id === config.variant)) continue;
    const variant = full.get(config.variant);
    entries.push({
      id: config.variant,
      label: config.variant === 'original' ? 'Original' : (variant?.label ?? config.variant),
      mode: variant?.mode ?? null,
      sizeBytes: config.variant === 'original' ? (variant?.source.sizeBytes ?? doc.model.sizeBytes) : (variant?.sizeBytes ?? null),
      quality: variant?.report.quality ?? [],
      verdict: config.variant === 'original' ? null : verdictFor(variant),
    });
  }
  entries.sort((a, b) => Number(b.id === 'original') - Number(a.id === 'original'));
  return entries;
}

function rowFor(model: ModelEntry, config: ConfigResult | undefined, original: ConfigResult | undefined): CompareRow {
  const stats = config?.status === 'done' ? config.latencyMs : null;
  const base = original?.status === 'done' ? original.latencyMs : null;
  const items = config?.status === 'done' ? (config.throughput?.itemsPerSec ?? null) : null;
  const baseItems = original?.status === 'done' ? (original.throughput?.itemsPerSec ?? null) : null;
  return {
    modelId: model.id,
    label: model.label,
    mode: model.mode,
    configId: config?.id ?? null,
    status: config?.status ?? 'missing',
    error: config?.error?.message ?? null,
    medianMs: stats?.median ?? null,
    ciLowMs: stats?.ciLow ?? null,
    ciHighMs: stats?.ciHigh ?? null,
    speedup: model.id !== 'original' && stats && base ? speedupOf(base, stats) : null,
    itemsPerSec: items,
    itemsRatio: model.id !== 'original' && items !== null && baseItems ? items / baseItems : null,
    rateNote:
      model.id !== 'original' && config?.status === 'done' && original?.status === 'done' ? throughputMismatch(original, config) : null,
    sizeBytes: model.sizeBytes,
    rssPeakBytes: config?.memory?.rssPeakBytes ?? null,
    quality: model.id === 'original' ? null : worstOutput(model.quality),
    verdict: model.id === 'original' ? null : model.verdict,
    fallbackNodes: config?.placement?.fallbackNodes ?? [],
  };
}

/**
 * The run as one table per provider: the original first, then each variant, with its speed-up
 * against the original on the same provider. With several batches or thread counts (a run made
 * elsewhere) the first configuration of each model and provider stands for it.
 */
export function compareGroups(doc: RunDocument, variants: readonly Variant[] = []): CompareGroup[] {
  const models = modelsOf(doc, variants);
  const eps = [...new Set(doc.configs.map((config) => config.ep))];
  const software = new Set(doc.environment.hardware.providers.filter((p) => p.software).map((p) => p.name));
  return eps.map((ep) => {
    const configs = doc.configs.filter((config) => config.ep === ep);
    const configOf = (id: string) => configs.find((config) => config.variant === id);
    const original = configOf('original');
    return {
      ep,
      label: providerDisplayName(ep),
      software: software.has(ep),
      rows: models.map((model) => rowFor(model, configOf(model.id), original)).filter((row) => row.status !== 'missing'),
    };
  });
}

function isInt8(mode: string | null): boolean {
  return mode === 'int8-dynamic' || mode === 'int8-static';
}

function isHalf(mode: string | null): boolean {
  return mode === 'fp16' || mode === 'q4f16';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2.1× faster", "1.8× slower", "about as fast (1.02×)". */
export function describeSpeedup(speedup: Speedup): string {
  if (speedup.verdict === 'faster') return `${formatRatio(speedup.ratio)} faster`;
  if (speedup.verdict === 'slower') return `${formatRatio(1 / speedup.ratio)} slower`;
  return `no measurable difference (${formatRatio(speedup.ratio)})`;
}

/**
 * What the comparison means, in words: speed-ups with their accuracy cost, and the known traps
 * (int8 without VNNI, fp16 through casts on the CPU, nodes falling back to the CPU, software adapters).
 */
export function compareAdvice(groups: readonly CompareGroup[], cpu: Pick<CpuInfo, 'arch' | 'inferenceFlags'> | null): string[] {
  const lines: string[] = [];
  const cpuGroup = groups.find((group) => group.ep === 'cpu');
  const fastInt8 = hasFastInt8(cpu);

  const int8OnCpu = cpuGroup?.rows.filter((row) => isInt8(row.mode)) ?? [];
  if (fastInt8 === false && int8OnCpu.length > 0) {
    const notFaster = int8OnCpu.filter((row) => row.speedup && row.speedup.verdict !== 'faster');
    const allFaster = int8OnCpu.every((row) => row.speedup?.verdict === 'faster');
    if (allFaster) {
      lines.push(`This CPU has no ${fastInt8Name(cpu)}: int8 is faster here all the same, and would gain more on a CPU with it.`);
    } else {
      const detail = notFaster.map((row) => `${row.label}: ${describeSpeedup(row.speedup as Speedup)}`).join('; ');
      lines.push(`This CPU has no ${fastInt8Name(cpu)}: int8 may not be faster than fp32 here${detail ? ` (${detail})` : ''}.`);
    }
  }

  for (const group of groups) {
    if (group.software) lines.push(`${group.label} here is a software adapter: its times say nothing about how a GPU would do.`);
    for (const row of group.rows) {
      if (row.status === 'failed')
        lines.push(`${row.label} failed on ${group.label}${row.error ? `: ${row.error.replace(/[.\s]+$/, '')}` : ''}.`);
      if (group.ep !== 'cpu' && row.fallbackNodes.length > 0) {
        const ops = [...new Set(row.fallbackNodes.map((node) => node.op))].slice(0, 4).join(', ');
        const to = [...new Set(row.fallbackNodes.map((node) => providerDisplayName(node.provider)))].join(' / ');
        lines.push(
          `${plural(row.fallbackNodes.length, 'node')} of ${row.label} fell back to ${to} on ${group.label} (${ops}): copies ` +
            `between devices eat into the gain.`,
        );
      }
      if (row.rateNote && !group.software) lines.push(`${row.label} on ${group.label}: ${row.rateNote}`);
      const speedup = row.speedup;
      // A software adapter's times say nothing about a GPU: no speed claims from them.
      if (!speedup || group.software) continue;
      if (group.ep === 'cpu' && isHalf(row.mode)) {
        lines.push(
          speedup.verdict === 'slower'
            ? `fp16 on the CPU runs through casts: ${row.label} is ${describeSpeedup(speedup)} here.`
            : `${row.label} is not slower on this CPU (${describeSpeedup(speedup)}), although most CPU kernels are fp32-only.`,
        );
        continue;
      }
      if (speedup.verdict === 'faster') {
        const quality = row.quality
          ? ` with SQNR ${formatSqnr(row.quality.sqnrDb)}${row.quality.name ? ` (worst output ${row.quality.name})` : ''}`
          : '';
        const caution =
          row.verdict?.verdict === 'unusable'
            ? ` — but its quality verdict is unusable (${row.verdict.reason})`
            : row.quality && row.quality.tone === 'danger'
              ? ` — but its outputs drift far from the original's (below ${SQNR_FAIR_DB} dB or NaN/Inf): check accuracy on real data`
              : '';
        lines.push(`${row.label} is ${formatRatio(speedup.ratio)} faster on ${group.label}${quality}${caution}.`);
      } else if (speedup.verdict === 'slower') {
        lines.push(`${row.label} is ${describeSpeedup(speedup)} than the original on ${group.label}: smaller on disk, but no faster here.`);
      }
    }
  }
  return lines;
}

export interface AccuracySpeedPoint {
  label: string;
  ep: string;
  epLabel: string;
  /** Colour slot of the provider (--ep-<slot>). */
  slot: number;
  medianMs: number;
  /** null: identical outputs (no noise to measure). */
  sqnrDb: number | null;
}

export interface AccuracySpeedData {
  points: AccuracySpeedPoint[];
  /** The original's median per provider, drawn as a vertical line: left of it is faster. */
  originals: { ep: string; epLabel: string; slot: number; medianMs: number }[];
}

export function accuracySpeedData(groups: readonly CompareGroup[]): AccuracySpeedData {
  const points: AccuracySpeedPoint[] = [];
  const originals: AccuracySpeedData['originals'] = [];
  for (const group of groups) {
    const slot = providerColorSlot(group.ep);
    for (const row of group.rows) {
      if (row.medianMs === null) continue;
      if (row.modelId === 'original') originals.push({ ep: group.ep, epLabel: group.label, slot, medianMs: row.medianMs });
      else if (row.quality)
        points.push({ label: row.label, ep: group.ep, epLabel: group.label, slot, medianMs: row.medianMs, sqnrDb: row.quality.sqnrDb });
    }
  }
  return { points, originals };
}
