/**
 * The CLI and the app make the same plan for the same choices: the CLI's options, read by its own
 * parsers, and the Benchmark form's draft come out as one plan once the contract's schema has read them.
 */
import { describe, expect, it } from 'vitest';
import { benchPlan, intListOption, parseDuration, type BenchCliOptions } from '../../../src/cli/bench';
import { buildPlan, defaultDraft, type BenchDraft } from '../../../src/renderer/lib/logic/bench-plan';
import { BenchPlanSchema } from '../../../src/shared/domain/plan';
import type { ModelSource } from '../../../src/shared/domain/app';

const model: ModelSource = { kind: 'sample', name: 'transformer-encoder' };

function fromApp(changes: Partial<BenchDraft>, eps: string[]) {
  const built = buildPlan({ ...defaultDraft(), ...changes }, model, eps);
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return BenchPlanSchema.parse(built.plan);
}

function fromCli(opts: Partial<BenchCliOptions>) {
  return BenchPlanSchema.parse(benchPlan(model, { dim: {}, profile: true, ...opts }));
}

describe('bench plans from the CLI and from the app', () => {
  it('are the same with everything left at its default', () => {
    expect(fromCli({ ep: 'cpu' })).toEqual(fromApp({}, ['cpu']));
  });

  it('are the same for lists, dims, times, inputs and options', () => {
    const app = fromApp(
      {
        batches: '8, 1',
        threads: 'default, 2',
        concurrency: '1 4',
        dims: { sequence: '128' },
        minTimeS: '0.5',
        maxTimeS: '3',
        minIterations: '50',
        ciTargetPct: '2',
        seed: '7',
        intMin: '0',
        intMax: '30521',
        graphOptimizationLevel: 'basic',
        profile: false,
      },
      ['cpu', 'webgpu'],
    );
    const cli = fromCli({
      ep: 'cpu,webgpu',
      batch: intListOption()('8,1'),
      threads: intListOption({ allowDefault: true })('default,2'),
      concurrency: intListOption()('1,4'),
      dim: { sequence: 128 },
      minTime: parseDuration('500ms'),
      maxTime: parseDuration('3s'),
      minIterations: 50,
      ciTarget: 0.02,
      seed: 7,
      intRange: { min: 0, max: 30521 },
      optimization: 'basic',
      profile: false,
    });
    expect(cli).toEqual(app);
  });
});
