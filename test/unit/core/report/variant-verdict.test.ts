/** The report's variant table puts each variant's quality verdict first. */
import { describe, expect, test } from 'vitest';
import { modelSection, type SectionContext } from '../../../../src/core/report/sections';
import type { RunDocument } from '../../../../src/shared/domain/run';
import { fixtureRun } from '../../shared/advice/helpers';

function section(run: RunDocument): string {
  const ctx: SectionContext = { runs: [run], labels: ['run'], chartLabels: [], verdict: null, variantQuality: null };
  return modelSection(ctx);
}

function cells(html: string, label: string): string[] {
  const row = html.split('<tr>').find((r) => r.startsWith(`<td>${label}</td>`)) ?? '';
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1] ?? '');
}

describe('variants in the report', () => {
  test('each variant’s verdict comes before its figures', () => {
    const run = fixtureRun('variants');
    const html = section(run);
    expect(cells(html, 'fp16').at(-1)).toMatch(/^Good \(by its figures\) — top-1 agreement 100\.0 %, SQNR 68\.2 dB/);
    // 98.4 % top-1 agreement is below the 99 % a good classifier variant keeps.
    expect(cells(html, 'int8 dynamic (per-channel)').at(-1)).toMatch(
      /^Degraded \(by its figures\) — output logits: top-1 agreement 98\.4 %/,
    );
    expect(cells(html, 'fp32 (as given)').at(-1)).toBe('reference');
  });

  test('a broken variant reads unusable, with its NaN count', () => {
    const run = fixtureRun('variants');
    const broken: RunDocument = {
      ...run,
      variants: run.variants.map((v) =>
        v.id.startsWith('fp16') ? { ...v, quality: v.quality.map((q) => ({ ...q, nanCount: 1844, infCount: 12 })) } : v,
      ),
    };
    expect(cells(section(broken), 'fp16').at(-1)).toMatch(
      /^Unusable \(by its figures\) — output logits: 1844 NaN, 12 Inf where the original/,
    );
  });

  test('a verdict the run carries is used as it is', () => {
    const run = fixtureRun('variants');
    const carried = {
      ...run,
      variants: run.variants.map((v) =>
        v.id.startsWith('fp16') ? { ...v, verdict: 'unverified', verdictReason: 'random inputs; would be good' } : v,
      ),
    } as RunDocument;
    expect(cells(section(carried), 'fp16').at(-1)).toMatch(/^Unverified — random inputs; would be good; top-1 agreement/);
  });
});
