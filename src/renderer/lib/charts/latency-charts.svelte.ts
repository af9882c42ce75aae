import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ScatterDataPoint,
} from 'chart.js';
import type { Attachment } from 'svelte/attachments';
import { formatCount, formatMs } from '../../../shared/stats/format';
import type { LatencyHistogram, SamplePoints } from '../logic/latency-series';
import { chartAttachment } from './attach.svelte';
import { categoryAxisLines, chartText, tooltipFonts, valueAxisLines, type ChartTheme } from './theme';

Chart.register(ScatterController, PointElement, LineElement, LinearScale, BarController, BarElement, CategoryScale, Tooltip);

export interface LatencyScatterData {
  points: SamplePoints;
  /** Where the latency axis ends; samples above it are drawn on the edge as triangles. */
  capMs: number | null;
  /** Drawn as a horizontal line across the chart. */
  medianMs?: number | null;
}

/**
 * Latency of every shown sample against its position in the run: drift, warm-up left-overs,
 * periodic hiccups and thermal throttling are visible here and nowhere else.
 */
function configureScatter(data: LatencyScatterData, theme: ChartTheme): ChartConfiguration<'scatter'> {
  const cap = data.capMs ?? Infinity;
  const inside: ScatterDataPoint[] = [];
  const above: ScatterDataPoint[] = [];
  const { index, ms } = data.points;
  for (let i = 0; i < index.length; i++) {
    const y = ms[i] as number;
    if (y > cap) above.push({ x: index[i] as number, y: cap });
    else inside.push({ x: index[i] as number, y });
  }
  const lastIndex = Math.max(1, data.points.total - 1);
  // A few hundred points can be big; thousands must be small to stay a cloud rather than a smear.
  const radius = index.length < 500 ? 2.4 : 1.6;
  const datasets: ChartConfiguration<'scatter'>['data']['datasets'] = [
    {
      label: 'Sample',
      data: inside,
      backgroundColor: theme.point,
      borderWidth: 0,
      pointRadius: radius,
      pointHoverRadius: radius + 1.5,
    },
  ];
  if (above.length > 0) {
    datasets.push({
      label: 'Beyond the axis',
      data: above,
      backgroundColor: theme.outlier,
      borderWidth: 0,
      pointStyle: 'triangle',
      pointRadius: 3,
      pointHoverRadius: 4,
    });
  }
  if (data.medianMs !== undefined && data.medianMs !== null) {
    datasets.push({
      label: 'Median',
      data: [
        { x: 0, y: data.medianMs },
        { x: lastIndex, y: data.medianMs },
      ],
      showLine: true,
      borderColor: theme.line,
      borderWidth: 1,
      borderDash: [4, 3],
      pointRadius: 0,
      pointHoverRadius: 0,
    });
  }
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      normalized: true,
      scales: {
        x: {
          type: 'linear',
          min: 0,
          max: lastIndex,
          ...valueAxisLines(theme),
          title: { display: true, text: 'sample', ...chartText(theme) },
          ticks: { ...chartText(theme), maxTicksLimit: 8, callback: (value) => formatCount(Number(value)) },
        },
        y: {
          type: 'linear',
          beginAtZero: false,
          ...(Number.isFinite(cap) ? { max: cap } : {}),
          ...valueAxisLines(theme),
          ticks: { ...chartText(theme), maxTicksLimit: 6, callback: (value) => formatMs(Number(value)) },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          ...tooltipFonts(theme),
          filter: (item) => item.dataset.label !== 'Median',
          callbacks: {
            title: (items) => `Sample ${formatCount((items[0]?.parsed.x ?? 0) + 1)}`,
            label: (item) =>
              item.dataset.label === 'Beyond the axis'
                ? `${formatMs(data.points.ms[data.points.index.indexOf(item.parsed.x ?? -1)] ?? cap)} (beyond the axis)`
                : formatMs(item.parsed.y ?? 0),
          },
        },
      },
    },
  };
}

/** Latency of each sample over the run: `<canvas {@attach latencyScatterChart(() => data)}>`. */
export function latencyScatterChart(getData: () => LatencyScatterData): Attachment<HTMLCanvasElement> {
  return chartAttachment(getData, configureScatter);
}

function configureHistogram(data: LatencyHistogram, theme: ChartTheme): ChartConfiguration<'bar', number[], string> {
  const labels = data.bins.map((bin) => formatMs((bin.fromMs + bin.toMs) / 2));
  const values = data.bins.map((bin) => bin.count);
  const colors = data.bins.map(() => theme.bar);
  if (data.above) {
    labels.push(`> ${formatMs(data.above.fromMs)}`);
    values.push(data.above.count);
    colors.push(theme.outlier);
  }
  const rangeOf = (index: number): string => {
    const bin = data.bins[index];
    if (bin) return `${formatMs(bin.fromMs)} – ${formatMs(bin.toMs)}`;
    return data.above ? `above ${formatMs(data.above.fromMs)}` : '';
  };
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [{ data: values, backgroundColor: colors, borderRadius: 2, barPercentage: 1, categoryPercentage: 0.92 }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: {
          ...categoryAxisLines(theme),
          ticks: { ...chartText(theme), maxRotation: 0, autoSkip: true, maxTicksLimit: 7 },
        },
        y: {
          beginAtZero: true,
          ...valueAxisLines(theme),
          ticks: { ...chartText(theme), precision: 0, maxTicksLimit: 5, callback: (value) => formatCount(Number(value)) },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          ...tooltipFonts(theme),
          callbacks: {
            title: (items) => rangeOf(items[0]?.dataIndex ?? 0),
            label: (item) => {
              const count = item.parsed.y ?? 0;
              const share = data.total > 0 ? ` (${((count / data.total) * 100).toFixed(1)} %)` : '';
              return `${formatCount(count)} sample${count === 1 ? '' : 's'}${share}`;
            },
          },
        },
      },
    },
  };
}

/** How often each latency occurred: `<canvas {@attach latencyHistogramChart(() => histogram)}>`. */
export function latencyHistogramChart(getData: () => LatencyHistogram): Attachment<HTMLCanvasElement> {
  return chartAttachment(getData, configureHistogram);
}
