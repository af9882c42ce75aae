import { describe, expect, it } from 'vitest';
import { compareConfigurations } from '../../../../../src/shared/advice';
import type { RunDocument } from '../../../../../src/shared/domain/run';
import {
  compareMode,
  configChoices,
  entryLines,
  existingItems,
  itemKey,
  itemTestId,
  makeBaseline,
  medianBars,
  readEntry,
  readingText,
  readiness,
  toggleItem,
} from '../../../../../src/renderer/lib/logic/compare-items';
import { measuredRun } from './decide-fixtures';

const runA = { runId: 'a' };
const runB = { runId: 'b' };
const configA = { runId: 'a', configId: 'cpu/b1/t0/c1' };
const configB = { runId: 'b', configId: 'cpu/b2/t0/c1' };

function run(id: string, medianMs: number, extra: { seed: number; n?: number; status?: 'failed' } = { seed: 1 }): RunDocument {
  return measuredRun(id, 'resnet-mini', [{ ep: 'cpu', medianMs, ...extra }]);
}

describe('picking what to compare', () => {
  it('keeps ticking order, the first being the baseline, and can promote another', () => {
    let items = toggleItem([], configA, true);
    items = toggleItem(items, configB, true);
    items = toggleItem(items, runA, true);
    expect(items.map(itemKey)).toEqual(['a#cpu/b1/t0/c1', 'b#cpu/b2/t0/c1', 'a']);
    items = toggleItem(items, runA, false);
    expect(items).toEqual([configA, configB]);
    // Ticking again moves nothing twice.
    expect(toggleItem(items, configB, true)).toEqual([configA, configB]);
    expect(makeBaseline(items, configB)).toEqual([configB, configA]);
    expect(makeBaseline(items, runB)).toEqual(items);
  });

  it('compares whole runs or single configurations, never both', () => {
    expect(readiness([]).ok).toBe(false);
    expect(readiness([runA])).toEqual({ ok: false, reason: expect.stringContaining('one more') });
    expect(readiness([runA, runB])).toEqual({ ok: true });
    expect(readiness([configA, configB])).toEqual({ ok: true });
    expect(compareMode([runA, configB])).toBe('mixed');
    expect(readiness([runA, configB])).toEqual({ ok: false, reason: expect.stringContaining('not both') });
  });

  it('makes test ids without "/" and drops picks of deleted runs', () => {
    expect(itemTestId(configA)).toBe('compare-item-a-cpu_b1_t0_c1');
    expect(itemTestId(runB)).toBe('compare-item-b');
    expect(existingItems([configA, runB], ['b'])).toEqual([runB]);
  });

  it('lists a run’s configurations without their samples, marking those that cannot be compared', () => {
    const choices = configChoices([...run('a', 5).configs, ...run('b', 5, { seed: 2, status: 'failed' }).configs]);
    expect(choices).toHaveLength(2);
    expect(choices[0]).toMatchObject({ id: 'cpu/b1/t0/c1', ep: 'cpu', done: true });
    expect(choices[0]?.medianMs).toBeCloseTo(5, 0);
    expect(choices[1]).toMatchObject({ done: false, medianMs: null });
    expect(Object.keys(choices[0] ?? {})).not.toContain('samples');
  });
});

describe('reading a comparison', () => {
  const base = run('base', 10, { seed: 1 });
  const faster = run('faster', 5.5, { seed: 2 });
  const same = run('same', 10, { seed: 3 });
  const comparison = compareConfigurations(
    [base, faster, same].map((doc) => ({ run: doc, config: doc.configs[0]! })),
    { seed: 7 },
  );

  it('says "faster" with the CI of the speed-up, and "no measurable difference" where the CI holds 1', () => {
    const [first, second, third] = comparison.entries.map((entry, i) => readEntry(entry, i));
    expect(first).toMatchObject({ verdict: 'baseline', timeRatio: null });
    expect(second?.verdict).toBe('faster');
    expect(second?.headline).toMatch(/^1\.\d+× faster$/);
    expect(readingText(second!)).toMatch(
      /^1\.\d+× faster \(95 % CI 1\.\d+–1\.\d+×, within one process each: run-to-run variation not sampled\)$/,
    );
    expect(second?.timeRatio?.value).toMatch(/^0\.5\d+×$/);
    const vs = comparison.entries[1]!.vsBaseline!;
    // The speed-up and its interval are the inverse of the time ratio and its interval.
    expect(Number(second!.headline.split('×')[0])).toBeCloseTo(1 / vs.ratio, 2);
    expect(third?.verdict).toBe('same');
    expect(readingText(third!)).toBe('no measurable difference (within one process each: run-to-run variation not sampled)');
  });

  it('says "slower" the other way round, and too few samples are not a difference', () => {
    const slower = compareConfigurations(
      [faster, base].map((doc) => ({ run: doc, config: doc.configs[0]! })),
      { seed: 7 },
    );
    const reading = readEntry(slower.entries[1]!, 1);
    expect(reading.verdict).toBe('slower');
    expect(readingText(reading)).toMatch(/^1\.\d+× slower \(95 % CI 1\.\d+–1\.\d+×, within one process each/);
    const few = run('few', 2, { seed: 4, n: 5 });
    const tiny = compareConfigurations(
      [base, few].map((doc) => ({ run: doc, config: doc.configs[0]! })),
      { seed: 7 },
    );
    expect(readEntry(tiny.entries[1]!, 1).verdict).toBe('too-few');
  });

  it('splits the host’s label into the configuration and the run, and draws one bar per measured entry', () => {
    expect(entryLines({ label: 'run of 2026-11-28 22:37 #1 cpu/b1/t0/c1', configId: 'cpu/b1/t0/c1' })).toEqual({
      config: 'cpu/b1/t0/c1',
      run: 'run of 2026-11-28 22:37 #1',
    });
    expect(entryLines({ label: 'cpu/b1/t0/c1', configId: 'cpu/b1/t0/c1' })).toEqual({ config: 'cpu/b1/t0/c1', run: null });
    const bars = medianBars(comparison);
    expect(bars).toHaveLength(3);
    expect(bars.map((bar) => bar.baseline)).toEqual([true, false, false]);
    for (const bar of bars) expect(bar.lowMs).toBeLessThanOrEqual(bar.medianMs);
    const withFailed = { entries: [...comparison.entries, { ...comparison.entries[1]!, medianMs: null }] };
    expect(medianBars(withFailed)).toHaveLength(3);
  });
});
