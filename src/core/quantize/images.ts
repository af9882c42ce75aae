/**
 * Images as model inputs for calibration and evaluation: PNG and JPEG decoded to RGBA, resized
 * to the model's height and width, laid out as NCHW or NHWC, normalized as the user says.
 * What a typical preprocessing script does (PIL/cv2 load → resize → /255 → (x − mean) / std →
 * transpose), so int8 scales come from the values the model really sees.
 */
import path from 'node:path';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { InferscopeError } from '../../shared/errors';

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major, R G B A. */
  data: Uint8Array;
}

export interface ImageLayout {
  layout: 'nchw' | 'nhwc';
  width: number;
  height: number;
  /** 1 (grayscale) or 3. */
  channels: number;
  channelOrder: 'rgb' | 'bgr';
  /** Pixels are divided by this first (255 maps 0..255 to 0..1). */
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

/** Above this many pixels a calibration image is surely a mistake (a scan, a panorama), not a sample. */
const MAX_IMAGE_MEGAPIXELS = 100;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

function invalid(file: string, why: string): InferscopeError {
  return new InferscopeError('INPUT_INVALID', `${path.basename(file)}: ${why}`, { detail: file });
}

/** Decodes by content (not by extension: a .jpg that is really a PNG still works). */
export function decodeImage(bytes: Uint8Array, file: string): RgbaImage {
  const isPng = PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw invalid(file, 'is neither a PNG nor a JPEG image.');
  let image: RgbaImage;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      image = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } else {
      const jpeg = decodeJpeg(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_IMAGE_MEGAPIXELS,
        maxMemoryUsageInMB: 1024,
      });
      image = { width: jpeg.width, height: jpeg.height, data: jpeg.data };
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(file, `cannot be decoded as ${isPng ? 'PNG' : 'JPEG'} (${reason}).`);
  }
  if (image.width <= 0 || image.height <= 0 || image.data.length < image.width * image.height * 4) {
    throw invalid(file, 'decodes to an empty or truncated image.');
  }
  return image;
}

/**
 * Bilinear resize with pixel centres aligned (cv2.INTER_LINEAR, PIL without antialiasing),
 * one float plane per RGB channel. Alpha is dropped: calibration images are photographs.
 */
export function resizeBilinear(image: RgbaImage, width: number, height: number): [Float32Array, Float32Array, Float32Array] {
  const planes: [Float32Array, Float32Array, Float32Array] = [
    new Float32Array(width * height),
    new Float32Array(width * height),
    new Float32Array(width * height),
  ];
  const sx = image.width / width;
  const sy = image.height / height;
  const src = image.data;
  const rowStride = image.width * 4;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const wx = fx - x0;
      const a = y0 * rowStride + x0 * 4;
      const b = y0 * rowStride + x1 * 4;
      const c = y1 * rowStride + x0 * 4;
      const d = y1 * rowStride + x1 * 4;
      const out = y * width + x;
      for (let ch = 0; ch < 3; ch++) {
        const top = (src[a + ch] as number) * (1 - wx) + (src[b + ch] as number) * wx;
        const bottom = (src[c + ch] as number) * (1 - wx) + (src[d + ch] as number) * wx;
        (planes[ch] as Float32Array)[out] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return planes;
}

/**
 * One image as the model input tensor's data ([1, C, H, W] or [1, H, W, C]). float32 inputs are
 * scaled and normalized; uint8 inputs take the resized pixels as they are (rounded).
 */
export function imageToTensor(image: RgbaImage, layout: ImageLayout, type: 'float32' | 'uint8'): Float32Array | Uint8Array {
  const { width, height, channels } = layout;
  const [r, g, b] = resizeBilinear(image, width, height);
  const planes = channels === 1 ? [luma(r, g, b)] : layout.channelOrder === 'rgb' ? [r, g, b] : [b, g, r];
  const pixels = width * height;
  const out = type === 'uint8' ? new Uint8Array(pixels * channels) : new Float32Array(pixels * channels);
  for (let c = 0; c < channels; c++) {
    const plane = planes[c] as Float32Array;
    const mean = layout.mean[c] ?? 0;
    const std = layout.std[c] ?? 1;
    for (let i = 0; i < pixels; i++) {
      const v = plane[i] as number;
      const value = type === 'uint8' ? Math.min(255, Math.max(0, Math.round(v))) : (v / layout.scale - mean) / std;
      out[layout.layout === 'nchw' ? c * pixels + i : i * channels + c] = value;
    }
  }
  return out;
}

/** ITU-R BT.601 luma, what PIL's convert('L') computes. */
function luma(r: Float32Array, g: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(r.length);
  for (let i = 0; i < r.length; i++) out[i] = 0.299 * (r[i] as number) + 0.587 * (g[i] as number) + 0.114 * (b[i] as number);
  return out;
}
