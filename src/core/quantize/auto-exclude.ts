/**
 * Quantizing again without the worst layers, planned from what the last attempts measured: the
 * next exclude list (the worst layers the transformation changed, a few at a time), or why to stop
 * (the variant is good, nothing is left to exclude, or enough attempts were made) and which attempt
 * to keep. Pure: the caller quantizes, measures the per-layer figures and asks again.
 */
import { judgeQuality, verdictRank } from '../../shared/domain/quality-verdict';
import type { LayerQuality, QualityVerdict, QuantizeReport } from '../../shared/domain/quantize';

/** Layers added to the exclude list per attempt. */
export const AUTO_EXCLUDE_STEP = 3;
/** Attempts at most, the first (nothing excluded) included. */
export const AUTO_EXCLUDE_MAX_ATTEMPTS = 5;

/** What the planner reads of one attempt. */
export interface ExcludeAttempt {
  /** The exclude list the variant was made with. */
  exclude: readonly string[];
  report: Pick<QuantizeReport, 'quality' | 'layers' | 'nonFiniteFrom'>;
  /** Where its evaluation inputs came from (the variant's evaluation.source: 'held-out', 'random', …). */
  source: string;
}

/** Whether an attempt is good enough to stop at. */
export type GoodEnough = (attempt: ExcludeAttempt) => boolean;

export interface AutoExcludeOptions {
  step?: number;
  maxAttempts?: number;
  goodEnough?: GoodEnough;
}

export type AutoExcludeStop = 'good' | 'nothing-left' | 'attempts' | 'no-figures';

export type AutoExcludePlan =
  | { done: false; exclude: string[]; added: string[]; reason: string }
  | { done: true; stop: AutoExcludeStop; /** Index of the attempt to keep. */ best: number; reason: string };

/** The verdict the figures give, random inputs or not (random inputs cap the stored verdict at unverified). */
export function figuresVerdict(attempt: ExcludeAttempt): QualityVerdict {
  const judgement = judgeQuality(attempt.report.quality, { source: attempt.source, nonFiniteFrom: attempt.report.nonFiniteFrom });
  return judgement.wouldBe ?? judgement.verdict;
}

/** Good enough: the quality verdict's figures say good. */
export const verdictIsGood: GoodEnough = (attempt) => figuresVerdict(attempt) === 'good';

/** Good enough without verdicts: every output finite, and the worst output's cosine at least 0.999. */
export const cosineIsGood: GoodEnough = (attempt) => {
  const quality = attempt.report.quality;
  return quality.length > 0 && quality.every((q) => q.nanCount + q.infCount === 0 && q.cosine >= 0.999);
};

function worstCosine(attempt: ExcludeAttempt): number {
  return attempt.report.quality.reduce((worst, q) => Math.min(worst, q.nanCount + q.infCount > 0 ? -Infinity : q.cosine), Infinity);
}

/** The attempt to keep: best verdict, then highest worst-output cosine, then the fewest layers excluded. */
export function bestAttempt(attempts: readonly ExcludeAttempt[]): number {
  let best = 0;
  attempts.forEach((attempt, index) => {
    const current = attempts[best] as ExcludeAttempt;
    const byVerdict = verdictRank(figuresVerdict(attempt)) - verdictRank(figuresVerdict(current));
    const byCosine = worstCosine(attempt) - worstCosine(current);
    const byExcluded = attempt.exclude.length - current.exclude.length;
    if (byVerdict < 0 || (byVerdict === 0 && (byCosine > 0 || (byCosine === 0 && byExcluded < 0)))) best = index;
  });
  return best;
}

/** Layers the transformation changed and the attempt did not exclude, worst first (non-finite ones before all). */
export function excludable(attempt: ExcludeAttempt): LayerQuality[] {
  const excluded = new Set(attempt.exclude);
  const candidates = (attempt.report.layers ?? []).filter((l) => l.quantized && !excluded.has(l.node));
  return [...candidates.filter((l) => l.nonFinite > 0), ...candidates.filter((l) => l.nonFinite === 0)];
}

/** After the attempts so far (oldest first), the next exclude list, or why to stop and which attempt to keep. */
export function planNextExclude(attempts: readonly ExcludeAttempt[], options: AutoExcludeOptions = {}): AutoExcludePlan {
  const step = Math.max(1, options.step ?? AUTO_EXCLUDE_STEP);
  const maxAttempts = Math.max(1, options.maxAttempts ?? AUTO_EXCLUDE_MAX_ATTEMPTS);
  const goodEnough = options.goodEnough ?? verdictIsGood;
  const last = attempts.at(-1);
  if (!last) return { done: false, exclude: [], added: [], reason: 'first attempt: nothing excluded' };
  const index = attempts.length - 1;
  if (goodEnough(last)) return { done: true, stop: 'good', best: index, reason: `attempt ${attempts.length} is good enough` };
  const best = bestAttempt(attempts);
  if (attempts.length >= maxAttempts) {
    return { done: true, stop: 'attempts', best, reason: `${attempts.length} attempts made; keeping attempt ${best + 1}` };
  }
  if (last.report.quality.length === 0 || !last.report.layers) {
    return { done: true, stop: 'no-figures', best, reason: 'no output or per-layer figures to choose layers from' };
  }
  const added = excludable(last)
    .slice(0, step)
    .map((l) => l.node);
  if (added.length === 0) {
    return { done: true, stop: 'nothing-left', best, reason: 'every changed layer is excluded already' };
  }
  return { done: false, exclude: [...last.exclude, ...added], added, reason: `excluding the worst layers: ${added.join(', ')}` };
}
