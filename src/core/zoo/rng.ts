/**
 * The zoo's own seeded generator. Sample files are cached on disk under a version number, so
 * their bytes must depend only on code in this folder: a change to a shared statistics helper
 * must not silently change what a cached "mnist-cnn-v1.onnx" would contain.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}

/** mulberry32: 32-bit state, fast, and plenty for weight initialization. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spare: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { next, normal };
}

/** `count` values drawn from N(mean, std²), as float32. */
export function normalArray(rng: Rng, count: number, std: number, mean = 0): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = mean + std * rng.normal();
  return values;
}

/** `count` values uniform in [low, high), as float32. */
export function uniformArray(rng: Rng, count: number, low: number, high: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = low + (high - low) * rng.next();
  return values;
}
