import { describe, expect, test } from 'vitest';
import { adviseDeployment } from '../../../../src/shared/advice';
import { CSV_COLUMNS, csvField, runsToCsv } from '../../../../src/core/report/csv';
import { fixtureRun, parseCsv } from '../../shared/advice/helpers';

describe('CSV', () => {
  test('fields are quoted per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(0.1 + 0.2)).toBe('0.3');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(true)).toBe('true');
  });

  test("one row per configuration, with the verdict's reading of each", () => {
    const run = fixtureRun('cpu-only');
    // A warning with a comma, quotes and a line break must survive the round trip.
    run.configs[0]!.warnings = ['Other processes used 73 % of the CPU, "noisy"\nrerun'];
    const verdict = adviseDeployment([run], { latency: { percentile: 'p95', ms: 50 }, throughputRps: 200 });
    const text = runsToCsv([run], verdict);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(run.configs.length + 1);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const first = rows[1]!;
    expect(first[col('warnings')]).toBe('Other processes used 73 % of the CPU, "noisy"\nrerun');
    expect(Number(first[col('median_ms')])).toBeCloseTo(run.configs[0]!.latencyMs!.median, 4);
    expect(first[col('variant')]).toBe('fp32 (as given)');
    expect(first[col('meets_target')]).toBe('meets');
    // cpu/b1/t2/c1 alone serves ≈ 124 req/s: two $0.10/h machines for 200 req/s.
    expect(Number(first[col('items_per_s')])).toBeLessThan(200);
    expect(Number(first[col('cost_per_million_usd')])).toBeCloseTo(((2 * 0.1) / (200 * 3600)) * 1e6, 5);
    const batch4 = rows.find((r) => r[col('batch')] === '4')!;
    expect(batch4[col('meets_target')]).toBe('not eligible (batching)');
    expect(batch4[col('cost_per_million_usd')]).toBe('');
    // Without a verdict the verdict columns are empty.
    const plain = parseCsv(runsToCsv([run]));
    expect(plain[1]![col('meets_target')]).toBe('');
  });
});
