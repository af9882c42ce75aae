import { describe, expect, it } from 'vitest';
import type { SymbolicDim } from '../../../../../src/shared/domain/model';
import { draftChanged, draftFromDims, parseDimsDraft } from '../../../../../src/renderer/lib/logic/model-dims';
import { chartRows, dtypeRows, histogramRows, macsRows, opsetLabel, shapeParts } from '../../../../../src/renderer/lib/logic/model-summary';

const dims: SymbolicDim[] = [
  { name: 'batch', value: 1, source: 'batch-default' },
  { name: 'sequence', value: null, source: 'unset' },
];

describe('dims form', () => {
  it('starts from the values the model was counted with; unset stays empty', () => {
    expect(draftFromDims(dims)).toEqual({ batch: '1', sequence: '' });
  });

  it('sends only filled fields, as integers', () => {
    expect(parseDimsDraft({ batch: ' 4 ', sequence: '' })).toEqual({ ok: true, dims: { batch: 4 } });
  });

  it('names every field that is not a whole number of 1 or more', () => {
    const parsed = parseDimsDraft({ batch: '0', sequence: '1.5', width: 'abc', height: '-2', ok: '7' });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(Object.keys(parsed.errors).sort()).toEqual(['batch', 'height', 'sequence', 'width']);
  });

  it('knows when the form differs from the shown counts', () => {
    expect(draftChanged({ batch: '1', sequence: '' }, dims)).toBe(false);
    expect(draftChanged({ batch: '1 ', sequence: '' }, dims)).toBe(false);
    expect(draftChanged({ batch: '1', sequence: '128' }, dims)).toBe(true);
  });
});

describe('model summary', () => {
  it('orders operators by count, then name', () => {
    expect(histogramRows({ Relu: 3, Add: 3, Conv: 5 }).map((row) => row.op)).toEqual(['Conv', 'Add', 'Relu']);
  });

  it('folds the tail of the histogram into one bar that keeps the total', () => {
    const rows = histogramRows({ A: 9, B: 8, C: 7, D: 1, E: 1 });
    const chart = chartRows(rows, 3);
    expect(chart.map((row) => row.op)).toEqual(['A', 'B', '3 other op types']);
    expect(chart.reduce((sum, row) => sum + row.count, 0)).toBe(26);
    expect(chartRows(rows, 5)).toHaveLength(5);
  });

  it('gives each operator its share of the counted MACs and drops zero rows', () => {
    const rows = macsRows({ MatMul: 300, Add: 100, Reshape: 0 });
    expect(rows).toEqual([
      { op: 'MatMul', macs: 300, share: 0.75 },
      { op: 'Add', macs: 100, share: 0.25 },
    ]);
  });

  it('splits shapes into fixed, named and unnamed dimensions', () => {
    expect(shapeParts({ name: 'x', type: 'float32', shape: ['batch', 3, '?'] })).toEqual([
      { kind: 'symbolic', name: 'batch' },
      { kind: 'fixed', value: 3 },
      { kind: 'unknown' },
    ]);
    expect(shapeParts({ name: 'x', type: 'float32', shape: null })).toBeNull();
  });

  it('lists the default opset first', () => {
    expect(
      opsetLabel({
        opsets: [
          { domain: 'com.microsoft', version: 1 },
          { domain: 'ai.onnx', version: 17 },
        ],
      }),
    ).toBe('ai.onnx 17, com.microsoft 1');
  });

  it('sorts weight types by bytes with their share', () => {
    const rows = dtypeRows({ total: 10, bytes: 40, byDtype: { int8: { count: 2, bytes: 8 }, float32: { count: 8, bytes: 32 } } });
    expect(rows.map((row) => [row.dtype, row.share])).toEqual([
      ['float32', 0.8],
      ['int8', 0.2],
    ]);
  });
});
