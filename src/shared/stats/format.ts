/**
 * Number formatting shared by the UI, the CLI and the report, so the same
 * value reads the same everywhere. One rule throughout: three significant
 * digits, trailing zeros dropped, a space before the unit ("12.3 ms",
 * "1.5 MiB", "1.2 k"). Non-finite values print as an em dash.
 *
 * Bytes are binary with IEC symbols (1 KiB = 1024 B): memory — RSS, GPU memory
 * as nvidia-smi reports it — is counted in powers of two, and the "i" keeps the
 * number from being read as decimal.
 */

const MISSING = '—';
const SIGNIFICANT_DIGITS = 3;

interface Unit {
  symbol: string;
  /** How many base units one of this unit holds. */
  size: number;
}

const TIME_UNITS: readonly Unit[] = [
  { symbol: 'ns', size: 1e-6 },
  { symbol: 'µs', size: 1e-3 },
  { symbol: 'ms', size: 1 },
  { symbol: 's', size: 1e3 },
];

const BYTE_UNITS: readonly Unit[] = [
  { symbol: 'B', size: 1 },
  { symbol: 'KiB', size: 2 ** 10 },
  { symbol: 'MiB', size: 2 ** 20 },
  { symbol: 'GiB', size: 2 ** 30 },
  { symbol: 'TiB', size: 2 ** 40 },
  { symbol: 'PiB', size: 2 ** 50 },
];

const COUNT_UNITS: readonly Unit[] = [
  { symbol: '', size: 1 },
  { symbol: 'k', size: 1e3 },
  { symbol: 'M', size: 1e6 },
  { symbol: 'G', size: 1e9 },
  { symbol: 'T', size: 1e12 },
];

/** Round to `digits` significant digits and drop trailing zeros: 12.0 → "12", 1.2345 → "1.23". */
export function formatSignificant(value: number, digits: number = SIGNIFICANT_DIGITS): string {
  if (!Number.isFinite(value)) return MISSING;
  return String(Number(value.toPrecision(digits)));
}

/**
 * Largest unit in which the value is at least 1; moved up one more when
 * rounding makes it 1000 (999.7 µs reads "1 ms", not "1000 µs").
 */
function withUnit(value: number, units: readonly Unit[]): string {
  if (!Number.isFinite(value)) return MISSING;
  const sign = value < 0 ? '-' : '';
  const magnitude = Math.abs(value);
  let index = 0;
  while (index + 1 < units.length && magnitude >= (units[index + 1] as Unit).size) index++;
  let unit = units[index] as Unit;
  let rounded = Number((magnitude / unit.size).toPrecision(SIGNIFICANT_DIGITS));
  const larger = units[index + 1];
  if (rounded >= 1000 && larger !== undefined) {
    unit = larger;
    rounded = Number((magnitude / unit.size).toPrecision(SIGNIFICANT_DIGITS));
  }
  const number = `${sign}${String(rounded)}`;
  return unit.symbol === '' ? number : `${number} ${unit.symbol}`;
}

/** Shown wherever a median's CI would be when the samples are too few for one (n < 6 at 95 %). */
export const NO_CI_TEXT = 'too few runs for a CI';

/**
 * A duration given in milliseconds: "842 µs", "12.3 ms", "1.25 s"; from one
 * minute on in minutes and seconds ("2 min 5 s"), from one hour on in hours
 * and minutes ("1 h 2 min") — session creation with TensorRT can take that long.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  if (ms === 0) return '0 ms';
  if (Math.abs(ms) >= 60_000) {
    const sign = ms < 0 ? '-' : '';
    const totalSeconds = Math.round(Math.abs(ms) / 1000);
    const hours = Math.floor(totalSeconds / 3600);
    const minutes = Math.floor((totalSeconds % 3600) / 60);
    const seconds = totalSeconds % 60;
    if (hours > 0) return `${sign}${hours} h ${minutes} min`;
    return `${sign}${minutes} min ${seconds} s`;
  }
  return withUnit(ms, TIME_UNITS);
}

/** A byte count in binary IEC units: "512 B", "1.5 KiB", "338 MiB", "1.2 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return MISSING;
  // Below 1 KiB bytes are whole; rounding 1000 B to "1000 B" is exact, not a lost digit.
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`;
  return withUnit(bytes, BYTE_UNITS);
}

/** A count with SI prefixes: "842", "1.2 k", "3.4 M", "1.1 G". */
export function formatCount(n: number): string {
  return withUnit(n, COUNT_UNITS);
}

/** A rate per second: formatRate(1234, 'runs') → "1.23 k runs/s"; formatRate(45.6) → "45.6/s". */
export function formatRate(perSecond: number, unit?: string): string {
  if (!Number.isFinite(perSecond)) return MISSING;
  const count = formatCount(perSecond);
  if (unit === undefined || unit === '') return `${count}/s`;
  return `${count} ${unit}/s`;
}

export interface PercentOptions {
  /** Decimal places; default 1. */
  digits?: number;
  /** Prefix positive values with "+" (for changes such as "+12.3 %"). */
  signed?: boolean;
}

/** A fraction as a percentage: formatPercent(0.123) → "12.3 %". */
export function formatPercent(fraction: number, options: PercentOptions = {}): string {
  if (!Number.isFinite(fraction)) return MISSING;
  const { digits = 1, signed = false } = options;
  let text = (fraction * 100).toFixed(digits);
  // toFixed keeps the sign of tiny negatives ("-0.0"), which reads as a real change.
  if (Number(text) === 0) text = (0).toFixed(digits);
  const plus = signed && Number(text) > 0 ? '+' : '';
  return `${plus}${text} %`;
}

/** A speed-up or ratio: formatRatio(1.234) → "1.23×". */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return MISSING;
  return `${formatSignificant(ratio)}×`;
}
