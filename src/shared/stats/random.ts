/**
 * A small seeded PRNG so that benchmark inputs, bootstrap intervals and tests
 * are reproducible: the same seed gives the same numbers on every machine and
 * in every JS engine (only 32-bit integer arithmetic and Math.log/cos/sin,
 * which are used for normal() alone).
 *
 * Generator: xoshiro128** (Blackman & Vigna), state seeded from the 32-bit
 * seed by a splitmix-style integer hash so that nearby seeds give unrelated
 * streams. Not cryptographic.
 */

export interface Rng {
  /** Uniform in [0, 1), 53 random bits. */
  next(): number;
  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number;
  /** Uniform integer in [lo, hi) — half-open like array indices; unbiased (rejection sampling). */
  nextInt(lo: number, hi: number): number;
  /** Normal deviate (Box–Muller), mean 0 and standard deviation 1 unless given. */
  normal(mean?: number, stdev?: number): number;
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Integer hash that spreads a counter over all 32 bits (splitmix32 finaliser). */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * `seed` is any integer (or finite number; it is truncated to 32 bits), so
 * callers can pass a configuration index or a user-typed seed directly.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng: seed must be a finite number, got ${seed}`);
  let counter = Math.trunc(seed) | 0;
  const nextSeedWord = (): number => {
    counter = (counter + 0x9e3779b9) | 0;
    return mix32(counter);
  };
  let s0 = nextSeedWord();
  let s1 = nextSeedWord();
  let s2 = nextSeedWord();
  let s3 = nextSeedWord();
  // xoshiro's only forbidden state; the hash makes it practically unreachable, but cheap to rule out.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  // Box–Muller yields deviates in pairs; the second one is kept for the next call.
  let spareNormal: number | undefined;

  return {
    nextUint32,
    next(): number {
      const high = nextUint32() >>> 5; // 27 bits
      const low = nextUint32() >>> 6; // 26 bits
      return (high * 0x400_0000 + low) / TWO_POW_53;
    },
    nextInt(lo: number, hi: number): number {
      if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi <= lo) {
        throw new RangeError(`nextInt: need integers lo < hi, got [${lo}, ${hi})`);
      }
      const range = hi - lo;
      if (range > TWO_POW_32) throw new RangeError(`nextInt: range ${range} exceeds 2^32`);
      // Reject the top partial block of 2^32 so every residue is equally likely.
      const limit = TWO_POW_32 - (TWO_POW_32 % range);
      let u = nextUint32();
      while (u >= limit) u = nextUint32();
      return lo + (u % range);
    },
    normal(mean = 0, stdev = 1): number {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return mean + stdev * z;
      }
      const u1 = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      spareNormal = r * Math.sin(theta);
      return mean + stdev * r * Math.cos(theta);
    },
  };
}
