/**
 * The report says what the app says: a batch that needs a batching delay is "not eligible" with
 * the Decide view's note, never "fails"; a time ratio that reads against the items/s ratio beside
 * it carries the reason; chart tags never land on one another. No browser needed.
 */
import { describe, expect, test } from 'vitest';
import { renderReportHtml } from '../../../../src/core/report';
import { lineChart } from '../../../../src/core/report/charts';
import { esc, textBox } from '../../../../src/core/report/svg';
import { adviseDeployment, compareRuns } from '../../../../src/shared/advice';
import { NOT_ELIGIBLE_NOTE, ROW_STATUS_LABEL, capacityText, rowRequirementStatus } from '../../../../src/shared/advice/row-status';
import { fixtureRun } from '../../shared/advice/helpers';

const requirement = { latency: { percentile: 'p95', ms: 20 }, throughputRps: 200, maxBatchDelayMs: 0 } as const;

describe('the report in the app’s words', () => {
  const runs = [fixtureRun('gpu-server')];
  const verdict = adviseDeployment(runs, requirement);
  const html = renderReportHtml({ runs, verdict, generatedAt: '2026-11-21T10:00:00Z' });

  test('a batch-8 setup without a batching delay is not eligible, with the Decide view’s note, never "fails"', () => {
    const ineligible = verdict.rows.filter((r) => !r.eligible);
    expect(ineligible.map((r) => r.batch)).toEqual([8]);
    expect(rowRequirementStatus(ineligible[0]!)).toBe('not-eligible');
    expect(capacityText(ineligible[0]!).note).toBe(NOT_ELIGIBLE_NOTE);
    const table = /<table class="setups">.*?<\/table>/s.exec(html)?.[0] ?? '';
    const rows = table.split('<tr>').slice(2);
    expect(rows).toHaveLength(verdict.rows.length);
    const batch8 = rows.filter((r) => r.includes('batch 8'));
    expect(batch8).toHaveLength(1);
    expect(batch8[0]).toContain(`<td class="st-not-eligible">${ROW_STATUS_LABEL['not-eligible']}</td>`);
    expect(batch8[0]).toContain(NOT_ELIGIBLE_NOTE);
    expect(batch8[0]).not.toMatch(/>fails</);
    // The results table says the same of each of its levels.
    expect(html).toMatch(/<td class="st-not-eligible">not eligible<\/td><\/tr>/);
    // And what each status word means is printed under the table: paper has no tooltips.
    expect(html).toContain('<b>not eligible</b>: Batch &gt; 1 needs a batching delay: allow one to consider this setup.');
  });

  test('a time ratio that reads against the items/s ratio beside it carries the reason', () => {
    const entries = compareRuns(runs).flatMap((c) => c.entries);
    const noted = entries.filter((e) => e.throughputNote);
    expect(noted.length).toBeGreaterThan(0);
    for (const e of noted) expect(html).toContain(esc(e.throughputNote!));
    expect(html).toContain('<th>Time per request vs baseline</th>');
    expect(html).toContain('<th>Items/s vs baseline</th>');
  });
});

describe('chart labels', () => {
  test('tags of points close together are placed apart or left out, never on one another', () => {
    const svg = lineChart(
      [
        { label: 'a', points: [1, 2, 3].map((i) => ({ x: 100 + i * 0.01, y: 10 + i * 0.01, tag: `c${i}` })) },
        { label: 'b', points: [1, 2].map((i) => ({ x: 100 + i * 0.02, y: 10, tag: `b${i}` })) },
      ],
      { title: 't', xLabel: 'x', yLabel: 'y', formatX: String, formatY: String },
    );
    const tags = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)"(?: text-anchor="(start|end)")? fill="[^"]+">([cb]\d)<\/text>/g)].map(
      (m) => textBox(m[4]!, Number(m[1]), Number(m[2]), (m[3] as 'start' | 'end' | undefined) ?? 'start'),
    );
    expect(tags.length).toBeGreaterThanOrEqual(2);
    for (const [i, a] of tags.entries())
      for (const b of tags.slice(i + 1)) expect(a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1).toBe(false);
  });
});
