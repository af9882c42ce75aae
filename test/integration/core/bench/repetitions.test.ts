/**
 * Repetitions (docs/measurement.md#repetitions) through the real runner and worker: each in a fresh
 * process, every repetition kept in the run document, the headline CI across them, the default chosen
 * by cost, and a comparison that finds a difference of known size injected by the worker's test hook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchToEnd } from '../../../../src/cli/run';
import { compareConfigurations } from '../../../../src/shared/advice/compare';
import { RunDocumentSchema, repetitionMedians, type RunDocument } from '../../../../src/shared/domain/run';
import type { BenchPlanInput } from '../../../../src/shared/domain/plan';
import { scratchServices, type ScratchServices } from '../../../support/services';

// The slowdown hook is honoured only with test hooks on; the worker inherits this environment.
process.env.INFERSCOPE_TEST_HOOKS = '1';

let scratch: ScratchServices;

beforeAll(() => {
  scratch = scratchServices('repetitions');
});

afterAll(() => scratch?.dispose());

const quick = { minTimeMs: 200, maxTimeMs: 600, warmupMaxMs: 300, minIterations: 10, profile: false } satisfies Partial<BenchPlanInput>;

async function run(plan: Partial<BenchPlanInput>): Promise<RunDocument> {
  const full = { model: { kind: 'sample', name: 'mlp' }, eps: ['cpu'], threads: [1], ...quick, ...plan } as BenchPlanInput;
  return (await benchToEnd(scratch.handlers, full)).doc;
}

describe('repetitions', () => {
  it('measures each repetition in its own fresh process and keeps every one in the run document', async () => {
    const doc = await run({ repetitions: 3 });
    const c = doc.configs[0]!;
    expect(c.status).toBe('done');
    expect(c.repetitions.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(c.repetitions.every((r) => r.status === 'done' && r.latencyMs !== null)).toBe(true);
    // Three different worker processes.
    expect(new Set(c.repetitions.map((r) => r.pid)).size).toBe(3);
    // The samples are every repetition's, in order, delimited by firstSample and sampleCount.
    expect(c.samples.length).toBe(c.repetitions.reduce((n, r) => n + r.sampleCount, 0));
    for (const r of c.repetitions) {
      const own = c.samples.slice(r.firstSample, r.firstSample + r.sampleCount);
      expect(own.length).toBe(r.latencyMs!.count);
      expect(Math.min(...own)).toBe(r.latencyMs!.min);
    }
    // The headline: the geometric mean of the three medians, with a t interval across them.
    const medians = repetitionMedians(c);
    expect(c.latencyMs!.median).toBeCloseTo(Math.cbrt(medians[0]! * medians[1]! * medians[2]!), 9);
    expect(c.latencyMs!.ciMethod).toBe('repetitions-t');
    expect(c.latencyMs!.ciLow!).toBeLessThan(c.latencyMs!.median);
    expect(c.latencyMs!.ciHigh!).toBeGreaterThan(c.latencyMs!.median);
    expect(c.uncertainty).toMatchObject({ scope: 'across-processes', repetitions: 3, note: null });
    expect(c.uncertainty!.betweenSpreadRel).toBeCloseTo((Math.max(...medians) - Math.min(...medians)) / c.latencyMs!.median, 9);
    // The document round-trips through its schema (what import and the store read).
    expect(RunDocumentSchema.parse(JSON.parse(JSON.stringify(doc))).configs[0]!.repetitions).toHaveLength(3);
    expect(doc.method.statistics).toMatch(/geometric mean of the repetitions' medians/);
  });

  it('without a count, a quick configuration gets 3 repetitions and one measured once says its CI is within that process', async () => {
    const auto = await run({});
    expect(auto.plan.repetitions).toBeNull();
    expect(auto.configs[0]!.repetitions).toHaveLength(3);
    const once = await run({ repetitions: 1 });
    const c = once.configs[0]!;
    expect(c.repetitions).toHaveLength(1);
    expect(c.latencyMs!.ciMethod).not.toBe('repetitions-t');
    expect(c.uncertainty).toMatchObject({ scope: 'within-process', repetitions: 1 });
    expect(c.uncertainty!.note).toMatch(/within this process only/);
  });

  it('a slowdown injected inside the timed call is found by the comparison across repetitions', async () => {
    const base = await run({ repetitions: 3 });
    // Twice the work: found even on a busy shared machine, where processes differ by 10 % or more (a 30 % slowdown was not always).
    const slowed = await run({ repetitions: 3, epOptions: { cpu: { 'inferscope.testSlowdown': 1 } } });
    const comparison = compareConfigurations([
      { run: base, config: base.configs[0]! },
      { run: slowed, config: slowed.configs[0]! },
    ]);
    const vs = comparison.entries[1]!.vsBaseline!;
    expect(vs.basis).toBe('repetitions');
    expect(vs.repetitions).toEqual([3, 3]);
    expect(vs.verdict).toBe('slower');
    expect(vs.ratio).toBeGreaterThan(1.5);
    expect(comparison.entries[1]!.statement).toMatch(/slower than the baseline \(95 % CI .*, over 3 \+ 3 repetitions\)/);
  });
});
