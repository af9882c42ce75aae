import { describe, expect, it } from 'vitest';
import { expandPlan } from '../../../../src/core/bench/plan';
import { BenchPlanSchema, plannedConcurrency, unplannedConcurrency } from '../../../../src/shared/domain/plan';

const plan = (changes: object) => BenchPlanSchema.parse({ model: { kind: 'sample', name: 'mnist-cnn' }, ...changes });

describe('planning concurrency levels', () => {
  it('does not plan WebGPU beyond one request in flight, and says which levels it left out', () => {
    const configs = expandPlan(plan({ batches: [1, 8], concurrency: [1, 2, 4, 8] }), ['cpu', 'webgpu']);
    expect(configs.filter((c) => c.ep === 'cpu')).toHaveLength(2 * 4);
    expect(configs.filter((c) => c.ep === 'webgpu').map((c) => c.id)).toEqual(['webgpu/b1/t0/c1', 'webgpu/b8/t0/c1']);
    expect(unplannedConcurrency(['cpu', 'webgpu'], [1, 2, 4, 8])).toEqual([
      { ep: 'webgpu', levels: [2, 4, 8], reason: expect.stringContaining('one request at a time') },
    ]);
    expect(unplannedConcurrency(['cpu'], [1, 2, 4, 8])).toEqual([]);
  });

  it('keeps levels a provider cannot take when it can take none of those asked, so each is listed as skipped with the reason', () => {
    expect(plannedConcurrency('webgpu', [2, 4])).toEqual([2, 4]);
    expect(unplannedConcurrency(['webgpu'], [2, 4])).toEqual([]);
    expect(expandPlan(plan({ concurrency: [2, 4] }), ['webgpu']).map((c) => c.concurrency)).toEqual([2, 4]);
  });

  it('a capacity sweep starts every setup at one request in flight', () => {
    const configs = expandPlan(plan({ concurrency: [1, 2, 4], sweep: { targetMs: 50 } }), ['cpu', 'webgpu']);
    expect(configs.map((c) => c.id)).toEqual(['cpu/b1/t0/c1', 'webgpu/b1/t0/c1']);
  });
});
