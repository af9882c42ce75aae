import { describe, expect, it } from 'vitest';
import { MAX_TYPED_ARRAY_LENGTH, assertFits, elementCount, formatBigBytes, tensorBytes, tensorNeed } from '../../../src/core/budget';
import { DataType } from '../../../src/core/onnx/codec';
import { randomInputData, zeroInputData } from '../../../src/core/bench/inputs';
import { checkPlanMemory, expandPlan } from '../../../src/core/bench/plan';
import { tensorElementCount } from '../../../src/core/onnx/tensor';
import { createRng } from '../../../src/shared/stats/random';
import { BenchPlanSchema } from '../../../src/shared/domain/plan';

const GiB = 1024n ** 3n;
/** A budget as a machine with 1 GiB free would give: the checks do not depend on this machine. */
const oneGiBFree = { free: 2 ** 30, usable: 0.8 * 2 ** 30 };

function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('tensor bytes, exactly', () => {
  it('a float32[32768, 65536] input is 8 GiB', () => {
    const x = { name: 'x', type: 'float32', dims: [32768, 65536] };
    expect(elementCount(x)).toBe(2n ** 31n);
    expect(tensorBytes(x)).toBe(8n * GiB);
    expect(formatBigBytes(tensorBytes(x))).toBe('8 GiB');
    // The same by ONNX DataType, and packed sub-byte types round up to whole bytes.
    expect(tensorBytes({ name: 'x', type: DataType.FLOAT, dims: [32768, 65536] })).toBe(8n * GiB);
    expect(tensorBytes({ name: 'q', type: 'int4', dims: [3] })).toBe(2n);
  });

  it('products past 2^53 stay exact (a double would round them)', () => {
    const dims = [2 ** 31, 2 ** 31, 3];
    expect(elementCount({ name: 'w', type: 'float32', dims })).toBe(3n * 2n ** 62n);
    expect(dims.reduce((a, b) => a * b, 1) === Number(3n * 2n ** 62n + 1n)).toBe(true); // the double cannot tell them apart
    const int64Max = 2n ** 63n - 1n;
    expect(tensorBytes({ name: 'w', type: 'float64', dims: [int64Max, 2n] })).toBe(int64Max * 2n * 8n);
  });

  it('a [1e12] input is refused by name with its size, never "Invalid typed array length"', () => {
    const x = { name: 'x', type: 'float32', dims: [1e12] };
    expect(tensorBytes(x)).toBe(4_000_000_000_000n);
    const error = thrown(() => assertFits([tensorNeed(x)], 'Generating inputs'));
    expect(error.code).toBe('MODEL_TOO_LARGE');
    expect(error.message).toContain('input "x" float32[1000000000000]');
    expect(error.message).toContain('3.64 TiB');
    expect(error.message).toContain(MAX_TYPED_ARRAY_LENGTH.toLocaleString('en-US'));
    const random = thrown(() => randomInputData('float32', [1e12], createRng(1), undefined, 'x'));
    expect(random).toMatchObject({ code: 'MODEL_TOO_LARGE' });
    expect(random.message).toContain('"x"');
    expect(thrown(() => zeroInputData('int64', [1e6, 1e6], 'ids')).code).toBe('MODEL_TOO_LARGE');
  });

  it('refuses what does not fit in the free memory, naming the largest part and what is free', () => {
    const x = { name: 'x', type: 'float32', dims: [32768, 8192] }; // 1 GiB
    const needs = [tensorNeed(x, 8, 'evaluation samples'), tensorNeed({ ...x, name: 'y' })];
    const error = thrown(() => assertFits(needs, 'Quantizing', oneGiBFree));
    expect(error.code).toBe('MODEL_TOO_LARGE');
    expect(error.message).toMatch(/needs 9 GiB, 8 GiB of it for input "x" float32\[32768, 8192\] × 8 evaluation samples/);
    expect(error.message).toContain('1 GiB of memory free');
    expect(() => assertFits([tensorNeed({ ...x, dims: [1024] })], 'Quantizing', oneGiBFree)).not.toThrow();
  });

  it('negative, fractional or non-finite dims are MODEL_INVALID, naming the tensor', () => {
    for (const dims of [[2, -3], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [-1n]]) {
      const error = thrown(() => elementCount({ name: 'w', type: 'float32', dims, role: 'initializer' }));
      expect(error.code, String(dims)).toBe('MODEL_INVALID');
      expect(error.message).toMatch(/^Initializer "w" float32\[/);
    }
    const tensor = { name: 'w', data_type: DataType.FLOAT, dims: [4, -2] };
    expect(thrown(() => tensorElementCount(tensor)).code).toBe('MODEL_INVALID');
  });
});

describe('benchmark plans', () => {
  const plan = (batches: number[], concurrency: number[]) =>
    BenchPlanSchema.parse({ model: { kind: 'sample', name: 'mlp' }, eps: ['cpu'], batches, concurrency });

  it('count every request in flight, and refuse before any worker makes the inputs', () => {
    const info = {
      inputs: [{ name: 'tokens', type: 'int64', shape: ['batch', 'sequence'] }],
      dims: [{ name: 'sequence', value: 128, source: 'sequence-default' as const }],
    };
    const fits = plan([1, 8], [1, 4]);
    expect(() => checkPlanMemory(info, fits, expandPlan(fits, ['cpu']))).not.toThrow();
    // 32768 × 65536 int64 per request, 64 requests in flight: 1 TiB.
    const huge = { ...plan([32768], [64]), dims: { sequence: 65536 } };
    const error = thrown(() => checkPlanMemory(info, huge, expandPlan(huge, ['cpu'])));
    expect(error.code).toBe('MODEL_TOO_LARGE');
    expect(error.message).toContain('input "tokens" int64[32768, 65536] × 64 requests in flight');
    expect(error.message).toMatch(/^Benchmarking at batch 32768 needs 1 TiB for input "tokens"/);
  });

  it("use the shapes of the user's own tensors where given", () => {
    const info = { inputs: [{ name: 'x', type: 'float32', shape: [1e12] }], dims: [] };
    const once = plan([1], [1]);
    expect(thrown(() => checkPlanMemory(info, once, expandPlan(once, ['cpu']))).code).toBe('MODEL_TOO_LARGE');
    const own = [{ name: 'x', type: 'float32', dims: [4], data: new Uint8Array(16) }];
    expect(() => checkPlanMemory(info, once, expandPlan(once, ['cpu']), own)).not.toThrow();
  });
});
