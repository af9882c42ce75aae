/** The verdict on a variant's quality: each kind of output, each threshold's edge, and the cap on random inputs. */
import { describe, expect, it } from 'vitest';
import {
  CLASS_COSINE,
  CLASS_TOP1,
  judgeOutput,
  judgeQuality,
  listedVariantVerdict,
  OUTPUT_COSINE,
  OUTPUT_SQNR_DB,
  outputVerdict,
  REAL_DATA_HINT,
  reasonDetail,
  variantVerdict,
  VERDICT_TONE,
  verdictFails,
  verdictLabel,
  withVerdicts,
  type JudgedQuality,
} from '../../../../src/shared/domain/quality-verdict';
import { QuantizeReportSchema, type OutputQuality, type QuantizeReport } from '../../../../src/shared/domain/quantize';

function output(changes: Partial<OutputQuality> = {}): OutputQuality {
  return {
    name: 'y',
    elements: 100,
    maxAbsDiff: 0.01,
    meanAbsDiff: 0.001,
    sqnrDb: 40,
    cosine: 0.99995,
    nanCount: 0,
    infCount: 0,
    broken: false,
    identical: false,
    ...changes,
  };
}

function scores(top1Agreement: number, cosine: number, rows = 100): OutputQuality {
  return output({ name: 'logits', top1Agreement, top5Overlap: 1, rows, cosine, sqnrDb: 25 });
}

const verdictOf = (q: JudgedQuality) => judgeOutput(q).verdict;

function report(quality: OutputQuality[]): QuantizeReport {
  return {
    mode: 'fp16',
    sizeBytes: { before: 100, after: 50 },
    nodesQuantized: 3,
    settings: {},
    skipped: [],
    quality,
    warnings: [],
  };
}

describe('output verdicts', () => {
  it('maps, embeddings, regression and state outputs: cosine and SQNR at each edge', () => {
    expect(verdictOf(output({ cosine: OUTPUT_COSINE.good, sqnrDb: OUTPUT_SQNR_DB.good }))).toBe('good');
    expect(verdictOf(output({ cosine: 0.99899, sqnrDb: 45 }))).toBe('degraded');
    expect(verdictOf(output({ cosine: 0.9999, sqnrDb: 29.99 }))).toBe('degraded');
    expect(verdictOf(output({ cosine: OUTPUT_COSINE.degraded, sqnrDb: 5 }))).toBe('degraded');
    expect(verdictOf(output({ cosine: 0.97, sqnrDb: OUTPUT_SQNR_DB.degraded }))).toBe('degraded');
    expect(verdictOf(output({ cosine: 0.97999, sqnrDb: 19.99 }))).toBe('unusable');
    // The recurrent state and the detector of real models.
    expect(verdictOf(output({ name: 'state', cosine: 0.49, sqnrDb: 1.2 }))).toBe('unusable');
    expect(verdictOf(output({ name: 'boxes', cosine: 0.003, sqnrDb: -3 }))).toBe('unusable');
    expect(judgeOutput(output({ cosine: 0.9712, sqnrDb: 12.04 })).reason).toBe('output y: SQNR 12.0 dB, cosine 0.971');
  });

  it('class scores: top-1 agreement together with cosine, at each edge', () => {
    expect(verdictOf(scores(CLASS_TOP1.good, CLASS_COSINE.good))).toBe('good');
    expect(verdictOf(scores(0.98, 0.999))).toBe('degraded');
    expect(verdictOf(scores(CLASS_TOP1.degraded, 0.999))).toBe('degraded');
    expect(verdictOf(scores(0.89, 0.999))).toBe('unusable');
    // Cosine alone can pull it down while the arg-max holds.
    expect(verdictOf(scores(1, 0.98999))).toBe('degraded');
    expect(verdictOf(scores(1, CLASS_COSINE.degraded))).toBe('degraded');
    expect(verdictOf(scores(1, 0.89))).toBe('unusable');
    expect(judgeOutput(scores(0.95, 0.99712)).reason).toBe('output logits: top-1 agreement 95.0 % (95 of 100 rows), cosine 0.99712');
  });

  it('one flipped row of a few is at worst degraded; two are not excused', () => {
    expect(verdictOf(scores(7 / 8, 0.999, 8))).toBe('degraded');
    expect(verdictOf(scores(6 / 8, 0.999, 8))).toBe('unusable');
    // Without the row count (reports made before it was kept) the share decides.
    expect(verdictOf({ ...scores(7 / 8, 0.999), rows: undefined })).toBe('unusable');
  });

  it('broken, identical, all-zero original and nothing compared', () => {
    const broken = output({ broken: true, nanCount: 1844, infCount: 12, maxAbsDiff: Infinity, sqnrDb: null, cosine: -1 });
    expect(judgeOutput(broken)).toEqual({
      name: 'y',
      verdict: 'unusable',
      reason: 'output y: 1844 NaN, 12 Inf where the original is finite',
    });
    expect(verdictOf(output({ identical: true, sqnrDb: null, maxAbsDiff: 0, cosine: 1 }))).toBe('good');
    const zero = judgeOutput(output({ zeroReference: true, sqnrDb: null, cosine: 0 }));
    expect(zero.verdict).toBe('unverified');
    expect(zero.reason).toContain('all zero');
    expect(verdictOf(output({ elements: 0 }))).toBe('unverified');
    // Same NaN on both sides: counted, not broken.
    expect(verdictOf(output({ nanCount: 3, broken: false, identical: true, sqnrDb: null, maxAbsDiff: 0 }))).toBe('good');
  });

  it('reports made before the flags: NaN/Inf read as broken, null SQNR with no difference as identical', () => {
    const old = { name: 'y', elements: 10, maxAbsDiff: 0, meanAbsDiff: 0, sqnrDb: null, cosine: 1, nanCount: 0, infCount: 0 };
    expect(verdictOf(old)).toBe('good');
    expect(verdictOf({ ...old, nanCount: 2, cosine: 1 })).toBe('unusable');
    expect(verdictOf({ ...old, maxAbsDiff: 0.3, cosine: 0 })).toBe('unverified');
  });
});

describe('variant verdicts', () => {
  it('is its worst output’s, every output counting, and names it', () => {
    const j = judgeQuality([output({ name: 'logits' }), output({ name: 'state', cosine: 0.49, sqnrDb: 1.2 })], { source: 'held-out' });
    expect(j).toMatchObject({ verdict: 'unusable', wouldBe: null, output: 'state' });
    expect(j.reason).toBe('output state: SQNR 1.2 dB, cosine 0.490');
    const two = judgeQuality([output({ name: 'a', cosine: 0.99, sqnrDb: 21 }), output({ name: 'b', cosine: 0.985, sqnrDb: 20.5 })], {
      source: 'held-out',
    });
    expect(two.reason).toBe('output b: SQNR 20.5 dB, cosine 0.985; 1 more output degraded');
    const good = judgeQuality([output({ name: 'a', sqnrDb: 50 }), output({ name: 'b', sqnrDb: 35, cosine: 0.9999 })], {
      source: 'held-out',
    });
    expect(good).toMatchObject({ verdict: 'good', output: 'b' });
    expect(good.reason).toBe('every output good; furthest from the original, output b: SQNR 35.0 dB, cosine 0.99990');
  });

  it('no evaluation at all is unverified', () => {
    expect(judgeQuality([], { source: 'held-out' })).toMatchObject({ verdict: 'unverified', output: null });
  });

  it('random inputs cap it at unverified and say what the figures alone would give', () => {
    const j = judgeQuality([output({ cosine: 0.985, sqnrDb: 24.1 })], { source: 'random' });
    expect(j).toMatchObject({ verdict: 'unverified', wouldBe: 'degraded' });
    expect(verdictLabel(j)).toBe('unverified (random inputs; would be degraded)');
    expect(j.reason).toBe(`random inputs; would be degraded: output y: SQNR 24.1 dB, cosine 0.985. ${REAL_DATA_HINT}`);
    expect(REAL_DATA_HINT).toContain('give evaluation data (“Evaluation data”)');
    expect(judgeQuality([output()], { source: 'random' })).toMatchObject({ verdict: 'unverified', wouldBe: 'good' });
    expect(judgeQuality([output({ cosine: 0.003, sqnrDb: -3 })], { source: 'random' })).toMatchObject({
      verdict: 'unverified',
      wouldBe: 'unusable',
    });
    // Other sources of real data are not capped.
    expect(judgeQuality([output()], { source: 'user' }).verdict).toBe('good');
    expect(verdictLabel({ verdict: 'good', wouldBe: null })).toBe('good');
    expect(reasonDetail(j)).toBe(`output y: SQNR 24.1 dB, cosine 0.985. ${REAL_DATA_HINT}`);
    const same = output({ identical: true, sqnrDb: null, maxAbsDiff: 0, cosine: 1 });
    expect(judgeQuality([same, { ...same, name: 'z' }], { source: 'held-out' }).reason).toBe('every output identical to the original');
  });

  it('a broken output is unusable even on random inputs, and the reason says where NaN starts', () => {
    const broken = output({ name: 'boxes', broken: true, nanCount: 1844, infCount: 12, sqnrDb: null, maxAbsDiff: Infinity, cosine: -1 });
    const j = judgeQuality([output({ name: 'scores' }), broken], {
      source: 'random',
      nonFiniteFrom: { node: 'Conv_17', opType: 'Conv', nanCount: 0, infCount: 40 },
    });
    expect(j).toMatchObject({ verdict: 'unusable', wouldBe: null, output: 'boxes' });
    expect(j.reason).toBe('output boxes: 1844 NaN, 12 Inf where the original is finite (first at node Conv_17, Conv)');
    expect(outputVerdict(broken, 'random')).toBe('unusable');
    expect(outputVerdict(output(), 'random')).toBe('unverified');
    expect(outputVerdict(output(), 'held-out')).toBe('good');
  });

  it('orders the verdicts for --fail-on, unverified passing degraded and unusable', () => {
    expect(verdictFails('unusable', 'unusable')).toBe(true);
    expect(verdictFails('degraded', 'unusable')).toBe(false);
    expect(verdictFails('degraded', 'degraded')).toBe(true);
    expect(verdictFails('unverified', 'degraded')).toBe(false);
    expect(verdictFails('unverified', 'unverified')).toBe(true);
    expect(verdictFails('good', 'unverified')).toBe(false);
    expect(VERDICT_TONE).toEqual({ good: 'ok', degraded: 'warn', unusable: 'danger', unverified: 'neutral' });
  });
});

describe('verdicts in reports', () => {
  it('withVerdicts sets each output’s, the variant’s and where NaN starts, and the report still parses', () => {
    const broken = output({ name: 'boxes', broken: true, nanCount: 5, sqnrDb: null, maxAbsDiff: Infinity, cosine: -1 });
    const from = { node: 'square', opType: 'Mul', nanCount: 0, infCount: 3 };
    const made = withVerdicts(report([output({ name: 'scores' }), broken]), { source: 'held-out', nonFiniteFrom: from });
    expect(made.quality.map((q) => q.verdict)).toEqual(['good', 'unusable']);
    expect(made).toMatchObject({ verdict: 'unusable', nonFiniteFrom: from });
    expect(made.verdictReason).toContain('first at node square, Mul');
    const parsed = QuantizeReportSchema.parse(JSON.parse(JSON.stringify(made)));
    expect(parsed.quality[1]?.maxAbsDiff).toBe(Infinity);
    expect(parsed.verdict).toBe('unusable');
    // Measured but nothing broken: null; not measured: absent.
    expect(withVerdicts(report([output()]), { source: 'held-out', nonFiniteFrom: from }).nonFiniteFrom).toBeNull();
    expect('nonFiniteFrom' in withVerdicts(report([output()]), { source: 'held-out' })).toBe(false);
  });

  it('a variant stored before verdicts gets one on read; a stored one is kept', () => {
    const old = { report: report([output({ cosine: 0.985, sqnrDb: 24 })]), evaluation: { source: 'random' as const } };
    expect(variantVerdict(old)).toMatchObject({ verdict: 'unverified', wouldBe: 'degraded' });
    const stored = { ...old, report: { ...old.report, verdict: 'unverified' as const, verdictReason: 'as made' } };
    expect(variantVerdict(stored)).toMatchObject({ verdict: 'unverified', reason: 'as made', wouldBe: 'degraded' });
    const held = { report: report([output({ cosine: 0.5, sqnrDb: 2 })]), evaluation: { source: 'held-out' as const } };
    expect(variantVerdict(held).verdict).toBe('unusable');
  });

  it('a variant in a run document: its own verdict, else one read from the figures', () => {
    expect(listedVariantVerdict({ quality: [] })).toBeNull();
    expect(listedVariantVerdict({ quality: [output({ cosine: 0.5, sqnrDb: 2 })] })).toMatchObject({
      verdict: 'unusable',
      fromFigures: true,
    });
    expect(listedVariantVerdict({ quality: [output()], verdict: 'unverified', verdictReason: 'random' })).toEqual({
      verdict: 'unverified',
      reason: 'random',
      fromFigures: false,
    });
  });
});
