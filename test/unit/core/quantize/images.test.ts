import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildQuantizeData, type ModelInput } from '../../../../src/core/quantize/data';
import { decodeImage, imageToTensor, resizeBilinear } from '../../../../src/core/quantize/images';
import type { InputRecord } from '../../../../src/core/quantize/types';
import { CalibrationSpecSchema, type CalibrationSpecInput } from '../../../../src/shared/domain/variant';
import { InferscopeError } from '../../../../src/shared/errors';
import { rgba, scratch, writeJpeg, writePng } from './data-helpers';

let dir: string;
let remove: () => void;
beforeEach(() => ({ dir, remove } = scratch()));
afterEach(() => remove());

const RGB_NCHW: ModelInput = { name: 'pixels', type: 'float32', shape: ['batch', 3, 2, 2] };
const RGB_NHWC: ModelInput = { name: 'pixels', type: 'float32', shape: ['batch', 2, 2, 3] };
const GRAY: ModelInput = { name: 'input', type: 'float32', shape: ['batch', 1, 28, 28] };

function build(spec: Omit<Extract<CalibrationSpecInput, { kind: 'images' }>, 'kind' | 'dir'>, inputs: ModelInput[], calibrate = true) {
  return buildQuantizeData({
    spec: CalibrationSpecSchema.parse({ kind: 'images', dir, ...spec }),
    inputs,
    calibrate,
    evaluationSamples: 8,
  });
}

async function all(source: AsyncIterable<InputRecord> | null): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  if (source) for await (const r of source) out.push(r);
  return out;
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

const values = (record: InputRecord | undefined, name = 'pixels') => Array.from(record?.[name]?.data as Float32Array);

describe('image decoding and resizing', () => {
  it('decodes PNG and JPEG by content to RGBA', () => {
    writePng(path.join(dir, 'a.png'), 3, 2, (x) => [x * 100, 50, 200]);
    writeJpeg(path.join(dir, 'b.jpg'), 8, 8, () => [200, 100, 50]);
    const png = decodeImage(new Uint8Array(readFileSync(path.join(dir, 'a.png'))), 'a.png');
    expect([png.width, png.height]).toEqual([3, 2]);
    expect(Array.from(png.data.subarray(0, 12))).toEqual([0, 50, 200, 255, 100, 50, 200, 255, 200, 50, 200, 255]);
    const jpeg = decodeImage(new Uint8Array(readFileSync(path.join(dir, 'b.jpg'))), 'b.jpg');
    expect([jpeg.width, jpeg.height]).toEqual([8, 8]);
    // Lossy, but a flat colour survives within a few levels.
    expect(Math.abs((jpeg.data[0] as number) - 200)).toBeLessThanOrEqual(3);
    expect(Math.abs((jpeg.data[1] as number) - 100)).toBeLessThanOrEqual(3);
  });

  it('resizes bilinearly with pixel centres aligned (as cv2.INTER_LINEAR)', () => {
    const image = { width: 2, height: 1, data: new Uint8Array(rgba(2, 1, (x) => [x * 255, 0, 0])) };
    const [r] = resizeBilinear(image, 4, 1);
    expect(Array.from(r)).toEqual([0, 63.75, 191.25, 255]);
    const [down] = resizeBilinear({ width: 4, height: 1, data: new Uint8Array(rgba(4, 1, (x) => [x * 10, 0, 0])) }, 2, 1);
    expect(Array.from(down)).toEqual([5, 25]);
  });

  it('lays out NCHW and NHWC, in RGB or BGR, scaled and normalized', () => {
    const image = { width: 2, height: 2, data: new Uint8Array(rgba(2, 2, () => [255, 0, 51])) };
    const base = { width: 2, height: 2, channels: 3, scale: 255, mean: [0.5, 0, 0], std: [0.5, 1, 0.1] } as const;
    const nchw = Array.from(imageToTensor(image, { ...base, layout: 'nchw', channelOrder: 'rgb' }, 'float32'));
    expect(nchw.map((v) => Number(v.toFixed(5)))).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2]);
    const nhwc = Array.from(imageToTensor(image, { ...base, layout: 'nhwc', channelOrder: 'rgb' }, 'float32'));
    expect(nhwc.slice(0, 3).map((v) => Number(v.toFixed(5)))).toEqual([1, 0, 2]);
    // BGR: the first channel is blue (51/255 = 0.2), normalized with the first mean/std.
    const bgr = Array.from(imageToTensor(image, { ...base, layout: 'nchw', channelOrder: 'bgr' }, 'float32'));
    expect(Number(bgr[0]!.toFixed(5))).toBe(-0.6);
    // uint8 inputs take the pixels as they are.
    expect(Array.from(imageToTensor(image, { ...base, layout: 'nhwc', channelOrder: 'rgb' }, 'uint8')).slice(0, 3)).toEqual([255, 0, 51]);
  });
});

describe('image folders', () => {
  it('turns PNG and JPEG files into the model input, holding the last ⌈20 %⌉ apart', async () => {
    writePng(path.join(dir, '1.png'), 4, 4, () => [255, 0, 0]);
    writeJpeg(path.join(dir, '2.jpg'), 16, 16, () => [0, 255, 0]);
    writePng(path.join(dir, '3.PNG'), 3, 5, () => [0, 0, 255]);
    writeFileSync(path.join(dir, 'readme.txt'), 'not an image');
    const data = await build({}, [RGB_NCHW]);
    const calibration = await all(data.calibration);
    expect(calibration).toHaveLength(2);
    expect(calibration[0]!.pixels!.dims).toEqual([1, 3, 2, 2]);
    expect(values(calibration[0])).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(
      values(calibration[1])
        .slice(4, 8)
        .every((v) => Math.abs(v - 1) < 0.02),
    ).toBe(true);
    expect(values(data.evaluation[0])).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(data.calibrationInfo).toMatchObject({ kind: 'images', samples: 2 });
    expect(data.calibrationInfo.note).toContain('2 of 3 images');
    expect(data.evaluationInfo).toEqual({
      samples: 1,
      source: 'held-out',
      dir,
      available: 3,
      note: `1 held-out of the 3 images in ${dir}`,
    });
  });

  it('feeds NHWC models and applies mean and std', async () => {
    writePng(path.join(dir, 'a.png'), 2, 2, () => [255, 255, 255]);
    writePng(path.join(dir, 'b.png'), 2, 2, () => [0, 0, 0]);
    const data = await build({ layout: 'nhwc', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, [RGB_NHWC]);
    const [first] = await all(data.calibration);
    expect(first!.pixels!.dims).toEqual([1, 2, 2, 3]);
    expect(
      values(first)
        .slice(0, 3)
        .map((v) => Number(v.toFixed(3))),
    ).toEqual([2.249, 2.429, 2.64]);
    expect(
      values(data.evaluation[0])
        .slice(0, 3)
        .map((v) => Number(v.toFixed(3))),
    ).toEqual([-2.118, -2.036, -1.804]);
  });

  it("makes grayscale for a one-channel input at the model's own size", async () => {
    writePng(path.join(dir, 'a.png'), 56, 56, () => [255, 255, 255]);
    writePng(path.join(dir, 'b.png'), 10, 10, () => [255, 0, 0]);
    const data = await build({}, [GRAY]);
    const [first] = await all(data.calibration);
    expect(first!.input!.dims).toEqual([1, 1, 28, 28]);
    expect(values(first, 'input').every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(values(data.evaluation[0], 'input').every((v) => Math.abs(v - 0.299) < 1e-6)).toBe(true);
  });

  it('refuses a broken image, naming the file', async () => {
    writePng(path.join(dir, 'a.png'), 2, 2, () => [1, 2, 3]);
    writeFileSync(path.join(dir, 'b.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    writePng(path.join(dir, 'c.png'), 2, 2, () => [1, 2, 3]);
    writeFileSync(path.join(dir, 'd.jpg'), 'plain text with a .jpg name');
    // d.jpg is held apart for evaluation: read at once.
    const held = await failure(build({}, [RGB_NCHW]));
    expect(held.code).toBe('INPUT_INVALID');
    expect(held.message).toMatch(/^d\.jpg: is neither a PNG nor a JPEG/);
    writePng(path.join(dir, 'd.jpg'), 2, 2, () => [1, 2, 3]);
    const data = await build({}, [RGB_NCHW]);
    const truncated = await failure(all(data.calibration));
    expect(truncated.message).toMatch(/^b\.png: cannot be decoded as PNG/);
    expect(truncated.detail).toBe(path.join(dir, 'b.png'));
  });

  it('refuses models images cannot feed, saying what to change', async () => {
    writePng(path.join(dir, 'a.png'), 2, 2, () => [1, 2, 3]);
    const nhwcAsNchw = await failure(build({}, [RGB_NHWC]));
    expect(nhwcAsNchw.message).toContain('use layout nhwc');
    const symbolic = await failure(build({}, [{ name: 'pixels', type: 'float32', shape: ['batch', 3, 'h', 'w'] }]));
    expect(symbolic.message).toContain('height and width');
    const sized = await build({ width: 8, height: 6 }, [{ name: 'pixels', type: 'float32', shape: ['batch', 3, 'h', 'w'] }], false);
    expect(sized.evaluation[0]!.pixels!.dims).toEqual([1, 3, 6, 8]);
    const text = await failure(build({}, [{ name: 'ids', type: 'int64', shape: ['batch', 3, 2, 2] }]));
    expect(text.message).toContain('float32 or uint8');
    const two = await failure(build({}, [RGB_NCHW, GRAY]));
    expect(two.message).toContain('one image input');
    writeFileSync(path.join(dir, 'a.png'), '');
    const empty = await failure(build({}, [RGB_NCHW], false));
    expect(empty.code).toBe('INPUT_INVALID');
  });
});
