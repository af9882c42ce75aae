/**
 * Natural-image-like pictures for the image classification samples: a lit background gradient
 * with smooth 1/f texture, a few soft-edged shapes of their own colour and shading in front, and
 * a little sensor noise; then normalized as torchvision's ImageNet models are ((x / 255 − mean) /
 * std per channel, values about −2.1 … 2.6).
 */
import { createRng } from '../rng';
import type { Rng } from '../rng';
import { elements, valueNoise } from './draw';
import type { SyntheticData } from './types';

export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

type Rgb = [number, number, number];

/** A colour as photographs have them: mostly muted, sometimes saturated (0 … 255 per channel). */
function colour(rng: Rng): Rgb {
  const base = 40 + 170 * rng.next();
  const saturation = rng.next() < 0.3 ? 90 : 35;
  return [0, 1, 2].map(() => Math.min(255, Math.max(0, base + saturation * (rng.next() * 2 - 1)))) as Rgb;
}

interface Shape {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  cos: number;
  sin: number;
  /** Ellipse or box. */
  box: boolean;
  colour: Rgb;
  /** Light from one side: brightness change across the shape. */
  shade: number;
}

function randomShape(rng: Rng, width: number, height: number): Shape {
  const cx = width * rng.next();
  const cy = height * rng.next();
  const rx = width * (0.08 + 0.25 * rng.next());
  const ry = height * (0.08 + 0.25 * rng.next());
  const angle = Math.PI * rng.next();
  return {
    cx,
    cy,
    rx,
    ry,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    box: rng.next() < 0.4,
    colour: colour(rng),
    shade: 60 * (rng.next() - 0.5),
  };
}

/** One picture as three planes of 0 … 255 values (RGB), height × width each. */
export function drawPicture(seed: number, width: number, height: number): [Float32Array, Float32Array, Float32Array] {
  const rng = createRng(seed);
  const [top, bottom] = [colour(rng), colour(rng)];
  const tilt = rng.next() - 0.5;
  const octaves = [4, 8, 16].map((cells, k) => ({ noise: valueNoise(rng, width, height, cells), amplitude: 28 / 2 ** k }));
  const tint = colour(rng).map((c) => c / 255);
  const shapes = Array.from({ length: 2 + Math.floor(rng.next() * 4) }, () => randomShape(rng, width, height));
  const planes: [Float32Array, Float32Array, Float32Array] = [
    new Float32Array(width * height),
    new Float32Array(width * height),
    new Float32Array(width * height),
  ];
  const pixel: Rgb = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const t = Math.min(1, Math.max(0, y / height + tilt * (x / width - 0.5)));
      let texture = 0;
      for (const octave of octaves) texture += (octave.noise[i] as number) * octave.amplitude;
      for (let c = 0; c < 3; c++) pixel[c] = (top[c] as number) * (1 - t) + (bottom[c] as number) * t + texture * (tint[c] as number);
      for (const shape of shapes) paint(pixel, shape, x, y, texture);
      // Sensor noise of about 3 levels: a sum of three uniforms is close enough to normal, and far cheaper.
      for (let c = 0; c < 3; c++) {
        const noise = 6 * (rng.next() + rng.next() + rng.next() - 1.5);
        (planes[c] as Float32Array)[i] = Math.min(255, Math.max(0, (pixel[c] as number) + noise));
      }
    }
  }
  return planes;
}

/** Blends the shape into the pixel where it covers it (a soft one-pixel edge). */
function paint(pixel: Rgb, shape: Shape, x: number, y: number, texture: number): void {
  const { cos, sin } = shape;
  const u = ((x - shape.cx) * cos + (y - shape.cy) * sin) / shape.rx;
  const v = (-(x - shape.cx) * sin + (y - shape.cy) * cos) / shape.ry;
  const distance = shape.box ? Math.max(Math.abs(u), Math.abs(v)) : Math.sqrt(u * u + v * v);
  const edge = Math.min(shape.rx, shape.ry);
  const coverage = Math.max(0, Math.min(1, (1 - distance) * edge + 0.5));
  if (coverage <= 0) return;
  const light = shape.shade * u + 0.5 * texture;
  for (let c = 0; c < 3; c++) pixel[c] = (pixel[c] as number) * (1 - coverage) + ((shape.colour[c] as number) + light) * coverage;
}

/** Pictures for an input of shape [N, 3, H, W] (1 channel: their grey), ImageNet-normalized. */
export function pictureData(name = 'input'): SyntheticData {
  return {
    kind: 'natural-looking images',
    inputs: { [name]: 'float32' },
    sample(shapes, seed) {
      const shape = shapes[name] ?? [1, 3, 64, 64];
      const channels = shape.length === 4 ? (shape[1] as number) : 3;
      const height = shape.at(-2) ?? 64;
      const width = shape.at(-1) ?? 64;
      const plane = width * height;
      const out = new Float32Array(elements(shape));
      for (let at = 0, item = 0; at < out.length; at += plane * channels, item++) {
        const rgb = drawPicture((seed + item * 0x9e37) | 0, width, height);
        for (let c = 0; c < channels; c++) {
          const source = channels === 3 ? (rgb[c] as Float32Array) : grey(rgb);
          const mean = IMAGENET_MEAN[c % 3] as number;
          const std = IMAGENET_STD[c % 3] as number;
          for (let i = 0; i < plane; i++) out[at + c * plane + i] = ((source[i] as number) / 255 - mean) / std;
        }
      }
      return { [name]: out };
    },
  };
}

function grey([r, g, b]: [Float32Array, Float32Array, Float32Array]): Float32Array {
  return r.map((v, i) => 0.299 * v + 0.587 * (g[i] as number) + 0.114 * (b[i] as number));
}
