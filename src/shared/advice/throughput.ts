/**
 * What a throughput figure is, in one place for the app, the CLI and the report
 * (docs/measurement.md#throughput), and why a throughput ratio can point the other way than the
 * ratio of medians beside it.
 *
 * The measured rate is every run completed in the measuring window over that window (× the batch
 * fed, for items): slow runs and the time between runs count in it. The median does not see them.
 * The latency-derived capacity, concurrency × batch ÷ median, is what the median alone would allow.
 */
import { formatCount, formatPercent, formatRatio } from '../stats/format';

/** Column heading of the measured rate in items. */
export const ITEMS_PER_SEC_HEADING = 'Items/s';
/** The measured rate in items: one definition, shown as a header tooltip or a definition line everywhere. */
export const ITEMS_PER_SEC_DEFINITION =
  'Items/s: runs completed in the measuring window × the batch fed, ÷ the window — ' +
  'slow runs and the time between runs count, unlike the median';
/** The measured rate in runs. */
export const RUNS_PER_SEC_DEFINITION =
  'Runs/s: runs completed in the measuring window ÷ the window (all requests in flight together) — ' +
  'slow runs and the time between runs count';
/** What the median alone would allow. */
export const MEDIAN_CAPACITY_DEFINITION =
  'From the median: requests in flight × batch ÷ median latency — what runs at the median pace, without gaps, would give';
/** The ratio of measured rates beside a comparison. */
export const ITEMS_RATIO_DEFINITION = 'Items/s against the baseline: above 1 is more items per second';
/** Capacity in the Decide view and the report: a measured rate, not one derived from the median. */
export const CAPACITY_DEFINITION =
  'Capacity: the highest measured items/s (runs completed in the measuring window × batch ÷ the window) ' +
  'at which the requirement is still met';

/** A ratio counts as pointing one way only beyond this (the comparisons' 2 % floor). */
export const RATIO_FLOOR = 0.02;
/** Beyond this factor between the two speed-ups, the figures need a reason even when both point the same way. */
export const RATIO_APART = 1.25;
/** A mean run this many times the median means slow runs weigh in the measured rate. */
const SLOW_RUNS_FACTOR = 1.1;
/** Runs filling less of the window than this leave gaps worth naming. */
const BUSY_SHARE_MIN = 0.9;

/** What a measured rate rests on; all fields as a run document's configuration keeps them. */
export interface RateSource {
  batch: number;
  concurrency: number;
  measureMs: number | null;
  latencyMs: { median: number; mean: number; count: number } | null;
  throughput: { runsPerSec: number; itemsPerSec: number } | null;
}

export interface RateBreakdown {
  /** Items per run actually fed (items/s ÷ runs/s; the asked batch when runs/s is 0). */
  itemsPerRun: number;
  /** concurrency × items per run ÷ median, per second. */
  medianCapacity: number;
  /** Mean run ÷ median run: above 1, slow runs take more of the window than the median suggests. */
  meanOverMedian: number;
  /** Share of the window (× requests in flight) spent inside timed runs; null without a window. */
  busyShare: number | null;
}

/** How a configuration's measured items/s relates to its median; null when it has no measurement. */
export function rateBreakdown(c: RateSource): RateBreakdown | null {
  const stats = c.latencyMs;
  if (!stats || !c.throughput || !(stats.median > 0)) return null;
  const itemsPerRun = c.throughput.runsPerSec > 0 ? c.throughput.itemsPerSec / c.throughput.runsPerSec : c.batch;
  const busy = c.measureMs && c.measureMs > 0 ? (stats.mean * stats.count) / (c.concurrency * c.measureMs) : null;
  return {
    itemsPerRun,
    medianCapacity: (c.concurrency * itemsPerRun * 1000) / stats.median,
    meanOverMedian: stats.mean / stats.median,
    busyShare: busy === null ? null : Math.min(1, busy),
  };
}

/** "mean run 10× the median; runs filled 62 % of the window" — empty when the rate follows the median. */
export function rateBreakdownText(c: RateSource): string {
  const b = rateBreakdown(c);
  if (!b) return '';
  const parts: string[] = [];
  if (b.meanOverMedian >= SLOW_RUNS_FACTOR) parts.push(`the mean run took ${formatRatio(b.meanOverMedian)} the median (slow runs)`);
  if (b.busyShare !== null && b.busyShare < BUSY_SHARE_MIN)
    parts.push(`runs filled ${formatPercent(b.busyShare, { digits: 0 })} of the window`);
  parts.push(`${formatCount(b.medianCapacity)} items/s from the median`);
  return parts.join('; ');
}

/** rateBreakdownText where the measured rate needs explaining (slow runs or gaps between runs), else null. */
export function rateNote(c: RateSource): string | null {
  const b = rateBreakdown(c);
  if (!b) return null;
  const gaps = b.busyShare !== null && b.busyShare < BUSY_SHARE_MIN;
  return b.meanOverMedian >= SLOW_RUNS_FACTOR || gaps ? rateBreakdownText(c) : null;
}

/** The sign of a speed-up beyond the floor: 1 faster, -1 slower, 0 neither. */
function direction(speedup: number): number {
  if (speedup > 1 + RATIO_FLOOR) return 1;
  if (speedup < 1 - RATIO_FLOOR) return -1;
  return 0;
}

/**
 * Why the measured items/s ratio (other ÷ base) and the ratio of medians disagree, in words, or null
 * when they agree: they point opposite ways beyond the 2 % floor, or lie more than RATIO_APART apart.
 * The reasons named: batch fed, requests in flight, slow runs (mean far above median), gaps between runs.
 */
export function throughputMismatch(base: RateSource, other: RateSource): string | null {
  const a = rateBreakdown(base);
  const b = rateBreakdown(other);
  if (!a || !b || !base.latencyMs || !other.latencyMs || !base.throughput || !other.throughput) return null;
  if (!(base.throughput.itemsPerSec > 0) || !(other.throughput.itemsPerSec > 0)) return null;
  const byMedian = base.latencyMs.median / other.latencyMs.median;
  const byRate = other.throughput.itemsPerSec / base.throughput.itemsPerSec;
  const opposite = direction(byMedian) * direction(byRate) < 0;
  const apart = Math.max(byMedian / byRate, byRate / byMedian) > RATIO_APART;
  if (!opposite && !apart) return null;
  const reasons: string[] = [];
  if (Math.abs(a.itemsPerRun - b.itemsPerRun) > 1e-9)
    reasons.push(`batch ${formatCount(b.itemsPerRun)} against ${formatCount(a.itemsPerRun)}`);
  if (base.concurrency !== other.concurrency) reasons.push(`${other.concurrency} requests in flight against ${base.concurrency}`);
  const slowRatio = b.meanOverMedian / a.meanOverMedian;
  if (slowRatio > SLOW_RUNS_FACTOR || slowRatio < 1 / SLOW_RUNS_FACTOR) {
    reasons.push(
      `slow runs: the mean run took ${formatRatio(b.meanOverMedian)} its median here, ${formatRatio(a.meanOverMedian)} in the baseline`,
    );
  }
  const busyA = a.busyShare;
  const busyB = b.busyShare;
  if (busyA !== null && busyB !== null && Math.min(busyA, busyB) < BUSY_SHARE_MIN && Math.abs(busyA - busyB) > 0.05) {
    const here = formatPercent(busyB, { digits: 0 });
    reasons.push(
      `gaps between runs: runs filled ${here} of the measuring window here, ${formatPercent(busyA, { digits: 0 })} in the baseline`,
    );
  }
  const lead = `Items/s ${formatRatio(byRate)} while the medians give ${formatRatio(byMedian)}`;
  return reasons.length > 0 ? `${lead}: ${reasons.join('; ')}.` : `${lead}: the measuring windows differ in what the median does not see.`;
}
