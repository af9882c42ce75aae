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
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { formatCount, formatMs } from '../../../shared/stats/format';
import type { LatencyHistogram, SamplePoints } from '../../../shared/stats/latency-series';
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

/** What a scatter chart's datasets and axes show for `data`; recomputed on every update. */
interface ScatterView {
  inside: ScatterDataPoint[];
  above: ScatterDataPoint[];
  median: ScatterDataPoint[];
  lastIndex: number;
  cap: number;
  radius: number;
}

function scatterView(data: LatencyScatterData): ScatterView {
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
  const median =
    data.medianMs !== undefined && data.medianMs !== null
      ? [
          { x: 0, y: data.medianMs },
          { x: lastIndex, y: data.medianMs },
        ]
      : [];
  // A few hundred points can be big; thousands must be small to stay a cloud rather than a smear.
  return { inside, above, median, lastIndex, cap, radius: index.length < 500 ? 2.4 : 1.6 };
}

/**
 * Latency of every shown sample against its position in the run: drift, warm-up left-overs,
 * periodic hiccups and thermal throttling are visible here and nowhere else. Its three datasets
 * (samples, samples beyond the axis, median) always exist, so a live update only swaps their points.
 */
function configureScatter(ref: { data: LatencyScatterData }, theme: ChartTheme): ChartConfiguration<'scatter'> {
  const view = scatterView(ref.data);
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'Sample',
          data: view.inside,
          backgroundColor: theme.point,
          borderWidth: 0,
          pointRadius: view.radius,
          pointHoverRadius: view.radius + 1.5,
        },
        {
          label: 'Beyond the axis',
          data: view.above,
          backgroundColor: theme.outlier,
          borderWidth: 0,
          pointStyle: 'triangle',
          pointRadius: 3,
          pointHoverRadius: 4,
        },
        {
          label: 'Median',
          data: view.median,
          showLine: true,
          borderColor: theme.line,
          borderWidth: 1,
          borderDash: [4, 3],
          pointRadius: 0,
          pointHoverRadius: 0,
        },
      ],
    },
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
          max: view.lastIndex,
          ...valueAxisLines(theme),
          title: { display: true, text: 'sample', ...chartText(theme) },
          ticks: { ...chartText(theme), maxTicksLimit: 8, callback: (value) => formatCount(Number(value)) },
        },
        y: {
          type: 'linear',
          beginAtZero: false,
          ...(Number.isFinite(view.cap) ? { max: view.cap } : {}),
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
            label: (item) => {
              const points = ref.data.points;
              return item.dataset.label === 'Beyond the axis'
                ? `${formatMs(points.ms[points.index.indexOf(item.parsed.x ?? -1)] ?? item.parsed.y ?? 0)} (beyond the axis)`
                : formatMs(item.parsed.y ?? 0);
            },
          },
        },
      },
    },
  };
}

/** Puts new points into the scatter's datasets and moves its axis ends; nothing else is resolved again. */
function patchScatter(chart: Chart<'scatter'>, data: LatencyScatterData): boolean {
  const [samples, above, median] = chart.data.datasets;
  const x = chart.options.scales?.['x'];
  const y = chart.options.scales?.['y'];
  if (!samples || !above || !median || !x || !y) return false;
  const view = scatterView(data);
  samples.data = view.inside;
  samples.pointRadius = view.radius;
  samples.pointHoverRadius = view.radius + 1.5;
  above.data = view.above;
  median.data = view.median;
  x.max = view.lastIndex;
  y.max = Number.isFinite(view.cap) ? view.cap : undefined;
  return true;
}

/** Latency of each sample over the run: `<canvas {@attach latencyScatterChart(() => data)}>`. */
export function latencyScatterChart(getData: () => LatencyScatterData): Attachment<HTMLCanvasElement> {
  const ref = { data: untrack(getData) };
  return chartAttachment<'scatter', LatencyScatterData>(
    getData,
    (data, theme) => configureScatter(Object.assign(ref, { data }), theme),
    (chart, data) => {
      ref.data = data;
      return patchScatter(chart, data);
    },
  );
}

/** Labels, counts and colors of the histogram's bars, the tail last. */
function histogramBars(data: LatencyHistogram, theme: ChartTheme): { labels: string[]; values: number[]; colors: string[] } {
  const labels = data.bins.map((bin) => formatMs((bin.fromMs + bin.toMs) / 2));
  const values = data.bins.map((bin) => bin.count);
  const colors = data.bins.map(() => theme.bar);
  if (data.above) {
    labels.push(`> ${formatMs(data.above.fromMs)}`);
    values.push(data.above.count);
    colors.push(theme.outlier);
  }
  return { labels, values, colors };
}

function configureHistogram(ref: { data: LatencyHistogram }, theme: ChartTheme): ChartConfiguration<'bar', number[], string> {
  const { labels, values, colors } = histogramBars(ref.data, theme);
  const rangeOf = (index: number): string => {
    const data = ref.data;
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
          // Labels are alike in width: measuring a few is enough (measuring all is most of an update).
          ticks: { ...chartText(theme), maxRotation: 0, autoSkip: true, maxTicksLimit: 7, sampleSize: 8 },
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
              const total = ref.data.total;
              const count = item.parsed.y ?? 0;
              const share = total > 0 ? ` (${((count / total) * 100).toFixed(1)} %)` : '';
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
  const ref = { data: untrack(getData) };
  let theme: ChartTheme | null = null;
  return chartAttachment<'bar', LatencyHistogram>(
    getData,
    (data, next) => {
      theme = next;
      return configureHistogram(Object.assign(ref, { data }), next) as unknown as ChartConfiguration<'bar'>;
    },
    (chart, data) => {
      const dataset = chart.data.datasets[0];
      if (!theme || !dataset) return false;
      ref.data = data;
      const { labels, values, colors } = histogramBars(data, theme);
      chart.data.labels = labels;
      dataset.data = values;
      dataset.backgroundColor = colors;
      return true;
    },
  );
}
