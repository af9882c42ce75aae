/** Wording shared by the verdict, the CLI and the report, so a number reads the same everywhere. */
import type { LatencyPercentile, LatencyTarget } from '../domain/advice';
import { formatMs, formatSignificant, NO_CI_TEXT } from '../stats';

export const PERCENTILE_FRACTION: Readonly<Record<LatencyPercentile, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** Dollars with three significant digits, never fewer than cents: "$0.31", "$12.5", "$0.0042", "$1,234". */
export function formatUsd(dollars: number): string {
  if (!Number.isFinite(dollars)) return '—';
  if (dollars === 0) return '$0';
  if (Math.abs(dollars) >= 1000) return `$${Math.round(dollars).toLocaleString('en-US')}`;
  if (Math.abs(dollars) >= 0.01) {
    const sig = Number(dollars.toPrecision(3));
    return `$${sig.toFixed(Math.max(2, decimals(sig)))}`;
  }
  return `$${formatSignificant(dollars, 2)}`;
}

function decimals(x: number): number {
  const text = String(x);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Requests per second with thousands separators, three significant digits: "180 req/s", "2,400 req/s". */
export function formatRps(rps: number): string {
  if (!Number.isFinite(rps)) return '—';
  return `${Number(rps.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 3 })} req/s`;
}

/** "p95 ≤ 50 ms". */
export function formatTarget(target: LatencyTarget): string {
  return `${target.percentile} ≤ ${formatMs(target.ms)}`;
}

/** A median's CI as "9.5–10.2 ms", or NO_CI_TEXT when there are too few samples for one (either end null). */
export function formatMedianCi(low: number | null, high: number | null): string {
  return low === null || high === null ? NO_CI_TEXT : formatMsRange(low, high);
}

/** "9.5–10.2 ms" for two values in ms, with "≥ x" / "≤ x" where an end is unbounded. */
export function formatMsRange(low: number | null, high: number | null): string {
  if (low === null && high === null) return 'unbounded';
  if (low === null) return `≤ ${formatMs(high as number)}`;
  if (high === null) return `≥ ${formatMs(low)} (no upper bound from these samples)`;
  const a = formatMs(low);
  const b = formatMs(high);
  // "35.9–36.6 µs" rather than "35.9 µs–36.6 µs" when both ends share a unit.
  const unitA = a.slice(a.lastIndexOf(' ') + 1);
  if (a.split(' ').length === 2 && b.split(' ').length === 2 && unitA === b.slice(b.lastIndexOf(' ') + 1)) return `${a.split(' ')[0]}–${b}`;
  return `${a}–${b}`;
}

export function formatJoules(joules: number): string {
  if (!Number.isFinite(joules)) return '—';
  if (joules >= 1) return `${formatSignificant(joules)} J`;
  if (joules >= 1e-3) return `${formatSignificant(joules * 1e3)} mJ`;
  return `${formatSignificant(joules * 1e6)} µJ`;
}
