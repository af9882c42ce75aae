import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ANY_INPUT,
  buildQuantizeData,
  graphInputs,
  RANDOM_CALIBRATION_NOTE,
  resolveInputs,
  splitSamples,
  type ModelInput,
} from '../../../../src/core/quantize/data';
import type { InputRecord } from '../../../../src/core/quantize/types';
import { buildSampleModel } from '../../../../src/core/zoo';
import { CalibrationSpecSchema, type CalibrationSpecInput } from '../../../../src/shared/domain/variant';
import { InferscopeError } from '../../../../src/shared/errors';
import { scratch, writeNpy, writePb } from './data-helpers';

const IMAGE: ModelInput = { name: 'input', type: 'float32', shape: ['batch', 1, 4, 4] };
const TEXT: ModelInput[] = [
  { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
  { name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence'] },
];

let dir: string;
let remove: () => void;
beforeEach(() => ({ dir, remove } = scratch()));
afterEach(() => remove());

async function all(source: AsyncIterable<InputRecord> | null): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  if (source) for await (const r of source) out.push(r);
  return out;
}

function build(
  spec: CalibrationSpecInput,
  inputs: ModelInput[],
  extra: {
    calibrate?: boolean;
    evaluationSamples?: number;
    dims?: Record<string, number>;
    intRanges?: Record<string, { min: number; max: number }>;
  } = {},
) {
  return buildQuantizeData({
    spec: CalibrationSpecSchema.parse(spec),
    inputs,
    calibrate: extra.calibrate ?? true,
    evaluationSamples: extra.evaluationSamples ?? 8,
    dims: extra.dims,
    intRanges: extra.intRanges,
  });
}

async function failure(promise: Promise<unknown>): Promise<InferscopeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InferscopeError);
    return error as InferscopeError;
  }
  throw new Error('expected a failure');
}

function sampleValue(record: InputRecord | undefined): number {
  return Number((record?.input?.data as Float32Array)[0]);
}

describe('input shapes', () => {
  it('estimates with batch 1, named dims from the user, the rest 1 (memory estimates only)', () => {
    const resolved = resolveInputs(
      [
        { name: 'a', type: 'float32', shape: ['batch', 3, 'height', -1] },
        { name: 'b', type: 'int64', shape: ['N', 'sequence_length'] },
        { name: 'c', type: 'int64', shape: [null, 'seq'] },
      ],
      { height: 32 },
    );
    expect(resolved.map((r) => r.shape)).toEqual([
      [1, 3, 32, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(resolveInputs(TEXT, { sequence: 16, batch: 2 }).map((r) => r.shape)).toEqual([
      [2, 16],
      [2, 16],
    ]);
  });

  it("reads a model graph's run-time inputs (not initializers) with their types and declared shapes", () => {
    expect(graphInputs(buildSampleModel('transformer-encoder'))).toEqual([
      { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence'] },
    ]);
    expect(graphInputs(buildSampleModel('mnist-cnn'))).toEqual([{ name: 'input', type: 'float32', shape: ['batch', 1, 28, 28] }]);
  });
});

describe('hold-out split', () => {
  it('holds apart the last ⌈20 %⌉, at least one, and never more than there is', () => {
    expect(splitSamples(10)).toEqual({ calibrate: 8, held: 2 });
    expect(splitSamples(11)).toEqual({ calibrate: 8, held: 3 });
    expect(splitSamples(4)).toEqual({ calibrate: 3, held: 1 });
    expect(splitSamples(1)).toEqual({ calibrate: 0, held: 1 });
    expect(splitSamples(10, 3)).toEqual({ calibrate: 3, held: 2 });
    expect(splitSamples(0)).toEqual({ calibrate: 0, held: 0 });
  });
});

describe('random inputs', () => {
  it('are seeded, labelled as random, and evaluation uses another seed than calibration', async () => {
    const data = await build({ kind: 'random', samples: 5, seed: 3 }, [IMAGE]);
    const calibration = await all(data.calibration);
    expect(calibration).toHaveLength(5);
    expect(data.calibration?.count).toBe(5);
    expect(data.evaluation).toHaveLength(8);
    expect(data.calibrationInfo).toEqual({ kind: 'random', samples: 5, note: RANDOM_CALIBRATION_NOTE });
    expect(data.evaluationInfo).toMatchObject({ samples: 8, source: 'random' });
    expect(calibration[0]!.input!.dims).toEqual([1, 1, 4, 4]);
    // Samples differ from each other, and evaluation never repeats a calibration sample.
    const calibrationFirsts = new Set(calibration.map(sampleValue));
    expect(calibrationFirsts.size).toBe(5);
    for (const record of data.evaluation) expect(calibrationFirsts.has(sampleValue(record))).toBe(false);
    // Same seed, same data.
    const again = await build({ kind: 'random', samples: 5, seed: 3 }, [IMAGE]);
    expect((await all(again.calibration)).map(sampleValue)).toEqual(calibration.map(sampleValue));
  });

  it('keeps token ids in a small range (or the given one) and masks all ones', async () => {
    const data = await build({ kind: 'random', samples: 2, seed: 1 }, TEXT, { dims: { sequence: 64 } });
    const record = data.evaluation[0]!;
    const ids = Array.from(record.input_ids!.data as BigInt64Array, Number);
    expect(record.input_ids!.dims).toEqual([1, 64]);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids)).toBeLessThanOrEqual(99);
    expect(new Set(ids).size).toBeGreaterThan(10);
    expect(Array.from(record.attention_mask!.data as BigInt64Array, Number).every((v) => v === 1)).toBe(true);
    const ranged = await build({ kind: 'random', samples: 1, seed: 1 }, TEXT, {
      dims: { sequence: 64 },
      intRanges: { [ANY_INPUT]: { min: 500, max: 509 } },
    });
    const rangedIds = Array.from(ranged.evaluation[0]!.input_ids!.data as BigInt64Array, Number);
    expect(rangedIds.every((v) => v >= 500 && v <= 509)).toBe(true);
    expect(Array.from(ranged.evaluation[0]!.attention_mask!.data as BigInt64Array, Number).every((v) => v === 1)).toBe(true);
  });

  it('reads nothing for calibration when the mode needs none', async () => {
    const data = await build({ kind: 'random', samples: 5, seed: 1 }, [IMAGE], { calibrate: false, evaluationSamples: 3 });
    expect(data.calibration).toBeNull();
    expect(data.calibrationInfo.kind).toBe('none');
    expect(data.evaluation).toHaveLength(3);
  });
});

describe('tensor folders', () => {
  it('reads test_data_set_N folders (.pb and .npy), skips expected outputs, and holds the last sets apart', async () => {
    for (let i = 0; i < 5; i++) {
      const set = path.join(dir, `test_data_set_${i}`);
      const ids = BigInt64Array.from({ length: 6 }, (_, k) => BigInt(i * 10 + k));
      writeNpy(path.join(set, 'input_ids.npy'), [1, 6], ids);
      writeNpy(path.join(set, 'attention_mask.npy'), [1, 6], new BigInt64Array(6).fill(1n));
      writePb(path.join(set, 'output_0.pb'), 'logits', [1, 2], new Float32Array(2));
    }
    const data = await build({ kind: 'tensors', dir }, TEXT);
    const calibration = await all(data.calibration);
    expect(calibration.map((r) => Number((r.input_ids!.data as BigInt64Array)[0]))).toEqual([0, 10, 20, 30]);
    expect(data.evaluation.map((r) => Number((r.input_ids!.data as BigInt64Array)[0]))).toEqual([40]);
    expect(data.calibrationInfo).toMatchObject({ kind: 'tensors', samples: 4 });
    expect(data.calibrationInfo.note).toContain('4 of 5 tensor sets');
    expect(data.calibrationInfo.note).toContain('last 1 held apart');
    expect(data.evaluationInfo).toEqual({
      samples: 1,
      source: 'held-out',
      dir,
      available: 5,
      note: `1 held-out of the 5 tensor sets in ${dir}`,
    });
  });

  it('names input_N.pb files by the name inside, or by position', async () => {
    for (let i = 0; i < 2; i++) {
      writePb(path.join(dir, `set_${i}`, 'input_0.pb'), '', [1, 1, 4, 4], new Float32Array(16).fill(i));
    }
    const data = await build({ kind: 'tensors', dir }, [IMAGE]);
    expect((await all(data.calibration)).map(sampleValue)).toEqual([0]);
    expect(data.evaluation.map(sampleValue)).toEqual([1]);
  });

  it('takes one file per sample for a single-input model, adds a missing batch axis, and honours the sample limit', async () => {
    for (let i = 0; i < 10; i++) writeNpy(path.join(dir, `digit_${i}.npy`), [1, 4, 4], new Float32Array(16).fill(i));
    const data = await build({ kind: 'tensors', dir, samples: 3 }, [IMAGE]);
    const calibration = await all(data.calibration);
    // Numeric file order: digit_2 before digit_10 would matter; here 0..9 in order.
    expect(calibration.map(sampleValue)).toEqual([0, 1, 2]);
    expect(calibration[0]!.input!.dims).toEqual([1, 1, 4, 4]);
    expect(data.evaluation.map(sampleValue)).toEqual([8, 9]);
    expect(data.calibrationInfo.note).toContain('5 not used');
  });

  it('refuses a file that is not a tensor, naming it', async () => {
    writeNpy(path.join(dir, 'a.npy'), [1, 1, 4, 4], new Float32Array(16));
    writeNpy(path.join(dir, 'b.npy'), [1, 1, 4, 4], new Float32Array(16));
    writeFileSync(path.join(dir, 'c.npy'), 'this is not numpy');
    // c.npy is the held-out sample, read up front for evaluation.
    const error = await failure(build({ kind: 'tensors', dir }, [IMAGE]));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/c\.npy.*not a NumPy/);
  });

  it('refuses a bad calibration file when calibration reaches it, naming it', async () => {
    writeFileSync(path.join(dir, 'a.npy'), 'garbage');
    writeNpy(path.join(dir, 'b.npy'), [1, 1, 4, 4], new Float32Array(16));
    const data = await build({ kind: 'tensors', dir }, [IMAGE]);
    const error = await failure(all(data.calibration));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain('a.npy');
    expect(error.detail).toBe(path.join(dir, 'a.npy'));
  });

  it('refuses tensors of the wrong type or shape, and a flat folder for a multi-input model', async () => {
    writeNpy(path.join(dir, 'wrong-type', 'a.npy'), [1, 1, 4, 4], new Float32Array(16));
    writeNpy(path.join(dir, 'wrong-type', 'b.npy'), [1, 1, 4, 4], new Float32Array(16));
    const typed = await failure(
      build({ kind: 'tensors', dir: path.join(dir, 'wrong-type') }, [{ name: 'input', type: 'int64', shape: ['batch', 16] }]),
    );
    expect(typed.code).toBe('INPUT_INVALID');
    expect(typed.message).toMatch(/b\.npy.*float32.*int64/);

    writeNpy(path.join(dir, 'wrong-shape', 'a.npy'), [1, 1, 5, 5], new Float32Array(25));
    const shaped = await failure(build({ kind: 'tensors', dir: path.join(dir, 'wrong-shape') }, [IMAGE], { calibrate: false }));
    expect(shaped.message).toMatch(/a\.npy.*needs 4 at axis 2/);

    mkdirSync(path.join(dir, 'flat'));
    writeNpy(path.join(dir, 'flat', 'x.npy'), [1, 6], new BigInt64Array(6));
    const flat = await failure(build({ kind: 'tensors', dir: path.join(dir, 'flat') }, TEXT));
    expect(flat.message).toContain('sub-folder');

    writeNpy(path.join(dir, 'partial', 'set_0', 'input_ids.npy'), [1, 6], new BigInt64Array(6));
    const partial = await failure(build({ kind: 'tensors', dir: path.join(dir, 'partial') }, TEXT, { calibrate: false }));
    expect(partial.message).toContain('"attention_mask"');
  });

  it('evaluates modes that calibrate nothing on the whole folder, the held-out sets first', async () => {
    for (let i = 0; i < 10; i++) writeNpy(path.join(dir, `sample_${i}.npy`), [1, 4, 4], new Float32Array(16).fill(i));
    const data = await build({ kind: 'tensors', dir, samples: 3 }, [IMAGE], { calibrate: false, evaluationSamples: 5 });
    expect(data.calibration).toBeNull();
    expect(data.evaluation.map(sampleValue)).toEqual([8, 9, 0, 1, 2]);
    const evaluated = `5 of the 10 tensor sets in ${dir}, the 2 held apart from int8-static calibration first`;
    expect(data.evaluationInfo).toEqual({ samples: 5, source: 'user', dir, available: 10, note: evaluated });
    expect(data.calibrationInfo).toEqual({ kind: 'none', samples: 0, note: `this mode needs no calibration; evaluated on ${evaluated}` });
  });

  it('needs two samples to calibrate (one is held apart), one to evaluate', async () => {
    writeNpy(path.join(dir, 'only.npy'), [1, 1, 4, 4], new Float32Array(16));
    expect((await failure(build({ kind: 'tensors', dir }, [IMAGE]))).code).toBe('INPUT_INVALID');
    const evaluationOnly = await build({ kind: 'tensors', dir }, [IMAGE], { calibrate: false });
    expect(evaluationOnly.evaluation).toHaveLength(1);
    expect(evaluationOnly.calibrationInfo.kind).toBe('none');
  });

  it('refuses a folder that does not exist or holds nothing usable', async () => {
    expect((await failure(build({ kind: 'tensors', dir: path.join(dir, 'missing') }, [IMAGE]))).code).toBe('INPUT_INVALID');
    writeFileSync(path.join(dir, 'notes.txt'), 'hi');
    expect((await failure(build({ kind: 'tensors', dir }, [IMAGE]))).message).toContain('no sub-folders');
  });
});
