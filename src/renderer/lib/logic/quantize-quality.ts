import type { OutputQuality, QualityVerdict } from '../../../shared/domain/quantize';
import {
  isBroken,
  isIdentical,
  isZeroReference,
  outputVerdict,
  reasonDetail,
  variantVerdict,
  VERDICT_TONE,
  verdictLabel,
  type JudgedQuality,
  type VariantJudgement,
  type VerdictTone,
} from '../../../shared/domain/quality-verdict';
import type { Variant } from '../../../shared/domain/variant';
import { formatPercent, formatSignificant } from '../../../shared/stats/format';

/** SQNR at or above this keeps outputs close enough for most uses. */
export const SQNR_GOOD_DB = 30;
/** Below this the variant's outputs differ visibly: check accuracy on real data before using it. */
export const SQNR_FAIR_DB = 20;

export type QualityTone = 'ok' | 'warn' | 'danger';

export const SQNR_EXPLAINED =
  `SQNR = 20·log10(‖x‖ / ‖x − y‖), the original's outputs x against the variant's y on the same inputs; higher is better. ` +
  `≥ ${SQNR_GOOD_DB} dB good · ${SQNR_FAIR_DB}–${SQNR_GOOD_DB} dB fair · < ${SQNR_FAIR_DB} dB poor.`;

/** null SQNR means no noise at all (identical outputs), which is as good as it gets. */
export function sqnrTone(db: number | null): QualityTone {
  if (db === null || db >= SQNR_GOOD_DB) return 'ok';
  return db >= SQNR_FAIR_DB ? 'warn' : 'danger';
}

export const QUALITY_TONE_LABEL: Record<QualityTone, string> = { ok: 'good', warn: 'fair', danger: 'poor' };

type QualityFigures = Pick<OutputQuality, 'sqnrDb'> & Partial<Pick<OutputQuality, 'nanCount' | 'infCount' | 'broken'>>;

/** NaN or Inf where the original is finite is a broken variant whatever its SQNR says. */
export function outputTone(quality: QualityFigures): QualityTone {
  if (quality.broken ?? ((quality.nanCount ?? 0) > 0 || (quality.infCount ?? 0) > 0)) return 'danger';
  return sqnrTone(quality.sqnrDb);
}

export interface WorstOutput {
  name: string;
  /** null: identical outputs. */
  sqnrDb: number | null;
  tone: QualityTone;
}

/** The output that suffered most, by tone first, then SQNR; null when nothing was compared. */
export function worstOutput(quality: readonly (QualityFigures & { name: string })[]): WorstOutput | null {
  let worst: WorstOutput | null = null;
  const rank: Record<QualityTone, number> = { ok: 0, warn: 1, danger: 2 };
  for (const output of quality) {
    const candidate = { name: output.name, sqnrDb: output.sqnrDb, tone: outputTone(output) };
    if (!worst) {
      worst = candidate;
      continue;
    }
    const byTone = rank[candidate.tone] - rank[worst.tone];
    const db = candidate.sqnrDb ?? Infinity;
    if (byTone > 0 || (byTone === 0 && db < (worst.sqnrDb ?? Infinity))) worst = candidate;
  }
  return worst;
}

/** "38.2 dB", or "identical" when there is no noise to measure. */
export function formatSqnr(db: number | null): string {
  return db === null ? 'identical' : `${formatSignificant(db)} dB`;
}

/** One output's SQNR in words: "38.2 dB", "identical", "—" when broken, "no signal" when the original is all zeros. */
export function formatOutputSqnr(quality: JudgedQuality): string {
  if (isBroken(quality)) return '—';
  if (isIdentical(quality)) return 'identical';
  if (quality.sqnrDb !== null) return formatSqnr(quality.sqnrDb);
  return isZeroReference(quality) ? 'no signal' : '—';
}

/** Absolute differences span many decades: "0", "3.1e-5", "0.0123", "1.5"; "∞" where one side is NaN/Inf (null once sent as JSON). */
export function formatAbsDiff(value: number): string {
  if (Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return '∞';
  if (value === 0) return '0';
  if (Math.abs(value) < 1e-3) return value.toExponential(1);
  return formatSignificant(value);
}

/** Cosine similarity close to 1 is where the differences are: "0.99987". */
export function formatCosine(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 1) return '1';
  return value >= 0.99 ? value.toFixed(5) : value.toFixed(3);
}

export function formatShare(value: number | undefined): string {
  return value === undefined ? '—' : formatPercent(value, { digits: value === 1 ? 0 : 1 });
}

export interface SizeChange {
  before: number;
  after: number;
  /** after / before. */
  ratio: number;
  /** 1 − after / before: 0.74 is 74 % smaller; negative when the variant grew. */
  reduction: number;
}

export function sizeChange(sizeBytes: { before: number; after: number }): SizeChange {
  const ratio = sizeBytes.before > 0 ? sizeBytes.after / sizeBytes.before : 1;
  return { before: sizeBytes.before, after: sizeBytes.after, ratio, reduction: 1 - ratio };
}

/** "−74.6 %" or "+3.1 %": negative is smaller. */
export function formatSizeChange(change: SizeChange): string {
  return formatPercent(-change.reduction, { digits: 1, signed: true }).replace(/^-/, '−');
}

/** The things worth a person's attention in a variant: its warnings and the nodes it left alone. */
export function attentionCount(variant: Pick<Variant, 'report'>): number {
  return variant.report.warnings.length + variant.report.skipped.length;
}

/** Skipped nodes grouped by reason, most common first: a hundred "not constant" rows read as one line. */
export function skippedByReason(skipped: Variant['report']['skipped']): { reason: string; nodes: { node: string; opType: string }[] }[] {
  const groups = new Map<string, { node: string; opType: string }[]>();
  for (const entry of skipped) {
    const list = groups.get(entry.reason) ?? [];
    list.push({ node: entry.node, opType: entry.opType });
    groups.set(entry.reason, list);
  }
  return [...groups.entries()].map(([reason, nodes]) => ({ reason, nodes })).sort((a, b) => b.nodes.length - a.nodes.length);
}

/** The file name a download suggests, as the host names it: "mlp-int8-dynamic-3f2a9c.onnx". */
export function variantFileName(variant: Pick<Variant, 'id' | 'source'>): string {
  const base = variant.source.name.replace(/\.onnx$/i, '');
  return `${base}-${variant.id}.onnx`.replace(/[^A-Za-z0-9._-]/g, '_');
}

// ---- verdicts (docs/quantization.md#verdicts)

export const VERDICT_EXPLAINED =
  'good: close to the original · degraded: usable with care, check on real data · unusable: do not deploy · ' +
  'unverified: not compared on real data';

/**
 * The variant's verdict, as made or, for variants made before verdicts, computed now; `label` is the
 * badge ("unverified (random inputs; would be degraded)") and `detail` the reason beside it.
 */
export function verdictOf(
  variant: Pick<Variant, 'report' | 'evaluation'>,
): VariantJudgement & { tone: VerdictTone; label: string; detail: string } {
  const judgement = variantVerdict(variant);
  return { ...judgement, tone: VERDICT_TONE[judgement.verdict], label: verdictLabel(judgement), detail: reasonDetail(judgement) };
}

/** One output's verdict: the stored one, else computed from its figures. */
export function outputVerdictOf(quality: JudgedQuality, source: string): { verdict: QualityVerdict; tone: VerdictTone } {
  const verdict = quality.verdict ?? outputVerdict(quality, source);
  return { verdict, tone: VERDICT_TONE[verdict] };
}

/** Unusable variants are marked wherever listed and left out of comparisons unless ticked. */
export function isUnusable(variant: Pick<Variant, 'report' | 'evaluation'>): boolean {
  return variantVerdict(variant).verdict === 'unusable';
}
