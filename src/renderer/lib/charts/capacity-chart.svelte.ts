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
  type Plugin,
  type PointStyle,
} from 'chart.js';
import type { Attachment } from 'svelte/attachments';
import { formatRps } from '../../../shared/advice/format';
import { formatCount, formatMs } from '../../../shared/stats/format';
import { latencyAxis, type CapacityChartData, type CapacityChartPoint } from '../logic/decide-verdict';
import { chartAttachment } from './attach.svelte';
import type { ChartTheme } from './theme';
import { whiskersPlugin, type WithWhiskers } from './whiskers';

Chart.register(ScatterController, PointElement, LineElement, LinearScale, LogarithmicScale, Legend, Tooltip);

type Role = 'setup' | 'target' | 'throughput';
type Dataset = ChartConfiguration<'scatter'>['data']['datasets'][number] & WithWhiskers & { role: Role; points?: CapacityChartPoint[] };

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
    chart.data.datasets.forEach((dataset, index) => {
      const { role, points } = dataset as Dataset;
      if (role !== 'setup' || !points || chart.getDatasetMeta(index).hidden) return;
      chart.getDatasetMeta(index).data.forEach((element, i) => {
        const point = points[i];
        if (point) ctx.fillText(`×${point.concurrency}`, element.x + 6, element.y - 3);
      });
    });
    ctx.restore();
  },
};

/** Names the target line at its right end, so the chart reads without the legend. */
const targetLabel: Plugin<'scatter'> = {
  id: 'inferscopeTargetLabel',
  afterDatasetsDraw(chart) {
    const { ctx, chartArea } = chart;
    chart.data.datasets.forEach((dataset, index) => {
      const { role } = dataset as Dataset;
      if (role === 'setup') return;
      const element = chart.getDatasetMeta(index).data[role === 'target' ? 1 : 0];
      if (!element) return;
      ctx.save();
      ctx.fillStyle = String(dataset.borderColor ?? '#b91c1c');
      ctx.font = `600 11px ${typeof chart.options.font?.family === 'string' ? chart.options.font.family : 'system-ui'}`;
      if (role === 'target') {
        ctx.textAlign = 'right';
        ctx.textBaseline = 'bottom';
        ctx.fillText(dataset.label ?? '', chartArea.right - 4, element.y - 3);
      } else {
        ctx.textAlign = 'left';
        ctx.textBaseline = 'top';
        ctx.fillText(dataset.label ?? '', element.x + 4, chartArea.top + 2);
      }
      ctx.restore();
    });
  },
};

function configure(data: CapacityChartData, theme: ChartTheme): ChartConfiguration<'scatter'> {
  const all = data.series.flatMap((series) => series.points);
  const latencies = all.flatMap((p) => [p.latencyMs, p.lowMs ?? p.latencyMs, p.highMs ?? p.latencyMs]);
  const y = latencyAxis(data.targetMs === null ? latencies : [...latencies, data.targetMs]);
  const xMax = Math.max(1, ...all.map((p) => p.throughputRps), data.targetRps ?? 0) * 1.12;
  const danger = cssColor('--danger', '#b91c1c');
  const muted = cssColor('--text-faint', '#8a93a0');

  const seenSlots = new Map<number, number>();
  const datasets: Dataset[] = data.series.map((series) => {
    const nth = seenSlots.get(series.slot) ?? 0;
    seenSlots.set(series.slot, nth + 1);
    const color = cssColor(`--ep-${series.slot}`, '#6366f1');
    return {
      role: 'setup',
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
    };
  });
  if (data.targetMs !== null) {
    datasets.push({
      role: 'target',
      label: `target ${data.latencyLabel.replace(' latency', '')} ≤ ${formatMs(data.targetMs)}`,
      data: [
        { x: 0, y: data.targetMs },
        { x: xMax, y: data.targetMs },
      ],
      showLine: true,
      borderColor: danger,
      borderWidth: 1.5,
      borderDash: [6, 4],
      pointRadius: 0,
      pointHoverRadius: 0,
    });
  }
  if (data.targetRps !== null) {
    datasets.push({
      role: 'throughput',
      label: `${formatRps(data.targetRps)} asked`,
      data: [
        { x: data.targetRps, y: y.min },
        { x: data.targetRps, y: y.max },
      ],
      showLine: true,
      borderColor: muted,
      borderWidth: 1,
      borderDash: [3, 3],
      pointRadius: 0,
      pointHoverRadius: 0,
    });
  }

  const tick = { color: theme.text, font: { family: theme.font } };
  return {
    type: 'scatter',
    data: { datasets },
    plugins: [whiskersPlugin as Plugin<'scatter'>, concurrencyLabels, targetLabel],
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
          max: xMax,
          grid: { color: theme.grid },
          border: { display: false },
          title: { display: true, text: 'throughput, requests per second (one instance)', ...tick },
          ticks: { ...tick, maxTicksLimit: 7, callback: (value) => formatCount(Number(value)) },
        },
        y: {
          type: y.type,
          min: y.min,
          max: y.max,
          grid: { color: theme.grid },
          border: { display: false },
          title: { display: true, text: `${data.latencyLabel} per request`, ...tick },
          ticks: {
            ...tick,
            maxTicksLimit: 8,
            // A log axis offers a tick at every 1–9 × 10ⁿ: decades only keep it legible.
            callback: (value) => {
              const v = Number(value);
              if (y.type === 'logarithmic' && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) > 1e-9) return '';
              return formatMs(v);
            },
          },
        },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            color: theme.text,
            font: { family: theme.font, size: 12 },
            usePointStyle: true,
            boxHeight: 7,
            filter: (item, chartData) => (chartData.datasets[item.datasetIndex ?? -1] as Dataset | undefined)?.role === 'setup',
          },
        },
        tooltip: {
          titleFont: { family: theme.font },
          bodyFont: { family: theme.font },
          filter: (item) => (item.dataset as Dataset).role === 'setup',
          callbacks: {
            title: (items) => (items[0]?.dataset.label ?? ''),
            label: (item) => {
              const point = (item.dataset as Dataset).points?.[item.dataIndex];
              if (!point) return '';
              const ci = point.lowMs !== null && point.highMs !== null ? ` (95 % CI ${formatMs(point.lowMs)}–${formatMs(point.highMs)})` : '';
              const status = point.status ? ` · ${point.status}` : '';
              return `${point.concurrency} in flight: ${data.latencyLabel.replace(' latency', '')} ${formatMs(point.latencyMs)}${ci} at ${formatRps(point.throughputRps)}${status}`;
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
