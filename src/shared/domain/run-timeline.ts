import type { ConfigResult } from './run';

/** A timeline of more buckets than this is no more readable, only slower to draw. */
export const TIMELINE_BUCKETS = 300;

export interface TimelinePoint {
  /** Seconds since measuring began (repetitions end to end). */
  x: number;
  /** Latency, ms. */
  y: number;
}

export interface TimelineBoundary {
  /** Where the repetition's measuring begins, s. */
  atS: number;
  /** 1-based, as in the repetitions table. */
  index: number;
}

export interface RunTimeline {
  /**
   * Latency over time: every sample when there are few, otherwise the median of each of at most
   * {@link TIMELINE_BUCKETS} equal slices of time (a level that moves is throttling or drift), read
   * from an even sample of the slice's samples.
   */
  line: TimelinePoint[];
  /** The slowest sample of each slice when the line is of medians (spikes); empty when every sample is shown. */
  peaks: TimelinePoint[];
  /** Whether `line` is of slice medians rather than single samples. */
  bucketed: boolean;
  /** Warm-up before the first measured sample, s (it is not recorded: a band before 0); null when there was none. */
  warmupS: number | null;
  /** Where each repetition after the first begins: a fresh worker process. */
  boundaries: TimelineBoundary[];
  /** End of the last repetition's measuring, s. */
  endS: number;
  /** Samples drawn, in all. */
  total: number;
}

type TimelineConfig = Pick<ConfigResult, 'samples' | 'samplesPerThread' | 'measureMs' | 'warmup' | 'repetitions'>;

/** A stretch of back-to-back measuring in one process: its samples, split by request stream. */
interface Segment {
  index: number;
  first: number;
  /** Samples per request stream (thread), in the order they are stored. */
  threads: number[];
  measureMs: number | null;
}

/**
 * Stored samples carry no timestamps, but each request stream runs back to back: a sample starts
 * when the one before it in its stream ended. Each repetition (process) is one segment; its
 * streams are the next entries of `samplesPerThread` whose counts add up to its samples. When they
 * do not (an older document), the repetition is taken as one stream.
 */
function segmentsOf(config: TimelineConfig): Segment[] {
  const perThread = config.samplesPerThread;
  const fallbackThreads = (count: number, from: number): number[] => {
    const sum = perThread.reduce((a, b) => a + b, 0);
    return from === 0 && sum === count && perThread.length > 0 ? [...perThread] : [count];
  };
  if (config.repetitions.length === 0) {
    const count = config.samples.length;
    return count > 0 ? [{ index: 1, first: 0, threads: fallbackThreads(count, 0), measureMs: config.measureMs }] : [];
  }
  const segments: Segment[] = [];
  let cursor = 0;
  for (const repetition of config.repetitions) {
    if (repetition.sampleCount === 0) continue;
    const threads: number[] = [];
    let sum = 0;
    while (sum < repetition.sampleCount && cursor < perThread.length) {
      const n = perThread[cursor++] as number;
      threads.push(n);
      sum += n;
    }
    segments.push({
      index: repetition.index,
      first: repetition.firstSample,
      threads: sum === repetition.sampleCount ? threads : [repetition.sampleCount],
      measureMs: repetition.measureMs,
    });
  }
  return segments;
}

/**
 * Places every sample of a segment in time (its midpoint, s from `offsetS`), calling `place` for
 * each; returns how long the segment lasted, s. Streams are stretched to the measured window so
 * that gaps between runs (reading inputs, the loop itself) are spread evenly rather than piling up at the end.
 */
function placeSegment(samples: readonly number[], segment: Segment, offsetS: number, place: (atS: number, ms: number) => void): number {
  let start = segment.first;
  let longestMs = 0;
  const sums = segment.threads.map((count) => {
    let sum = 0;
    for (let i = start; i < start + count; i++) sum += samples[i] as number;
    start += count;
    longestMs = Math.max(longestMs, sum);
    return sum;
  });
  const windowMs = segment.measureMs !== null && segment.measureMs > 0 ? segment.measureMs : longestMs;
  start = segment.first;
  segment.threads.forEach((count, t) => {
    const scale = (sums[t] as number) > 0 ? windowMs / (sums[t] as number) : 1;
    let elapsedMs = 0;
    for (let i = start; i < start + count; i++) {
      const ms = samples[i] as number;
      place(offsetS + ((elapsedMs + ms / 2) * scale) / 1000, ms);
      elapsedMs += ms;
    }
    start += count;
  });
  return windowMs / 1000;
}

/**
 * The timeline of one configuration's measuring: latency against time since measuring began,
 * repetitions (fresh processes) end to end with a boundary where each begins, and the first
 * process's warm-up as a band before 0. Few samples are drawn one by one; many are summarised
 * per slice of time (median and slowest), so the chart stays at a few hundred points for any run.
 */
export function runTimeline(config: TimelineConfig, buckets: number = TIMELINE_BUCKETS): RunTimeline {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`runTimeline: buckets must be a positive integer, got ${buckets}`);
  const warmupS = config.warmup && config.warmup.ms > 0 ? config.warmup.ms / 1000 : null;
  const segments = segmentsOf(config);
  const total = segments.reduce((sum, s) => sum + s.threads.reduce((a, b) => a + b, 0), 0);
  const xs = new Float64Array(total);
  const ys = new Float64Array(total);
  const boundaries: TimelineBoundary[] = [];
  let n = 0;
  let offsetS = 0;
  segments.forEach((segment, k) => {
    if (k > 0) boundaries.push({ atS: offsetS, index: segment.index });
    offsetS += placeSegment(config.samples, segment, offsetS, (x, y) => {
      xs[n] = x;
      ys[n] = y;
      n += 1;
    });
  });
  const endS = offsetS;
  if (total <= buckets * 2) {
    const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
    const line = order.map((i) => ({ x: xs[i] as number, y: ys[i] as number }));
    return { line, peaks: [], bucketed: false, warmupS, boundaries, endS, total };
  }
  const { line, peaks } = sliceSummaries(xs, ys, endS, buckets);
  return { line, peaks, bucketed: true, warmupS, boundaries, endS, total };
}

/** A slice's median is read from at most this many of its samples, evenly spread (its slowest from all of them). */
const SLICE_MEDIAN_SAMPLES = 63;

/**
 * Median and slowest sample of each of `buckets` equal slices of [0, endS): samples grouped by
 * slice with a counting sort, then each slice read once. O(samples), so the chart of a long run
 * is ready in a few milliseconds.
 */
function sliceSummaries(
  xs: Float64Array,
  ys: Float64Array,
  endS: number,
  buckets: number,
): { line: TimelinePoint[]; peaks: TimelinePoint[] } {
  const width = endS > 0 ? endS / buckets : 1;
  const sliceOf = (x: number) => Math.min(buckets - 1, Math.max(0, Math.floor(x / width)));
  // Plain indexed loops: TypedArray.from with a map function and forEach went through the
  // iteration protocol, which made this several times slower for a long run.
  const slices = new Uint32Array(xs.length);
  for (let i = 0; i < xs.length; i++) slices[i] = sliceOf(xs[i] as number);
  // starts[b]: where slice b begins among the samples grouped by slice.
  const starts = new Uint32Array(buckets + 1);
  for (let i = 0; i < slices.length; i++) {
    const b = slices[i] as number;
    starts[b + 1] = (starts[b + 1] as number) + 1;
  }
  for (let b = 0; b < buckets; b++) starts[b + 1] = (starts[b + 1] as number) + (starts[b] as number);
  const next = starts.slice(0, buckets);
  const grouped = new Float64Array(ys.length);
  for (let i = 0; i < slices.length; i++) {
    const b = slices[i] as number;
    const at = next[b] as number;
    grouped[at] = ys[i] as number;
    next[b] = at + 1;
  }
  const line: TimelinePoint[] = [];
  const peaks: TimelinePoint[] = [];
  const picked = new Float64Array(SLICE_MEDIAN_SAMPLES);
  for (let b = 0; b < buckets; b++) {
    const from = starts[b] as number;
    const count = (starts[b + 1] as number) - from;
    if (count === 0) continue;
    let slowest = -Infinity;
    for (let i = from; i < from + count; i++) slowest = Math.max(slowest, grouped[i] as number);
    const k = Math.min(count, SLICE_MEDIAN_SAMPLES);
    for (let j = 0; j < k; j++) picked[j] = grouped[from + Math.floor((j * count) / k)] as number;
    const sorted = picked.subarray(0, k).sort();
    const mid = (k - 1) / 2;
    const x = (b + 0.5) * width;
    line.push({ x, y: ((sorted[Math.floor(mid)] as number) + (sorted[Math.ceil(mid)] as number)) / 2 });
    peaks.push({ x, y: slowest });
  }
  return { line, peaks };
}
