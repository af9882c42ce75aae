/**
 * The report's charts as inline SVG: latency distributions, the latency–throughput curve
 * with the target, batch scaling, and speed against quality for model variants.
 */
import type { Histogram } from '../../shared/stats';
import { formatCount, formatMs } from '../../shared/stats';
import {
  autoScale,
  color,
  esc,
  LabelPlacer,
  legend,
  legendRows,
  linearScale,
  logScale,
  n,
  plotArea,
  svgOpen,
  textWidth,
  X_AXIS_DEPTH,
  xAxis,
  yAxis,
  type Frame,
} from './svg';

export interface BoxSeries {
  label: string;
  min: number;
  q1: number;
  median: number;
  q3: number;
  p99: number;
  max: number;
}

/** Horizontal box plots: box = quartiles, bar = median, whiskers = min to p99, dot = max. */
export function latencyBoxChart(series: readonly BoxSeries[], title = 'Latency distribution per configuration'): string {
  const labelWidth = Math.min(300, Math.max(60, ...series.map((s) => textWidth(s.label) + 10)));
  const rowHeight = 18;
  const f: Frame = {
    width: 680,
    height: 14 + X_AXIS_DEPTH + rowHeight * Math.max(1, series.length),
    left: labelWidth,
    right: 16,
    top: 10,
    bottom: X_AXIS_DEPTH,
  };
  const { x0, x1, y1 } = plotArea(f);
  const values = series.flatMap((s) => [s.min, s.max]);
  const scale = autoScale(values, [x0, x1]);
  const parts = [
    svgOpen(
      f,
      title,
      `Box plot of per-request latency for ${series.length} configurations; ${scale.log ? 'logarithmic' : 'linear'} time axis.`,
    ),
  ];
  parts.push(xAxis(f, scale, formatMs, `per-request latency${scale.log ? ' (log scale)' : ''}`));
  series.forEach((s, i) => {
    const cy = y1 + 8 + i * rowHeight + rowHeight / 2;
    const c = color(i);
    parts.push(`<text x="${n(x0 - 6)}" y="${n(cy + 3)}" text-anchor="end">${esc(s.label)}</text>`);
    parts.push(`<line x1="${n(scale(s.min))}" y1="${n(cy)}" x2="${n(scale(s.p99))}" y2="${n(cy)}" stroke="${c}" stroke-width="1" />`);
    parts.push(`<line x1="${n(scale(s.min))}" y1="${n(cy - 4)}" x2="${n(scale(s.min))}" y2="${n(cy + 4)}" stroke="${c}" />`);
    parts.push(`<line x1="${n(scale(s.p99))}" y1="${n(cy - 4)}" x2="${n(scale(s.p99))}" y2="${n(cy + 4)}" stroke="${c}" />`);
    const bx = scale(s.q1);
    parts.push(
      `<rect class="box" x="${n(bx)}" y="${n(cy - 6)}" width="${n(Math.max(1, scale(s.q3) - bx))}" height="12" fill="${c}" ` +
        `fill-opacity="0.25" stroke="${c}" />`,
    );
    parts.push(
      `<line x1="${n(scale(s.median))}" y1="${n(cy - 6)}" x2="${n(scale(s.median))}" y2="${n(cy + 6)}" stroke="${c}" stroke-width="2" />`,
    );
    parts.push(`<circle cx="${n(scale(s.max))}" cy="${n(cy)}" r="2" fill="${c}" />`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface CurveSeries {
  label: string;
  points: { x: number; y: number; tag?: string }[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  formatX: (v: number) => string;
  formatY: (v: number) => string;
  /** A horizontal reference line, e.g. the latency target. */
  hLine?: { y: number; label: string };
  logX?: boolean;
}

/** Lines through points with optional tags (concurrency levels) and a dashed reference line. */
export function lineChart(series: readonly CurveSeries[], options: LineChartOptions): string {
  const labels = series.map((s) => s.label).concat(options.hLine ? [options.hLine.label] : []);
  const rows = legendRows({ width: 680, left: 64 }, labels);
  const f: Frame = { width: 680, height: 256 + rows * 13, left: 64, right: 20, top: 12, bottom: X_AXIS_DEPTH + 14 + rows * 13 };
  const { x0, x1, y0, y1 } = plotArea(f);
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).concat(options.hLine ? [options.hLine.y] : []);
  const xScale = options.logX ? logScale([Math.min(...xs), Math.max(...xs)], [x0, x1]) : linearScale([0, Math.max(...xs, 0)], [x0, x1]);
  const yScale = autoScale(ys, [y0, y1]);
  const parts = [svgOpen(f, options.title, `${options.yLabel} against ${options.xLabel} for ${series.length} series.`)];
  parts.push(xAxis({ ...f, bottom: f.bottom }, xScale, options.formatX, options.xLabel));
  parts.push(yAxis(f, yScale, options.formatY, `${options.yLabel}${yScale.log ? ' (log)' : ''}`));
  // Point tags (c1, b8, …) go beside their point where they touch no other tag or dot, or are left out.
  const tags = new LabelPlacer({ x0: x0 + 1, y0: y1, x1: f.width - 2, y1: y0 - 1 });
  for (const s of series) for (const p of s.points) tags.block(dot(xScale(p.x), yScale(p.y)));
  series.forEach((s, i) => {
    const c = color(i);
    const pts = s.points.map((p) => `${n(xScale(p.x))},${n(yScale(p.y))}`).join(' ');
    if (s.points.length > 1) parts.push(`<polyline class="series" points="${pts}" fill="none" stroke="${c}" stroke-width="1.5" />`);
    for (const p of s.points) {
      const [px, py] = [xScale(p.x), yScale(p.y)];
      parts.push(`<circle cx="${n(px)}" cy="${n(py)}" r="2.5" fill="${c}" />`);
      const at = p.tag ? tags.place(p.tag, tagCandidates(px, py)) : '';
      if (at) parts.push(`${at} fill="${c}">${esc(p.tag as string)}</text>`);
    }
  });
  const entries: { label: string; color: string; dashed?: boolean }[] = series.map((s, i) => ({ label: s.label, color: color(i) }));
  if (options.hLine) {
    const y = yScale(options.hLine.y);
    parts.push(
      `<line class="target" x1="${n(x0)}" y1="${n(y)}" x2="${n(x1)}" y2="${n(y)}" stroke="#B00020" stroke-width="1.5" ` +
        `stroke-dasharray="5 4" />`,
    );
    entries.push({ label: options.hLine.label, color: '#B00020', dashed: true });
  }
  parts.push(legend(f, entries, f.height - f.bottom + X_AXIS_DEPTH + 14));
  parts.push('</svg>');
  return parts.join('');
}

/** Bars of a latency histogram (one configuration). */
export function histogramChart(h: Histogram, title: string): string {
  const f: Frame = { width: 330, height: 152, left: 44, right: 8, top: 8, bottom: X_AXIS_DEPTH };
  const { x0, x1, y0, y1 } = plotArea(f);
  const lo = h.edges[0] ?? 0;
  const hi = h.edges[h.edges.length - 1] ?? 1;
  const xScale = linearScale([lo, hi], [x0, x1], 4);
  const yScale = linearScale([0, Math.max(1, ...h.counts)], [y0, y1], 3);
  const parts = [svgOpen(f, title, `Histogram of ${h.counts.reduce((a, b) => a + b, 0)} latency samples in ${h.counts.length} bins.`)];
  parts.push(xAxis(f, xScale, formatMs, 'latency'));
  parts.push(yAxis(f, yScale, (v) => formatCount(v), 'runs'));
  h.counts.forEach((count, i) => {
    const a = xScale(h.edges[i] ?? lo);
    const b = xScale(h.edges[i + 1] ?? hi);
    const top = yScale(count);
    parts.push(
      `<rect class="bar" x="${n(a)}" y="${n(top)}" width="${n(Math.max(0.5, b - a - 0.5))}" height="${n(y0 - top)}" ` +
        `fill="${color(0)}" fill-opacity="0.7" />`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface VariantPoint {
  label: string;
  medianMs: number;
  /** A quality figure (e.g. top-1 agreement with fp32), null when not measured. */
  quality: number | null;
}

/**
 * Speed against quality for model variants (fp32, fp16, int8, …). Without quality figures
 * it is a bar chart of medians, so the section exists as soon as variants are measured.
 */
export function variantChart(points: readonly VariantPoint[], qualityLabel: string | null): string {
  const withQuality = points.filter((p) => p.quality !== null);
  if (qualityLabel && withQuality.length >= 2) {
    return lineChart(
      points
        .filter((p) => p.quality !== null)
        .map((p) => ({ label: p.label, points: [{ x: p.quality as number, y: p.medianMs, tag: p.label }] })),
      {
        title: 'Speed against quality per variant',
        xLabel: qualityLabel,
        yLabel: 'median latency',
        formatX: (v) => String(Number(v.toPrecision(3))),
        formatY: formatMs,
      },
    );
  }
  const left = Math.min(300, Math.max(120, ...points.map((p) => textWidth(p.label) + 10)));
  const f: Frame = { width: 680, height: 10 + X_AXIS_DEPTH + 22 * points.length, left, right: 60, top: 8, bottom: X_AXIS_DEPTH };
  const { x0, x1, y1 } = plotArea(f);
  const scale = linearScale([0, Math.max(...points.map((p) => p.medianMs), 0)], [x0, x1]);
  const parts = [svgOpen(f, 'Median latency per variant', `Median latency of ${points.length} model variants.`)];
  parts.push(xAxis(f, scale, formatMs, 'median latency'));
  points.forEach((p, i) => {
    const y = y1 + 4 + i * 22;
    parts.push(`<text x="${n(x0 - 6)}" y="${n(y + 12)}" text-anchor="end">${esc(p.label)}</text>`);
    parts.push(
      `<rect class="bar" x="${n(x0)}" y="${n(y + 3)}" width="${n(Math.max(1, scale(p.medianMs) - x0))}" height="14" ` +
        `fill="${color(i)}" fill-opacity="0.7" />`,
    );
    parts.push(`<text x="${n(scale(p.medianMs) + 4)}" y="${n(y + 14)}">${esc(formatMs(p.medianMs))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A point's dot as a box labels keep clear of. */
function dot(x: number, y: number): { x0: number; y0: number; x1: number; y1: number } {
  return { x0: x - 2.5, y0: y - 2.5, x1: x + 2.5, y1: y + 2.5 };
}

/** Where a point's tag may go, in order of preference: above right, below right, above left, below left. */
function tagCandidates(x: number, y: number): { x: number; y: number; anchor: 'start' | 'end' }[] {
  return [
    { x: x + 4, y: y - 4, anchor: 'start' },
    { x: x + 4, y: y + 12, anchor: 'start' },
    { x: x - 4, y: y - 4, anchor: 'end' },
    { x: x - 4, y: y + 12, anchor: 'end' },
  ];
}
