import { describe, expect, it } from 'vitest';
import { itemsPerRun, throughputOf } from '../../../../src/core/bench/measurement';
import { assertBatchesSupported } from '../../../../src/core/bench/plan';
import { batchRefusal, batchSetsAxis, takesBatches } from '../../../../src/shared/domain/batch';

const fixed = [{ name: 'x', shape: [1, 4] }];
const symbolic = [{ name: 'x', shape: ['N', 4] }];

describe('which batch sizes a model takes', () => {
  it('finds the batch axis on a symbolic or unknown first axis that no named dim sets', () => {
    expect(batchSetsAxis(['N', 4])).toBe(true);
    expect(batchSetsAxis(['?', 3, 224, 224])).toBe(true);
    expect(batchSetsAxis([-1, 4])).toBe(true);
    expect(batchSetsAxis([1, 4])).toBe(false);
    expect(batchSetsAxis([8, 'seq'])).toBe(false);
    expect(batchSetsAxis([])).toBe(false);
    expect(batchSetsAxis(['N', 4], { N: 8 })).toBe(false);
  });

  it('always allows batch 1, and any batch where some input has a batch axis or an unknown rank', () => {
    expect(batchRefusal(fixed, [1])).toBeNull();
    expect(batchRefusal(symbolic, [1, 4, 32])).toBeNull();
    expect(batchRefusal([...fixed, { name: 'ids', shape: ['batch', 'seq'] }], [8])).toBeNull();
    expect(batchRefusal([{ name: 'x', shape: null }], [8])).toBeNull();
    expect(takesBatches(fixed)).toBe(false);
  });

  it('refuses a batch above 1 on a fixed first axis with BATCH_UNSUPPORTED, naming the input, its shape and the axis', () => {
    expect(batchRefusal(fixed, [1, 4])).toEqual({
      code: 'BATCH_UNSUPPORTED',
      message:
        "Batch size 4 cannot be measured: input 'x' [1, 4] has its first axis fixed at 1: this model takes batch 1 only; " +
        'export it with a dynamic batch axis to measure larger batches.',
    });
    expect(batchRefusal([{ name: 's', shape: [] }], [2, 8])?.message).toMatch(
      /^Batch sizes 2, 8 cannot be measured: input 's' is a scalar/,
    );
    expect(batchRefusal([], [2])?.code).toBe('BATCH_UNSUPPORTED');
  });

  it("refuses with PLAN_INVALID when the plan's own dims set the only batch axis", () => {
    const refusal = batchRefusal(symbolic, [4], { N: 8 });
    expect(refusal?.code).toBe('PLAN_INVALID');
    expect(refusal?.message).toContain("first axis 'N' set to 8");
  });

  it('throws the coded error at plan time', () => {
    expect(() => assertBatchesSupported({ inputs: [{ name: 'x', type: 'float32', shape: [1, 4] }] }, [1, 4], {})).toThrow(
      expect.objectContaining({ code: 'BATCH_UNSUPPORTED', message: expect.stringContaining("input 'x' [1, 4]") }),
    );
    expect(() => assertBatchesSupported({ inputs: [{ name: 'x', type: 'float32', shape: ['N', 4] }] }, [1, 4], {})).not.toThrow();
  });
});

describe('items per second from the shapes fed', () => {
  it('counts the first fed dimension of the inputs the batch set', () => {
    expect(itemsPerRun([{ shape: [4, 256], batchAxis: true }])).toBe(4);
    expect(itemsPerRun([{ shape: [1, 4], batchAxis: false }])).toBe(1);
    expect(itemsPerRun([{ shape: [8, 3], batchAxis: false }])).toBe(1);
    expect(itemsPerRun([])).toBe(1);
    // A user's tensor against generated inputs: the smaller, never an overstatement.
    expect(
      itemsPerRun([
        { shape: [2, 16], batchAxis: true },
        { shape: [4, 16], batchAxis: true },
        { shape: [7], batchAxis: false },
      ]),
    ).toBe(2);
    // Documents from before batchAxis was kept count one item per run rather than guess.
    expect(itemsPerRun([{ shape: [4, 256] }])).toBe(1);
  });

  it('is runs per second × the batch actually fed, whatever batch was asked for', () => {
    expect(throughputOf(500, 2000, [{ shape: [4, 256], batchAxis: true }])).toEqual({ runsPerSec: 250, itemsPerSec: 1000 });
    // A model with its batch fixed at 1 answers one item per run.
    expect(throughputOf(500, 2000, [{ shape: [1, 4], batchAxis: false }])).toEqual({ runsPerSec: 250, itemsPerSec: 250 });
    expect(throughputOf(0, 0, [{ shape: [4, 256], batchAxis: true }])).toEqual({ runsPerSec: 0, itemsPerSec: 0 });
  });
});
