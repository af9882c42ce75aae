import {
  Chart,
  Legend,
  LinearScale,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
  type Plugin,
  type PointStyle,
} from 'chart.js';
import type { Attachment } from 'svelte/attachments';
import { formatRps } from '../../../shared/advice/format';
import { formatCount, formatMs } from '../../../shared/stats/format';
import { latencyAxis, type CapacityChartData, type CapacityChartPoint } from '../logic/decide-verdict';
import { chartAttachment } from './attach.svelte';
import { chartText, tooltipFonts, valueAxisLines, type ChartTheme } from './theme';
import { whiskersPlugin, type WithWhiskers } from './whiskers';

Chart.register(ScatterController, PointElement, LineElement, LinearScale, LogarithmicScale, Legend, Tooltip);

type Dataset = ChartConfiguration<'scatter'>['data']['datasets'][number] & WithWhiskers & { points?: CapacityChartPoint[] };

/** The requirement drawn over the curves; plugin options follow every update, unlike the plugin list. */
interface TargetLinesOptions {
  latencyMs: number | null;
  latencyLabel: string;
  rps: number | null;
  rpsLabel: string;
  latencyColor: string;
  rpsColor: string;
}

declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- merging with Chart.js's interface needs its own type parameter
  interface PluginOptionsByType<TType extends ChartType> {
    inferscopeTargets?: TargetLinesOptions;
  }
}

/** Setups on the same provider share its colour; the shape and dash tell them apart. */
const POINT_STYLES: PointStyle[] = ['circle', 'rect', 'triangle', 'rectRot', 'star'];
const DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

/** Provider and status colours live in app.css beside the rest of the palette. */
function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Writes each level's concurrency beside its point ("×4"): the curve walks up in load. */
const concurrencyLabels: Plugin<'scatter'> = {
  id: 'inferscopeConcurrencyLabels',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = String(chart.options.color ?? '#5d6673');
    ctx.font = `10.5px ${typeof chart.options.font?.family === 'string' ? chart.options.font.family : 'system-ui'}`;
    ctx.textBaseline = 'bottom';
    // Levels that serve about the same land on top of each other: their labels would too.
    const drawn: { x: number; y: number }[] = [];
    chart.data.datasets.forEach((dataset, index) => {
      const { points } = dataset as Dataset;
      if (!points || chart.getDatasetMeta(index).hidden) return;
      chart.getDatasetMeta(index).data.forEach((element, i) => {
        const point = points[i];
        if (!point || drawn.some((at) => Math.abs(at.x - element.x) < 18 && Math.abs(at.y - element.y) < 12)) return;
        drawn.push({ x: element.x, y: element.y });
        ctx.fillText(`×${point.concurrency}`, element.x + 6, element.y - 3);
      });
    });
    ctx.restore();
  },
};

/** The latency target across the chart and the throughput asked for upright, each named at its end. */
const targetLines: Plugin<'scatter', TargetLinesOptions> = {
  id: 'inferscopeTargets',
  beforeDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea, scales } = chart;
    const font = typeof chart.options.font?.family === 'string' ? chart.options.font.family : 'system-ui';
    ctx.save();
    ctx.font = `600 11px ${font}`;
    if (options.latencyMs !== null && scales.y) {
      const y = scales.y.getPixelForValue(options.latencyMs);
      ctx.strokeStyle = ctx.fillStyle = options.latencyColor;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(chartArea.left, y);
      ctx.lineTo(chartArea.right, y);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(options.latencyLabel, chartArea.right - 4, y - 3);
    }
    if (options.rps !== null && scales.x) {
      const x = scales.x.getPixelForValue(options.rps);
      ctx.strokeStyle = ctx.fillStyle = options.rpsColor;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(options.rpsLabel, x + 4, chartArea.top + 3);
    }
    ctx.restore();
  },
};

function isDecade(value: number): boolean {
  return Math.abs(Math.log10(value) - Math.round(Math.log10(value))) < 1e-9;
}

function configure(data: CapacityChartData, theme: ChartTheme): ChartConfiguration<'scatter'> {
  const all = data.series.flatMap((series) => series.points);
  const latencies = all.flatMap((p) => [p.latencyMs, p.lowMs ?? p.latencyMs, p.highMs ?? p.latencyMs]);
  const y = latencyAxis(data.targetMs === null ? latencies : [...latencies, data.targetMs]);
  const xMax = Math.max(1, ...all.map((p) => p.throughputRps), data.targetRps ?? 0) * 1.1;

  const datasets: Dataset[] = data.series.map((series, index) => {
    const nth = data.series.slice(0, index).filter((other) => other.slot === series.slot).length;
    const color = cssColor(`--ep-${series.slot}`, '#6366f1');
    return {
      label: series.cheapest ? `${series.label} (cheapest)` : series.label,
      points: series.points,
      data: series.points.map((p) => ({ x: p.throughputRps, y: p.latencyMs })),
      whiskers: series.points.map((p) => (p.lowMs === null || p.highMs === null ? null : { low: p.lowMs, high: p.highMs })),
      whiskerColor: color,
      showLine: true,
      borderColor: color,
      backgroundColor: series.points.map((p) => (p.status === 'fails' ? 'transparent' : color)),
      borderWidth: series.cheapest ? 2.5 : 1.5,
      borderDash: DASHES[nth % DASHES.length] ?? [],
      pointStyle: POINT_STYLES[nth % POINT_STYLES.length] ?? 'circle',
      pointBorderColor: color,
      pointBorderWidth: 1.5,
      pointRadius: 4.5,
      pointHoverRadius: 6,
      // A level at the axis' edge (a slow setup near 0 req/s) is drawn whole, not cut in half.
      clip: 8,
    };
  });
  const tick = chartText(theme);
  return {
    type: 'scatter',
    data: { datasets },
    plugins: [whiskersPlugin as Plugin<'scatter'>, concurrencyLabels, targetLines as Plugin<'scatter'>],
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      color: theme.text,
      font: { family: theme.font },
      layout: { padding: { right: 16, top: 4 } },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          suggestedMax: xMax,
          ...valueAxisLines(theme),
          title: { display: true, text: 'throughput, requests per second (one instance)', ...tick },
          ticks: { ...tick, maxTicksLimit: 7, callback: (value) => formatCount(Number(value)) },
        },
        y: {
          type: y.type,
          min: y.min,
          max: y.max,
          ...valueAxisLines(theme),
          title: { display: true, text: `${data.latencyLabel} per request`, ...tick },
          // A log axis offers a tick (and a grid line) at every 1–9 × 10ⁿ: decades keep it legible.
          afterBuildTicks: (scale) => {
            if (y.type === 'logarithmic') scale.ticks = scale.ticks.filter((t) => isDecade(t.value));
          },
          ticks: { ...tick, maxTicksLimit: 8, callback: (value) => formatMs(Number(value)) },
        },
      },
      plugins: {
        inferscopeTargets: {
          latencyMs: data.targetMs,
          latencyLabel: data.targetMs === null ? '' : `target ${data.latencyLabel.replace(' latency', '')} ≤ ${formatMs(data.targetMs)}`,
          rps: data.targetRps,
          rpsLabel: data.targetRps === null ? '' : `${formatRps(data.targetRps)} asked`,
          latencyColor: cssColor('--danger', '#b91c1c'),
          rpsColor: cssColor('--text-faint', '#8a93a0'),
        },
        legend: {
          position: 'bottom',
          labels: {
            color: theme.text,
            font: { family: theme.font, size: 12 },
            usePointStyle: true,
            boxHeight: 7,
          },
        },
        tooltip: {
          ...tooltipFonts(theme),
          callbacks: {
            title: (items) => items[0]?.dataset.label ?? '',
            label: (item) => {
              const point = (item.dataset as Dataset).points?.[item.dataIndex];
              if (!point) return '';
              const ci =
                point.lowMs !== null && point.highMs !== null ? ` (95 % CI ${formatMs(point.lowMs)}–${formatMs(point.highMs)})` : '';
              const status = point.status ? ` · ${point.status}` : '';
              return (
                `${point.concurrency} in flight: ${data.latencyLabel.replace(' latency', '')} ` +
                `${formatMs(point.latencyMs)}${ci} at ${formatRps(point.throughputRps)}${status}`
              );
            },
          },
        },
      },
    },
  };
}

/**
 * Latency against throughput for every setup, one point per measured concurrency, with the
 * percentile's 95 % CI as whiskers and the latency target drawn across:
 * `<canvas {@attach capacityChart(() => data)}>`.
 */
export function capacityChart(getData: () => CapacityChartData): Attachment<HTMLCanvasElement> {
  return chartAttachment(getData, configure);
}
