/** The Quantize view's verdicts: the badge's words and tone, unusable variants left unticked, and broken figures shown as such. */
import { describe, expect, it } from 'vitest';
import type { OutputQuality } from '../../../../../src/shared/domain/quantize';
import type { Variant } from '../../../../../src/shared/domain/variant';
import { defaultCompareVariantIds } from '../../../../../src/renderer/lib/logic/quantize-compare';
import {
  formatAbsDiff,
  formatOutputSqnr,
  isUnusable,
  outputTone,
  outputVerdictOf,
  verdictOf,
} from '../../../../../src/renderer/lib/logic/quantize-quality';

function output(changes: Partial<OutputQuality> = {}): OutputQuality {
  return {
    name: 'y',
    elements: 64,
    maxAbsDiff: 0.01,
    meanAbsDiff: 0.001,
    sqnrDb: 40,
    cosine: 0.99995,
    nanCount: 0,
    infCount: 0,
    ...changes,
  };
}

const broken = output({ name: 'boxes', broken: true, nanCount: 60, infCount: 4, sqnrDb: null, maxAbsDiff: Infinity, cosine: -1 });

function variant(id: string, quality: OutputQuality[], source: 'random' | 'held-out' = 'held-out'): Variant {
  return { id, report: { quality }, evaluation: { samples: 4, source } } as unknown as Variant;
}

describe('verdicts in the Quantize view', () => {
  it('gives the badge its words, tone and reason', () => {
    expect(verdictOf(variant('a', [output()]))).toMatchObject({ verdict: 'good', tone: 'ok', label: 'good' });
    expect(verdictOf(variant('b', [output({ cosine: 0.985, sqnrDb: 22 })], 'random'))).toMatchObject({
      verdict: 'unverified',
      tone: 'neutral',
      label: 'unverified (random inputs; would be degraded)',
      detail: expect.stringMatching(/^output y: SQNR 22\.0 dB, cosine 0\.985\. Quality on real data is unknown/),
    });
    const bad = verdictOf(variant('c', [output({ name: 'scores' }), broken], 'random'));
    expect(bad).toMatchObject({ verdict: 'unusable', tone: 'danger' });
    expect(bad.reason).toBe('output boxes: 60 NaN, 4 Inf where the original is finite');
    expect(verdictOf(variant('d', []))).toMatchObject({ verdict: 'unverified', tone: 'neutral' });
  });

  it('per output: the stored verdict, else one from the figures', () => {
    expect(outputVerdictOf(output({ verdict: 'degraded' }), 'held-out')).toEqual({ verdict: 'degraded', tone: 'warn' });
    expect(outputVerdictOf(output(), 'random')).toEqual({ verdict: 'unverified', tone: 'neutral' });
    expect(outputVerdictOf(broken, 'random')).toEqual({ verdict: 'unusable', tone: 'danger' });
  });

  it('leaves unusable variants unticked for the side-by-side comparison', () => {
    const variants = [
      variant('int8', [output()]),
      variant('fp16', [broken]),
      variant('q4', [output({ cosine: 0.9, sqnrDb: 9 })], 'random'),
    ];
    expect(isUnusable(variants[1]!)).toBe(true);
    expect(defaultCompareVariantIds(variants)).toEqual(['int8', 'q4']);
  });

  it('shows broken, identical and all-zero outputs for what they are', () => {
    expect(formatOutputSqnr(broken)).toBe('—');
    expect(formatOutputSqnr(output({ identical: true, sqnrDb: null, maxAbsDiff: 0 }))).toBe('identical');
    expect(formatOutputSqnr(output({ zeroReference: true, sqnrDb: null }))).toBe('no signal');
    expect(formatOutputSqnr(output({ sqnrDb: 38.234 }))).toBe('38.2 dB');
    expect(formatAbsDiff(Infinity)).toBe('∞');
    // Over JSON (the browser host) an infinite difference arrives as null.
    expect(formatAbsDiff(null as unknown as number)).toBe('∞');
    expect(formatAbsDiff(NaN)).toBe('—');
    // The same NaN in both models is counted but not broken.
    expect(outputTone({ sqnrDb: null, nanCount: 3, infCount: 0, broken: false })).toBe('ok');
    expect(outputTone({ sqnrDb: 50, nanCount: 3, infCount: 0 })).toBe('danger');
  });
});
