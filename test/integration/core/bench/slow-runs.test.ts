/**
 * A model whose single run is a large share of the maximum time (issue 9, item 7): the maximum time wins
 * over the minimum iterations and warm-up, what was measured is kept, and the warnings say so. Runs are
 * made slow by the worker's test hook (epOptions "inferscope.testSlowRunMs"), which blocks the thread
 * inside each run like a heavy kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchToEnd } from '../../../../src/cli/run';
import type { RunDocument } from '../../../../src/shared/domain/run';
import type { BenchPlanInput } from '../../../../src/shared/domain/plan';
import { scratchServices, type ScratchServices } from '../../../support/services';

// The worker honours its test hooks only with this on; it inherits this environment.
process.env.INFERSCOPE_TEST_HOOKS = '1';

let scratch: ScratchServices;

async function runToEnd(plan: BenchPlanInput): Promise<RunDocument> {
  return (await benchToEnd(scratch.handlers, plan)).doc;
}

/** A plan of one CPU configuration whose runs each take `runMs` more; the default 30 minimum runs and 10 s warm-up cap. */
function slowPlan(runMs: number, maxTimeMs: number): BenchPlanInput {
  return {
    model: { kind: 'sample', name: 'mnist-cnn' },
    eps: ['cpu'],
    epOptions: { cpu: { 'inferscope.testSlowRunMs': runMs } },
    minTimeMs: 0,
    maxTimeMs,
    profile: false,
    // One process: what one repetition does with a slow model is the subject here.
    repetitions: 1,
  } as BenchPlanInput;
}

beforeAll(() => {
  scratch = scratchServices('slow');
});

afterAll(() => scratch?.dispose());

describe('a model whose one run is a large share of the maximum time', () => {
  it('stops at max time + one run with its samples kept, warm-up shortened, and says so', async () => {
    const started = Date.now();
    const doc = await runToEnd(slowPlan(800, 2000));
    const wallMs = Date.now() - started;
    const c = doc.configs[0]!;
    expect(c.status).toBe('done');
    expect(c.stopReason).toBe('max-time');
    // Runs of ≥ 0.8 s against 2 s: three samples, the last ending past the limit by less than one run.
    expect(c.samples.length).toBeGreaterThanOrEqual(2);
    expect(c.samples.length).toBeLessThan(30);
    expect(c.measureMs!).toBeGreaterThanOrEqual(2000);
    expect(c.measureMs!).toBeLessThan(2000 + Math.max(...c.samples) + 100);
    // Warm-up cut to a quarter of the maximum time: one run, not the 10 s cap.
    expect(c.warmup).toMatchObject({ cut: 'shortened', stable: false, iterations: 1 });
    // Session, first run, one warm-up run, ~3 measured runs: nowhere near the 2 s + 10 s + 120 s timeout.
    expect(wallMs).toBeLessThan(12_000);
    expect(c.warnings.some((w) => w.startsWith('Warm-up shortened to 1 run'))).toBe(true);
    expect(c.warnings).toContain(`Max time reached before the minimum 30 runs: ${c.samples.length} runs were measured.`);
    expect(doc.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['warmup-shortened', 'too-few-runs']));
    expect(c.latencyMs).toMatchObject({ count: c.samples.length, ciLow: null, ciHigh: null, ciHalfWidthRel: null });
    expect(c.warnings.some((w) => /CI of the median was not reached .*too few runs for a CI/.test(w))).toBe(true);
    console.info(
      `slow run (0.8 s/run, max 2 s): measure ${Math.round(c.measureMs!)} ms, first run ${Math.round(c.firstRunMs!)} ms, ` +
        `warm-up ${Math.round(c.warmup!.ms)} ms, whole run ${wallMs} ms, ${c.samples.length} samples`,
    );
  }, 60_000);

  it('skips warm-up when the first run is half the maximum time or more', async () => {
    const started = Date.now();
    const doc = await runToEnd(slowPlan(1200, 2000));
    const wallMs = Date.now() - started;
    const c = doc.configs[0]!;
    expect(c.status).toBe('done');
    expect(c.stopReason).toBe('max-time');
    expect(c.warmup).toMatchObject({ cut: 'skipped', iterations: 0, stable: false });
    expect(c.warnings.some((w) => w.startsWith('Warm-up skipped'))).toBe(true);
    expect(c.samples.length).toBe(2);
    expect(wallMs).toBeLessThan(12_000);
    console.info(`slow run (1.2 s/run, max 2 s): measure ${Math.round(c.measureMs!)} ms, whole run ${wallMs} ms`);
  }, 60_000);

  it('a WebGPU configuration honours the maximum time too', async () => {
    const plan = { ...slowPlan(800, 2000), eps: ['webgpu'], epOptions: { webgpu: { 'inferscope.testSlowRunMs': 800 } } } as BenchPlanInput;
    const started = Date.now();
    const doc = await runToEnd(plan);
    const wallMs = Date.now() - started;
    const c = doc.configs[0]!;
    expect(c.ep).toBe('webgpu');
    expect(c.status, c.error?.message).toBe('done');
    expect(c.stopReason).toBe('max-time');
    expect(c.samples.length).toBeGreaterThanOrEqual(2);
    expect(c.measureMs!).toBeLessThan(2000 + Math.max(...c.samples) + 100);
    // The first WebGPU run also compiles its shaders: warm-up is shortened or, past half the maximum time, skipped.
    expect(['shortened', 'skipped']).toContain(c.warmup?.cut);
    expect(c.warmup!.iterations).toBeLessThanOrEqual(1);
    expect(wallMs).toBeLessThan(20_000);
    console.info(
      `slow WebGPU run (0.8 s/run, max 2 s): first run ${Math.round(c.firstRunMs!)} ms, warm-up ${c.warmup?.cut}, ` +
        `measure ${Math.round(c.measureMs!)} ms, whole run ${wallMs} ms`,
    );
  }, 60_000);
});
