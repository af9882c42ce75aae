/**
 * The verdict on a variant's output quality (docs/quantization.md#verdicts): good, degraded,
 * unusable or unverified, per output and for the variant (its worst output's), with the reason in
 * words. One pure function, so the app, the CLI and the report say the same thing.
 */
import { formatPercent } from '../stats/format';
import { setting } from '../settings';
import type { NonFiniteFrom, OutputQuality, QualityVerdict, QuantizeReport } from './quantize';

/** Better to worse: `--fail-on X` fails on X and everything after it. */
export const VERDICT_ORDER: readonly QualityVerdict[] = ['good', 'unverified', 'degraded', 'unusable'];

export type VerdictTone = 'ok' | 'warn' | 'danger' | 'neutral';

export const VERDICT_TONE: Record<QualityVerdict, VerdictTone> = {
  good: 'ok',
  degraded: 'warn',
  unusable: 'danger',
  unverified: 'neutral',
};

/** Class scores ([batch, classes]): share of rows whose top class is the original's. */
export const CLASS_TOP1 = { good: 0.99, degraded: 0.9 } as const;
/** Class scores: cosine of the score vectors, which also catches scores that drift while the arg-max holds. */
export const CLASS_COSINE = { good: 0.99, degraded: 0.9 } as const;
/** Every other output (maps, embeddings, regression, recurrent state). */
export const OUTPUT_COSINE = { good: 0.999, degraded: 0.98 } as const;
export const OUTPUT_SQNR_DB = { good: 30, degraded: 20 } as const;

export const REAL_DATA_HINT = `Quality on real data is unknown: give evaluation data (${setting('evaluationData')}).`;

export function verdictRank(verdict: QualityVerdict): number {
  return VERDICT_ORDER.indexOf(verdict);
}

/** `verdict` is `threshold` or worse. */
export function verdictFails(verdict: QualityVerdict, threshold: QualityVerdict): boolean {
  return verdictRank(verdict) >= verdictRank(threshold);
}

/** The figures a verdict reads; reports made before the flags existed lack them. */
export type JudgedQuality = Pick<OutputQuality, 'name' | 'maxAbsDiff' | 'sqnrDb' | 'cosine' | 'nanCount' | 'infCount'> &
  Partial<Pick<OutputQuality, 'elements' | 'broken' | 'identical' | 'zeroReference' | 'top1Agreement' | 'rows' | 'verdict'>>;

/** Older reports counted NaN/Inf but left them out of the figures: any of them is read as broken. */
export function isBroken(q: JudgedQuality): boolean {
  return q.broken ?? q.nanCount + q.infCount > 0;
}

export function isIdentical(q: JudgedQuality): boolean {
  return q.identical ?? (!isBroken(q) && q.elements !== 0 && q.sqnrDb === null && q.maxAbsDiff === 0);
}

/** The original's output is all zeros: no signal for SQNR or cosine to measure against. */
export function isZeroReference(q: JudgedQuality): boolean {
  if (q.zeroReference !== undefined) return q.zeroReference && !isIdentical(q);
  return !isBroken(q) && !isIdentical(q) && q.elements !== 0 && q.sqnrDb === null;
}

function formatCosineFigure(value: number): string {
  return value >= 0.99 ? value.toFixed(5) : value.toFixed(3);
}

function level(value: number, thresholds: { good: number; degraded: number }): QualityVerdict {
  if (value >= thresholds.good) return 'good';
  return value >= thresholds.degraded ? 'degraded' : 'unusable';
}

function worse(a: QualityVerdict, b: QualityVerdict): QualityVerdict {
  return verdictRank(a) >= verdictRank(b) ? a : b;
}

function nonFiniteText(nan: number, inf: number): string {
  const parts = [...(nan > 0 ? [`${nan} NaN`] : []), ...(inf > 0 ? [`${inf} Inf`] : [])];
  return parts.length > 0 ? parts.join(', ') : 'NaN/Inf';
}

export interface OutputJudgement {
  name: string;
  /** What the figures say, whatever the inputs were. */
  verdict: QualityVerdict;
  reason: string;
}

function classScoresJudgement(q: JudgedQuality & { top1Agreement: number }): OutputJudgement {
  let byTop1 = level(q.top1Agreement, CLASS_TOP1);
  const rows = q.rows;
  const disagreeing = rows !== undefined ? Math.round((1 - q.top1Agreement) * rows) : undefined;
  // One flipped row of a few (1 of 8 is 12.5 %) says too little to call the variant unusable.
  if (byTop1 === 'unusable' && disagreeing !== undefined && disagreeing <= 1) byTop1 = 'degraded';
  const verdict = worse(byTop1, level(q.cosine, CLASS_COSINE));
  const share = formatPercent(q.top1Agreement, { digits: q.top1Agreement === 1 ? 0 : 1 });
  const of = rows !== undefined ? ` (${rows - (disagreeing ?? 0)} of ${rows} rows)` : '';
  return { name: q.name, verdict, reason: `output ${q.name}: top-1 agreement ${share}${of}, cosine ${formatCosineFigure(q.cosine)}` };
}

/** One output's verdict from its figures alone (docs/quantization.md#verdicts). */
export function judgeOutput(q: JudgedQuality): OutputJudgement {
  const name = q.name;
  if (isBroken(q)) {
    return { name, verdict: 'unusable', reason: `output ${name}: ${nonFiniteText(q.nanCount, q.infCount)} where the original is finite` };
  }
  if (q.elements === 0) return { name, verdict: 'unverified', reason: `output ${name}: no values to compare` };
  if (isIdentical(q)) return { name, verdict: 'good', reason: `output ${name}: identical to the original` };
  if (isZeroReference(q)) {
    return {
      name,
      verdict: 'unverified',
      reason: `output ${name}: the original's values are all zero on these inputs, so there is no signal to measure against`,
    };
  }
  if (q.top1Agreement !== undefined) return classScoresJudgement({ ...q, top1Agreement: q.top1Agreement });
  const sqnr = q.sqnrDb ?? Infinity;
  let verdict: QualityVerdict = 'unusable';
  if (q.cosine >= OUTPUT_COSINE.good && sqnr >= OUTPUT_SQNR_DB.good) verdict = 'good';
  else if (q.cosine >= OUTPUT_COSINE.degraded || sqnr >= OUTPUT_SQNR_DB.degraded) verdict = 'degraded';
  const db = q.sqnrDb === null ? '' : `SQNR ${q.sqnrDb.toFixed(1)} dB, `;
  return { name, verdict, reason: `output ${name}: ${db}cosine ${formatCosineFigure(q.cosine)}` };
}

export interface JudgeContext {
  /** Where the evaluation inputs came from (the variant's evaluation.source); 'random' caps the verdict at unverified. */
  source: string;
  /** The first layer whose output turned non-finite, when the per-layer figures found one. */
  nonFiniteFrom?: NonFiniteFrom | null | undefined;
}

export interface VariantJudgement {
  verdict: QualityVerdict;
  /** What the figures alone would say when random inputs capped the verdict at unverified; else null. */
  wouldBe: QualityVerdict | null;
  reason: string;
  /** The output that decided it; null when nothing was compared. */
  output: string | null;
}

/** Broken outputs first, then by cosine: the output the reason names. */
function worstOf(judged: readonly { q: JudgedQuality; j: OutputJudgement }[]): { q: JudgedQuality; j: OutputJudgement } | undefined {
  let worst = judged[0];
  for (const entry of judged.slice(1)) {
    if (!worst) break;
    const byVerdict = verdictRank(entry.j.verdict) - verdictRank(worst.j.verdict);
    if (byVerdict > 0 || (byVerdict === 0 && entry.q.cosine < worst.q.cosine)) worst = entry;
  }
  return worst;
}

/** The verdict on all of a variant's outputs: the worst output's, capped at unverified on random inputs unless broken. */
export function judgeQuality(quality: readonly JudgedQuality[], context: JudgeContext): VariantJudgement {
  const judged = quality.map((q) => ({ q, j: judgeOutput(q) }));
  const worst = worstOf(judged);
  if (!worst) {
    return { verdict: 'unverified', wouldBe: null, reason: 'not compared with the original: no evaluation inputs ran', output: null };
  }
  const figures = worst.j.verdict;
  const alike = judged.filter((e) => e.j.verdict === figures).length - 1;
  const from = isBroken(worst.q) ? context.nonFiniteFrom : null;
  let reason = worst.j.reason + (from ? ` (first at node ${from.node}, ${from.opType})` : '');
  if (figures === 'good' && judged.length > 1) {
    reason = judged.every((e) => isIdentical(e.q))
      ? 'every output identical to the original'
      : `every output good; furthest from the original, ${reason}`;
  }
  if (figures !== 'good' && alike > 0) reason += `; ${alike} more output${alike === 1 ? '' : 's'} ${figures}`;
  // NaN/Inf where the original is finite is unusable whatever the inputs were.
  if (isBroken(worst.q)) return { verdict: 'unusable', wouldBe: null, reason, output: worst.q.name };
  if (context.source === 'random') {
    const capped = figures === 'unverified' ? '' : `${RANDOM_PREFIX}${figures}: `;
    return {
      verdict: 'unverified',
      wouldBe: figures === 'unverified' ? null : figures,
      reason: `${capped}${reason}. ${REAL_DATA_HINT}`,
      output: worst.q.name,
    };
  }
  return { verdict: figures, wouldBe: null, reason, output: worst.q.name };
}

/** One output's verdict as stored: random inputs cap it at unverified unless the output is broken. */
export function outputVerdict(q: JudgedQuality, source: JudgeContext['source']): QualityVerdict {
  if (source === 'random' && !isBroken(q)) return 'unverified';
  return judgeOutput(q).verdict;
}

const RANDOM_PREFIX = 'random inputs; would be ';

/** The reason without the "random inputs; would be …:" that verdictLabel already says. */
export function reasonDetail(judgement: Pick<VariantJudgement, 'reason' | 'wouldBe'>): string {
  const prefix = `${RANDOM_PREFIX}${judgement.wouldBe ?? ''}: `;
  return judgement.wouldBe && judgement.reason.startsWith(prefix) ? judgement.reason.slice(prefix.length) : judgement.reason;
}

/** "unverified (random inputs; would be degraded)", or the verdict alone. */
export function verdictLabel(judgement: Pick<VariantJudgement, 'verdict' | 'wouldBe'>): string {
  return judgement.wouldBe ? `${judgement.verdict} (random inputs; would be ${judgement.wouldBe})` : judgement.verdict;
}

/**
 * The report with each output's verdict and the variant's. `nonFiniteFrom` is what the per-layer
 * figures found (undefined when they were not measured); it is kept only when an output is broken.
 */
export function withVerdicts(report: QuantizeReport, context: JudgeContext): QuantizeReport {
  const judgement = judgeQuality(report.quality, context);
  const broken = report.quality.some(isBroken);
  const from = context.nonFiniteFrom;
  return {
    ...report,
    quality: report.quality.map((q) => ({ ...q, verdict: outputVerdict(q, context.source) })),
    verdict: judgement.verdict,
    verdictReason: judgement.reason,
    ...(from !== undefined ? { nonFiniteFrom: broken ? from : null } : {}),
  };
}

/** A stored variant's verdict: the one it was made with, or for variants made before verdicts, one computed now. */
export function variantVerdict(variant: {
  report: Pick<QuantizeReport, 'quality' | 'verdict' | 'verdictReason' | 'nonFiniteFrom'>;
  evaluation: { source: JudgeContext['source'] };
}): VariantJudgement {
  const { report } = variant;
  const computed = judgeQuality(report.quality, { source: variant.evaluation.source, nonFiniteFrom: report.nonFiniteFrom });
  if (!report.verdict) return computed;
  return {
    verdict: report.verdict,
    wouldBe: report.verdict === computed.verdict ? computed.wouldBe : null,
    reason: report.verdictReason ?? computed.reason,
    output: computed.output,
  };
}

/**
 * A variant as a run document lists it: the verdict it carries, else one read from its figures alone
 * (`fromFigures`: the run does not record whether they were measured on real or random inputs).
 * null when its outputs were not compared.
 */
export function listedVariantVerdict(variant: {
  quality: readonly JudgedQuality[];
  verdict?: QualityVerdict | undefined;
  verdictReason?: string | undefined;
}): { verdict: QualityVerdict; reason: string; fromFigures: boolean } | null {
  if (variant.quality.length === 0) return null;
  if (variant.verdict) {
    const reason = variant.verdictReason ?? judgeQuality(variant.quality, { source: 'held-out' }).reason;
    return { verdict: variant.verdict, reason, fromFigures: false };
  }
  const judgement = judgeQuality(variant.quality, { source: 'held-out' });
  return { verdict: judgement.verdict, reason: judgement.reason, fromFigures: true };
}
