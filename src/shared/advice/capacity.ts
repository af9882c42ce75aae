/**
 * Capacity: the largest sustained throughput at which a setup still meets a latency target,
 * read off its latency–throughput curve (one point per measured concurrency level). Between
 * two measured levels the curve is linear in (throughput, latency); beyond the highest level
 * nothing is assumed, so a capacity is never more than was measured.
 *
 * Batching: a batch of b serves b requests per run, and the first request of a batch waits
 * for b − 1 more to arrive — (b − 1) / λ at an arrival rate λ. That wait counts towards the
 * latency and must stay within the allowed batching delay, so batching pays only at loads
 * high enough to fill batches in time.
 */
import type { Capacity } from '../domain/advice';

export interface CurvePoint {
  concurrency: number;
  /** Aggregate requests (items) per second at this level. */
  throughputRps: number;
  /** Per-request latency at the target percentile, ms (Infinity: unbounded, as a CI's missing end). */
  latencyMs: number;
}

export interface CapacityOptions {
  /** Per-request latency target, ms; Infinity when there is none. */
  targetMs: number;
  batch: number;
  /** Longest a request may wait for its batch to fill, ms; Infinity when there is no latency bound. */
  maxBatchDelayMs: number;
}

export interface CapacityEstimate {
  maxThroughputRps: number | null;
  basis: 'measured' | 'interpolated' | 'none';
  /** Measured levels bracketing the capacity. */
  concurrency: [number, number] | null;
}

/** A request's wait for its batch to fill at an arrival rate of `rps` per instance, ms. */
export function batchWaitMs(batch: number, rps: number): number {
  if (batch <= 1) return 0;
  return rps > 0 ? ((batch - 1) / rps) * 1000 : Infinity;
}

/** Relative slack on comparisons, so that a capacity computed exactly at the target still meets it. */
const EPSILON = 1e-9;

/**
 * The points that can be operating points: by ascending concurrency, each raising the
 * throughput. A level that serves less than a lower one only queues requests, so it is
 * never the better choice and its throughput must not be interpolated towards.
 */
export function throughputFrontier<P extends CurvePoint>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => a.concurrency - b.concurrency);
  const frontier: P[] = [];
  for (const p of sorted) {
    const last = frontier[frontier.length - 1];
    if (!last || p.throughputRps > last.throughputRps) frontier.push(p);
  }
  return frontier;
}

/**
 * Per-request latency at a sustained load of `rps` on the frontier: linear between measured
 * levels; at or below the lowest level, that level's latency (a lighter load is not served
 * faster than one request at a time); null above the highest level (never extrapolated).
 */
export function latencyAtLoad(frontier: readonly CurvePoint[], rps: number): number | null {
  const first = frontier[0];
  if (!first) return null;
  if (rps <= first.throughputRps * (1 + EPSILON)) return first.latencyMs;
  for (let i = 1; i < frontier.length; i++) {
    const lo = frontier[i - 1] as CurvePoint;
    const hi = frontier[i] as CurvePoint;
    if (rps <= hi.throughputRps * (1 + EPSILON)) {
      if (rps >= hi.throughputRps) return hi.latencyMs;
      const t = (rps - lo.throughputRps) / (hi.throughputRps - lo.throughputRps);
      return lo.latencyMs + t * (hi.latencyMs - lo.latencyMs);
    }
  }
  return null;
}

/** Whether one instance of the setup meets the target at a sustained load of `rps`. */
export function meetsAtLoad(frontier: readonly CurvePoint[], rps: number, options: CapacityOptions): boolean {
  const latency = latencyAtLoad(frontier, rps);
  if (latency === null) return false;
  const wait = batchWaitMs(options.batch, rps);
  return wait <= options.maxBatchDelayMs * (1 + EPSILON) && latency + wait <= options.targetMs * (1 + EPSILON);
}

/**
 * The largest load in the measured range at which the setup meets the target. Cost:
 * O(levels). On the segment between two levels, latency + batch wait is
 * a + s·λ + c/λ — convex in λ — so where the target is crossed follows from a quadratic.
 */
export function sustainableThroughput(points: readonly CurvePoint[], options: CapacityOptions): CapacityEstimate {
  const frontier = throughputFrontier(points);
  const none: CapacityEstimate = { maxThroughputRps: null, basis: 'none', concurrency: null };
  const k = frontier.length;
  if (k === 0) return none;
  const at = (i: number): CurvePoint => frontier[i] as CurvePoint;
  const feasible = (i: number): boolean => meetsAtLoad(frontier, at(i).throughputRps, options);
  const measured = (i: number): CapacityEstimate => ({
    maxThroughputRps: at(i).throughputRps,
    basis: 'measured',
    concurrency: [at(i).concurrency, at(i).concurrency],
  });

  if (feasible(k - 1)) return measured(k - 1);
  for (let i = k - 2; i >= 0; i--) {
    const crossing = upwardCrossing(at(i), at(i + 1), options);
    if (crossing !== null) {
      if (crossing <= at(i).throughputRps * (1 + EPSILON)) return feasible(i) ? measured(i) : none;
      return { maxThroughputRps: crossing, basis: 'interpolated', concurrency: [at(i).concurrency, at(i + 1).concurrency] };
    }
    if (feasible(i)) return measured(i);
  }
  return none;
}

/**
 * Where latency + batch wait rises through the target between two levels (the largest such
 * load, if the wait there is within the batching delay); null when it does not.
 */
function upwardCrossing(lo: CurvePoint, hi: CurvePoint, options: CapacityOptions): number | null {
  if (!Number.isFinite(lo.latencyMs) || !Number.isFinite(hi.latencyMs) || !Number.isFinite(options.targetMs)) return null;
  const s = (hi.latencyMs - lo.latencyMs) / (hi.throughputRps - lo.throughputRps);
  const a = lo.latencyMs - s * lo.throughputRps;
  const c = Math.max(0, options.batch - 1) * 1000;
  const target = options.targetMs;
  // Roots of s·λ² + (a − target)·λ + c = 0.
  const roots: number[] = [];
  if (Math.abs(s) < 1e-300) {
    if (a !== target) roots.push(-c / (a - target));
  } else {
    const disc = (a - target) ** 2 - 4 * s * c;
    if (disc >= 0) {
      const sq = Math.sqrt(disc);
      roots.push((target - a + sq) / (2 * s), (target - a - sq) / (2 * s));
    }
  }
  const inside = roots
    .filter((r) => r >= lo.throughputRps * (1 - EPSILON) && r <= hi.throughputRps && s - c / (r * r) >= 0)
    .sort((x, y) => y - x);
  const r = inside[0];
  if (r === undefined) return null;
  const load = Math.max(r, lo.throughputRps);
  return batchWaitMs(options.batch, load) <= options.maxBatchDelayMs * (1 + EPSILON) ? load : null;
}

export interface UncertainCurvePoint extends CurvePoint {
  /** The percentile's CI ends; null where the samples cannot bound it. */
  latencyCiLowMs: number | null;
  latencyCiHighMs: number | null;
}

/**
 * Capacity with its uncertainty: the estimate, and the capacities the curve would have with
 * every percentile at the upper end of its CI (pessimistic, lowRps) or at the lower end
 * (optimistic, highRps).
 */
export function capacityOf(points: readonly UncertainCurvePoint[], options: CapacityOptions): Capacity {
  const estimate = sustainableThroughput(points, options);
  const pessimistic = sustainableThroughput(
    points.map((p) => ({ ...p, latencyMs: p.latencyCiHighMs ?? Infinity })),
    options,
  );
  const optimistic = sustainableThroughput(
    points.map((p) => ({ ...p, latencyMs: p.latencyCiLowMs ?? 0 })),
    options,
  );
  const sorted = [...points].sort((a, b) => a.concurrency - b.concurrency);
  const frontier = throughputFrontier(sorted);
  const highest = frontier[frontier.length - 1];
  const singleLevel = sorted.length === 1;
  const atHighestLevel = estimate.basis === 'measured' && highest !== undefined && estimate.maxThroughputRps === highest.throughputRps;
  const notes: string[] = [];
  if (singleLevel && sorted[0]) {
    notes.push(
      sorted[0].concurrency === 1
        ? 'Only concurrency 1 was measured: this is the throughput of one request at a time; what the setup sustains under more ' +
            'load is unknown.'
        : `Only concurrency ${sorted[0].concurrency} was measured: what the setup sustains at other loads is unknown.`,
    );
  } else if (atHighestLevel && highest) {
    notes.push(
      `The target is still met at the highest concurrency measured (${highest.concurrency}): the setup may sustain more; ` +
        `measure higher concurrency to know.`,
    );
  }
  for (const p of sorted) {
    if (!frontier.includes(p)) {
      const best = frontier.filter((f) => f.concurrency < p.concurrency).pop();
      if (best)
        notes.push(
          `Concurrency ${p.concurrency} served no more than concurrency ${best.concurrency} (${round(p.throughputRps)} vs ` +
            `${round(best.throughputRps)} req/s): the extra requests only queue.`,
        );
    }
  }
  return {
    maxThroughputRps: estimate.maxThroughputRps,
    basis: estimate.basis,
    concurrency: estimate.concurrency,
    lowRps: pessimistic.maxThroughputRps,
    highRps: optimistic.maxThroughputRps,
    atHighestLevel,
    singleLevel,
    notes,
  };
}

function round(x: number): string {
  return String(Number(x.toPrecision(3)));
}

export interface SweepPoint {
  concurrency: number;
  /** Per-request latency at the percentile the sweep watches, ms. */
  latencyMs: number;
  throughputRps: number;
}

export interface SweepOptions {
  /** Stop once the watched percentile exceeds this; no bound when absent. */
  targetMs?: number | null;
  /** Stop once doubling concurrency raised throughput by less than this share (default 5 %). */
  minGain?: number;
  maxConcurrency?: number;
}

export const SWEEP_MIN_GAIN = 0.05;
export const SWEEP_MAX_CONCURRENCY = 64;

/**
 * The next concurrency level of an adaptive sweep (1, 2, 4, …, as Triton perf_analyzer's
 * concurrency range), or null when the sweep is done: the percentile broke the target,
 * throughput stopped growing (the machine is saturated), or the cap is reached.
 */
export function nextConcurrency(measured: readonly SweepPoint[], options: SweepOptions = {}): number | null {
  const { targetMs = null, minGain = SWEEP_MIN_GAIN, maxConcurrency = SWEEP_MAX_CONCURRENCY } = options;
  const sorted = [...measured].sort((a, b) => a.concurrency - b.concurrency);
  const last = sorted[sorted.length - 1];
  if (!last) return 1;
  if (targetMs !== null && last.latencyMs > targetMs) return null;
  const previous = sorted[sorted.length - 2];
  if (previous && last.throughputRps < previous.throughputRps * (1 + minGain)) return null;
  const next = last.concurrency * 2;
  return next > maxConcurrency ? null : next;
}
