import { describe, expect, it } from 'vitest';
import { bestAttempt, cosineIsGood, excludable, planNextExclude, type ExcludeAttempt } from '../../../../src/core/quantize/auto-exclude';
import type { LayerQuality, OutputQuality } from '../../../../src/shared/domain/quantize';

function output(cosine: number, sqnrDb: number, nonFinite = 0): OutputQuality {
  return {
    name: 'y',
    elements: 1000,
    maxAbsDiff: nonFinite > 0 ? Infinity : 0.1,
    meanAbsDiff: 0.01,
    sqnrDb: nonFinite > 0 ? null : sqnrDb,
    cosine,
    nanCount: nonFinite,
    infCount: 0,
    broken: nonFinite > 0,
  };
}

function layer(node: string, sqnrDb: number, quantized = true, nonFinite = 0): LayerQuality {
  return { node, opType: 'Conv', output: `${node}_out`, sqnrDb, maxAbsDiff: 1, cosine: 0.9, nonFinite, quantized };
}

/** Worst first, as the per-layer report lists them. */
const LAYERS = [
  layer('head', 6),
  layer('softmax', 7, false),
  layer('block3', 9),
  layer('block2', 12),
  layer('block1', 20),
  layer('stem', 31),
];

function attempt(exclude: string[], quality: OutputQuality, layers: LayerQuality[] = LAYERS, source = 'held-out') {
  const result: ExcludeAttempt = { exclude, report: { quality: [quality], layers }, source };
  return result;
}

describe('auto-exclude planner', () => {
  it('starts with nothing excluded, then adds the worst changed layers a few at a time', () => {
    expect(planNextExclude([])).toEqual({ done: false, exclude: [], added: [], reason: 'first attempt: nothing excluded' });
    const first = attempt([], output(0.9, 12));
    // The Softmax was not changed by the transformation: excluding it would change nothing.
    expect(planNextExclude([first])).toMatchObject({
      done: false,
      exclude: ['head', 'block3', 'block2'],
      added: ['head', 'block3', 'block2'],
    });
    const second = attempt(['head', 'block3', 'block2'], output(0.99, 22));
    expect(planNextExclude([first, second], { step: 2 })).toMatchObject({
      done: false,
      exclude: ['head', 'block3', 'block2', 'block1', 'stem'],
      added: ['block1', 'stem'],
    });
  });

  it('puts layers that turned non-finite before all others', () => {
    const layers = [layer('a', 3), layer('b', 5), layer('c', 40, true, 12)];
    expect(excludable(attempt([], output(0.5, 3), layers)).map((l) => l.node)).toEqual(['c', 'a', 'b']);
  });

  it('stops when the variant is good, keeping that attempt', () => {
    const attempts = [attempt([], output(0.95, 15)), attempt(['head'], output(0.9999, 38))];
    expect(planNextExclude(attempts)).toEqual({ done: true, stop: 'good', best: 1, reason: 'attempt 2 is good enough' });
  });

  it('judges random-input figures by what they would be (the stored verdict is capped at unverified)', () => {
    expect(planNextExclude([attempt([], output(0.9999, 38), LAYERS, 'random')])).toMatchObject({ done: true, stop: 'good' });
  });

  it('takes a criterion the caller swaps in', () => {
    const fine = attempt([], output(0.9995, 25));
    // SQNR 25 dB is degraded by the verdict, but cosine 0.9995 and finite passes the plain criterion.
    expect(planNextExclude([fine])).toMatchObject({ done: false });
    expect(planNextExclude([fine], { goodEnough: cosineIsGood })).toMatchObject({ done: true, stop: 'good' });
  });

  it('stops when nothing is left to exclude, keeping the best attempt so far', () => {
    const all = LAYERS.filter((l) => l.quantized).map((l) => l.node);
    const attempts = [attempt([], output(0.9, 10)), attempt(['head'], output(0.97, 18)), attempt(all, output(0.96, 17))];
    expect(planNextExclude(attempts)).toMatchObject({ done: true, stop: 'nothing-left', best: 1 });
  });

  it('stops after the most attempts allowed', () => {
    const attempts = [attempt([], output(0.9, 10)), attempt(['head'], output(0.95, 14)), attempt(['head', 'block3'], output(0.93, 12))];
    expect(planNextExclude(attempts, { maxAttempts: 3 })).toEqual({
      done: true,
      stop: 'attempts',
      best: 1,
      reason: '3 attempts made; keeping attempt 2',
    });
  });

  it('stops when there are no per-layer figures to choose from', () => {
    const unmeasured: ExcludeAttempt = { exclude: [], report: { quality: [output(0.9, 10)] }, source: 'held-out' };
    expect(planNextExclude([unmeasured])).toMatchObject({ done: true, stop: 'no-figures', best: 0 });
  });

  it('prefers finite outputs, then the higher worst cosine, then fewer exclusions', () => {
    const broken = attempt([], output(0.999, 40, 3));
    const a = attempt(['x'], output(0.95, 14));
    const b = attempt(['x', 'y'], output(0.95, 14));
    expect(bestAttempt([broken, b, a])).toBe(2);
    expect(bestAttempt([a, attempt(['x', 'y'], output(0.97, 16))])).toBe(1);
  });
});
