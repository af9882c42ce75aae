/** Drawing helpers of the synthetic sample data: anti-aliased strokes and smooth value noise. */
import type { Rng } from '../rng';

/**
 * Ink of a straight stroke from (x0, y0) to (x1, y1), `thickness` pixels wide with an
 * anti-aliased edge, added into `ink` (height × width, values 0…1, the darker of overlaps kept).
 */
export function drawStroke(
  ink: Float32Array,
  width: number,
  height: number,
  from: [number, number],
  to: [number, number],
  thickness: number,
): void {
  const [x0, y0] = from;
  const [x1, y1] = to;
  const pad = thickness + 1;
  const left = Math.max(0, Math.floor(Math.min(x0, x1) - pad));
  const right = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + pad));
  const top = Math.max(0, Math.floor(Math.min(y0, y1) - pad));
  const bottom = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + pad));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length2 = dx * dx + dy * dy || 1;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      // Distance from the pixel centre to the segment.
      const px = x + 0.5;
      const py = y + 0.5;
      const t = Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / length2));
      const ex = px - (x0 + t * dx);
      const ey = py - (y0 + t * dy);
      const distance = Math.sqrt(ex * ex + ey * ey);
      const coverage = Math.max(0, Math.min(1, thickness / 2 + 0.5 - distance));
      const i = y * width + x;
      if (coverage > (ink[i] as number)) ink[i] = coverage;
    }
  }
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

/**
 * Smooth noise over a height × width image: random values on a coarse grid of `cells` × `cells`,
 * blended with a smoothstep. Summed over octaves it gives the 1/f look of natural images.
 */
export function valueNoise(rng: Rng, width: number, height: number, cells: number): Float32Array {
  const grid = new Float32Array((cells + 1) * (cells + 1));
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = (y / height) * cells;
    const y0 = Math.floor(gy);
    const ty = smooth(gy - y0);
    for (let x = 0; x < width; x++) {
      const gx = (x / width) * cells;
      const x0 = Math.floor(gx);
      const tx = smooth(gx - x0);
      const at = (cx: number, cy: number): number => grid[cy * (cells + 1) + cx] as number;
      const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
      const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Product of the sizes: elements of a tensor of this shape. */
export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
