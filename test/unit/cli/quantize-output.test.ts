/** `inferscope quantize` output: the verdict first, broken figures as such, and what --fail-on fails on. */
import { describe, expect, it } from 'vitest';
import { failOnMessage, jsonReport, printQuantizeSummary, qualityTable, verdictLine } from '../../../src/cli/quantize';
import { cliWords } from '../../../src/cli/words';
import type { OutputQuality } from '../../../src/shared/domain/quantize';
import { withVerdicts } from '../../../src/shared/domain/quality-verdict';
import type { Variant } from '../../../src/shared/domain/variant';

function output(changes: Partial<OutputQuality> = {}): OutputQuality {
  return {
    name: 'y',
    elements: 1856,
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

const broken = output({
  name: 'boxes',
  broken: true,
  nanCount: 1844,
  infCount: 12,
  sqnrDb: null,
  cosine: -1,
  maxAbsDiff: Infinity,
  meanAbsDiff: Infinity,
});

function variant(quality: OutputQuality[], source: 'random' | 'held-out', verdicts = true): Variant {
  const report = {
    mode: 'fp16' as const,
    sizeBytes: { before: 4000, after: 2000 },
    nodesQuantized: 5,
    settings: {},
    skipped: [],
    quality,
    warnings: [],
  };
  const from = { node: 'Conv_17', opType: 'Conv', nanCount: 0, infCount: 40 };
  return {
    id: 'fp16-abc',
    mode: 'fp16',
    label: 'fp16',
    path: '/data/variants/fp16-abc/model.onnx',
    sizeBytes: 2000,
    createdAt: '2025-01-01T00:00:00.000Z',
    source: { path: '/models/det.onnx', name: 'det.onnx', sha256: 'f'.repeat(64), sizeBytes: 4000 },
    options: { mode: 'fp16' },
    report: verdicts ? withVerdicts(report, { source, nonFiniteFrom: from }) : report,
    calibration: { kind: 'none', samples: 0, note: 'fp16 needs no calibration' },
    evaluation: { samples: 8, source },
    durationMs: 1200,
  };
}

describe('quantize output', () => {
  it('prints the verdict as the first line, with where NaN starts', () => {
    const v = variant([output({ name: 'scores' }), broken], 'random');
    expect(verdictLine(v)).toBe(
      'Verdict: UNUSABLE — output boxes: 1844 NaN, 12 Inf where the original is finite (first at node Conv_17, Conv)',
    );
    expect(printQuantizeSummary(v, null).split('\n')[0]).toBe(verdictLine(v));
    const capped = variant([output({ cosine: 0.985, sqnrDb: 24.1 })], 'random');
    expect(verdictLine(capped)).toMatch(
      /^Verdict: UNVERIFIED — random inputs; would be degraded: output y: SQNR 24\.1 dB, cosine 0\.985\. /,
    );
    expect(verdictLine(capped)).toContain('give evaluation data (“Evaluation data”)');
    expect(cliWords(verdictLine(capped))).toContain(
      'give evaluation data (--calibration DIR, --calibration-images DIR or --calibration-audio DIR',
    );
  });

  it('shows a broken output’s SQNR and cosine as —, its differences as infinite, and each output’s verdict', () => {
    const table = qualityTable(
      variant([broken, output({ identical: true, sqnrDb: null, maxAbsDiff: 0, cosine: 1 })], 'held-out').report.quality,
    );
    expect(table.headers).toEqual(['output', 'verdict', 'max |Δ|', 'mean |Δ|', 'SQNR', 'cosine', 'top-1', 'NaN / Inf']);
    expect(table.rows[0]).toEqual(['boxes', 'unusable', '∞', '∞', '—', '—', '—', '1844 / 12']);
    expect(table.rows[1]).toEqual(['y', 'good', '0', '0.001', 'identical', '1.00000', '—', '0 / 0']);
    const zero = qualityTable([output({ zeroReference: true, sqnrDb: null, cosine: 0 })]);
    expect(zero.headers).not.toContain('verdict');
    expect(zero.rows[0]?.[3]).toBe('no signal');
  });

  it('--fail-on fails on that verdict or worse; unverified only when asked', () => {
    const unusable = variant([broken], 'held-out');
    expect(failOnMessage(unusable, 'unusable')).toBe(
      "inferscope: the variant's quality verdict is unusable (--fail-on unusable): output boxes: 1844 NaN, 12 Inf where the original " +
        'is finite (first at node Conv_17, Conv)',
    );
    expect(failOnMessage(unusable, 'degraded')).not.toBeNull();
    expect(failOnMessage(unusable, undefined)).toBeNull();
    const degraded = variant([output({ cosine: 0.985, sqnrDb: 22 })], 'held-out');
    expect(failOnMessage(degraded, 'unusable')).toBeNull();
    expect(failOnMessage(degraded, 'degraded')).toContain('verdict is degraded');
    const random = variant([output({ cosine: 0.5, sqnrDb: 3 })], 'random');
    expect(failOnMessage(random, 'unusable')).toBeNull();
    expect(failOnMessage(random, 'degraded')).toBeNull();
    expect(failOnMessage(random, 'unverified')).toContain('verdict is unverified');
  });

  it('--json puts the verdict first, and per output', () => {
    const json = jsonReport(variant([output({ name: 'scores' }), broken], 'held-out'), null);
    expect(Object.keys(json).slice(0, 3)).toEqual(['verdict', 'verdictReason', 'mode']);
    expect(json.verdict).toBe('unusable');
    expect(json.nonFiniteFrom).toEqual({ node: 'Conv_17', opType: 'Conv', nanCount: 0, infCount: 40 });
    expect(json.quality.map((q) => q.verdict)).toEqual(['good', 'unusable']);
    const text = JSON.parse(JSON.stringify(json)) as { quality: { maxAbsDiff: number | null }[] };
    expect(text.quality[1]?.maxAbsDiff).toBeNull();
  });

  it('a variant made before verdicts gets one computed for its report', () => {
    const old = variant([output({ cosine: 0.4, sqnrDb: 2 })], 'held-out', false);
    expect(old.report.verdict).toBeUndefined();
    expect(jsonReport(old, null)).toMatchObject({ verdict: 'unusable', verdictReason: 'output y: SQNR 2.0 dB, cosine 0.400' });
    expect(verdictLine(old)).toBe('Verdict: UNUSABLE — output y: SQNR 2.0 dB, cosine 0.400');
  });
});
