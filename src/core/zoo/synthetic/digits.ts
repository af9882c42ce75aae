/**
 * Handwritten-looking digits for the MNIST sample: a pen path per digit, drawn as white strokes on
 * black, a little differently sized, slanted, placed and thick each time, the digit inside the
 * middle 20 × 20 of a 28 × 28 image as in MNIST, then normalized as MNIST models are trained
 * ((x − 0.1307) / 0.3081, values about −0.42 … 2.82).
 */
import { createRng } from '../rng';
import { drawStroke, elements } from './draw';
import type { SyntheticData } from './types';

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** The pen's path of each digit, as x, y pairs in a unit box (x to the right, y down). */
const DIGIT_PATHS: readonly (readonly number[])[] = [
  Array.from({ length: 19 }, (_, i) => [0.5 + 0.45 * Math.sin((i * Math.PI) / 9), 0.5 - 0.5 * Math.cos((i * Math.PI) / 9)]).flat(),
  [0.3, 0.18, 0.58, 0, 0.56, 1],
  [0.12, 0.22, 0.35, 0.02, 0.7, 0.03, 0.88, 0.25, 0.78, 0.52, 0.12, 1, 0.92, 0.98],
  [0.12, 0.1, 0.5, 0, 0.84, 0.18, 0.72, 0.4, 0.42, 0.48, 0.88, 0.7, 0.62, 0.98, 0.12, 0.9],
  [0.68, 1, 0.66, 0, 0.06, 0.68, 0.96, 0.68],
  [0.88, 0.02, 0.22, 0.02, 0.16, 0.45, 0.58, 0.38, 0.9, 0.64, 0.62, 0.98, 0.1, 0.88],
  [0.78, 0.04, 0.36, 0.22, 0.14, 0.6, 0.3, 0.96, 0.7, 0.94, 0.86, 0.7, 0.6, 0.5, 0.2, 0.62],
  [0.06, 0.02, 0.94, 0.02, 0.42, 1],
  [0.5, 0.48, 0.16, 0.24, 0.5, 0.01, 0.84, 0.24, 0.5, 0.48, 0.12, 0.74, 0.5, 0.99, 0.88, 0.74, 0.5, 0.48],
  [0.86, 0.34, 0.5, 0.52, 0.14, 0.3, 0.5, 0.01, 0.86, 0.3, 0.78, 1],
];

/** One digit's ink (0 … 1) at height × width, drawn as if on a 28 × 28 grid scaled to that size. */
export function drawDigit(digit: number, seed: number, width = 28, height = 28): Float32Array {
  const rng = createRng(seed);
  const ink = new Float32Array(width * height);
  const unit = Math.min(width, height) / 28;
  const boxHeight = (16 + 4 * rng.next()) * unit;
  const boxWidth = boxHeight * (digit === 1 ? 0.35 : 0.55 + 0.2 * rng.next());
  const slant = 0.3 * (rng.next() - 0.5);
  const cx = width / 2 + 2 * unit * (rng.next() - 0.5);
  const cy = height / 2 + 2 * unit * (rng.next() - 0.5);
  const thickness = (1.6 + 1.1 * rng.next()) * unit;
  // The hand wobbles: each point moves a little.
  const wobble = 0.035;
  const place = (x: number, y: number): [number, number] => {
    const dy = (y + wobble * (rng.next() - 0.5) - 0.5) * boxHeight;
    return [cx + (x + wobble * (rng.next() - 0.5) - 0.5) * boxWidth - slant * dy, cy + dy];
  };
  const points = DIGIT_PATHS[((digit % 10) + 10) % 10] ?? [];
  let previous = place(points[0] ?? 0, points[1] ?? 0);
  for (let i = 2; i + 1 < points.length; i += 2) {
    const next = place(points[i] as number, points[i + 1] as number);
    drawStroke(ink, width, height, previous, next, thickness);
    previous = next;
  }
  return ink;
}

/** Digits for an input of shape [N, C, H, W] (or any shape whose last two axes are H and W). */
export function digitData(name = 'input'): SyntheticData {
  return {
    kind: 'handwritten digits',
    inputs: { [name]: 'float32' },
    sample(shapes, seed) {
      const shape = shapes[name] ?? [1, 1, 28, 28];
      const height = shape.at(-2) ?? 28;
      const width = shape.at(-1) ?? 28;
      const plane = width * height;
      const out = new Float32Array(elements(shape));
      const pick = createRng(seed ^ 0x64696769);
      for (let at = 0; at < out.length; at += plane) {
        const ink = drawDigit(Math.floor(pick.next() * 10), (seed + at) | 0, width, height);
        for (let i = 0; i < plane; i++) out[at + i] = ((ink[i] as number) - MNIST_MEAN) / MNIST_STD;
      }
      return { [name]: out };
    },
  };
}
