/**
 * A quantization job that protects what matters: made once, then again without the worst transformed
 * layers (src/core/quantize/auto-exclude.ts plans which) until the figures say good or nothing is left
 * to exclude. Every attempt stays in the variant list, so its size and speed can be set side by side.
 */
import type { Variant } from '../../shared/domain/variant';
import { variantVerdict } from '../../shared/domain/quality-verdict';
import { planNextExclude, verdictIsGood, type ExcludeAttempt } from '../quantize/auto-exclude';

type Attempt = ExcludeAttempt & { variant: Variant };

/** `make(exclude)` quantizes with that exclude list; `note` reports each step to the caller. */
export async function autoExclude(
  first: readonly string[],
  make: (exclude: readonly string[]) => Promise<Variant>,
  note: (message: string) => void,
): Promise<Variant> {
  const attempts: Attempt[] = [];
  let exclude = [...first];
  for (;;) {
    const variant = await make(exclude);
    attempts.push({ exclude, report: variant.report, source: variant.evaluation.source, variant });
    const plan = planNextExclude(attempts, { goodEnough: verdictIsGood });
    if (plan.done) {
      const best = attempts[plan.best] as Attempt;
      note(`Kept attempt ${plan.best + 1} of ${attempts.length}: ${plan.reason}`);
      return { ...best.variant, autoExclude: { attempts: attempts.map(summary), stop: plan.stop, reason: plan.reason } };
    }
    note(`Attempt ${attempts.length + 1}: leaving ${plan.added.join(', ')} in float (${plan.reason})`);
    exclude = plan.exclude;
  }
}

function summary(attempt: Attempt): NonNullable<Variant['autoExclude']>['attempts'][number] {
  const { variant } = attempt;
  const quality = variant.report.quality;
  const worst = quality.length === 0 ? null : Math.min(...quality.map((q) => (q.nanCount + q.infCount > 0 ? -1 : q.cosine)));
  return {
    variantId: variant.id,
    excluded: [...attempt.exclude],
    verdict: variantVerdict(variant).verdict,
    worstCosine: worst,
    sizeBytes: variant.sizeBytes,
  };
}
