import { describe, expect, test } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatRatio,
  formatSignificant,
} from '../../../../src/shared/stats';

describe('formatMs', () => {
  test('µs below 1 ms, ms, s; three significant digits', () => {
    expect(formatMs(0.842)).toBe('842 µs');
    expect(formatMs(0.0421)).toBe('42.1 µs');
    expect(formatMs(0.00035)).toBe('350 ns');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(12)).toBe('12 ms');
    expect(formatMs(1.005)).toBe('1 ms');
    expect(formatMs(1250)).toBe('1.25 s');
    expect(formatMs(59_400)).toBe('59.4 s');
  });

  test('rounding up to 1000 moves to the next unit', () => {
    expect(formatMs(0.9997)).toBe('1 ms');
    expect(formatMs(999.7)).toBe('1 s');
  });

  test('minutes and hours for long session creation', () => {
    expect(formatMs(125_000)).toBe('2 min 5 s');
    expect(formatMs(3_720_000)).toBe('1 h 2 min');
  });

  test('zero, negative and missing', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(-12.34)).toBe('-12.3 ms');
    expect(formatMs(Number.NaN)).toBe('—');
    expect(formatMs(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('formatBytes (binary, IEC symbols)', () => {
  test('B, KiB, MiB, GiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1.5 * 2 ** 20)).toBe('1.5 MiB');
    expect(formatBytes(354_418_688)).toBe('338 MiB');
    expect(formatBytes(1.2 * 2 ** 30)).toBe('1.2 GiB');
    expect(formatBytes(2 ** 20 - 1)).toBe('1 MiB');
  });
});

describe('formatCount (SI prefixes)', () => {
  test('plain, k, M, G', () => {
    expect(formatCount(842)).toBe('842');
    expect(formatCount(1200)).toBe('1.2 k');
    expect(formatCount(3_400_000)).toBe('3.4 M');
    expect(formatCount(1_100_000_000)).toBe('1.1 G');
    expect(formatCount(12_345)).toBe('12.3 k');
    expect(formatCount(999_700)).toBe('1 M');
    expect(formatCount(0.5)).toBe('0.5');
    expect(formatCount(0)).toBe('0');
  });
});

describe('formatRate, formatPercent, formatRatio', () => {
  test('rates', () => {
    expect(formatRate(45.63)).toBe('45.6/s');
    expect(formatRate(1234, 'runs')).toBe('1.23 k runs/s');
    expect(formatRate(Number.NaN)).toBe('—');
  });

  test('percentages from fractions', () => {
    expect(formatPercent(0.123)).toBe('12.3 %');
    expect(formatPercent(0.0042, { digits: 2 })).toBe('0.42 %');
    expect(formatPercent(0.05, { signed: true })).toBe('+5.0 %');
    expect(formatPercent(-0.05, { signed: true })).toBe('-5.0 %');
    expect(formatPercent(-0.00001)).toBe('0.0 %');
    expect(formatPercent(1)).toBe('100.0 %');
  });

  test('ratios and significant digits', () => {
    expect(formatRatio(1.2345)).toBe('1.23×');
    expect(formatRatio(12)).toBe('12×');
    expect(formatSignificant(0.012345)).toBe('0.0123');
    expect(formatSignificant(123456)).toBe('123000');
    expect(formatSignificant(1.23456, 5)).toBe('1.2346');
  });
});
