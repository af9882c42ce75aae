/** Real files for the data-building tests: .npy and ONNX .pb tensors, PNG and JPEG images. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataType, onnx } from '../../../../src/core/onnx/codec';
import { makeTensor } from '../../../../src/core/onnx/tensor';

export function scratch(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'inferscope-qdata-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** NumPy's .npy format 1.0: magic, version, header dict padded to 64 bytes, raw little-endian data. */
export function npyBytes(descr: string, shape: number[], data: ArrayBufferView): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export function writeNpy(file: string, shape: number[], data: Float32Array | BigInt64Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, npyBytes(data instanceof Float32Array ? '<f4' : '<i8', shape, data));
}

/** An ONNX TensorProto file as in test_data_set_N folders. */
export function writePb(file: string, name: string, shape: number[], data: Float32Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, onnx.TensorProto.encode(makeTensor(name, DataType.FLOAT, shape, data)).finish());
}

/** RGBA pixels of a width × height image from a per-pixel colour function. */
export function rgba(width: number, height: number, color: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = color(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return data;
}

export function writePng(file: string, width: number, height: number, color: (x: number, y: number) => [number, number, number]): void {
  const png = new PNG({ width, height });
  rgba(width, height, color).copy(png.data);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png));
}

export function writeJpeg(file: string, width: number, height: number, color: (x: number, y: number) => [number, number, number]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encodeJpeg({ width, height, data: rgba(width, height, color) }, 100).data);
}
