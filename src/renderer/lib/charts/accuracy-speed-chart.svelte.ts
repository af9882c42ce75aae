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
  type ScatterDataPoint,
} from 'chart.js';
import type { Attachment } from 'svelte/attachments';
import { formatMs } from '../../../shared/stats/format';
import type { AccuracySpeedData } from '../logic/quantize-compare';
import { SQNR_FAIR_DB, SQNR_GOOD_DB } from '../logic/quantize-quality';
import { chartAttachment } from './attach.svelte';
import { chartText, tooltipFonts, valueAxisLines, type ChartTheme } from './theme';

Chart.register(ScatterController, PointElement, LineElement, LinearScale, LogarithmicScale, Legend, Tooltip);

/** Identical outputs have no SQNR: they are drawn this far above the best measured one. */
const IDENTICAL_HEADROOM_DB = 8;
/** Latencies spanning more than this factor (CPU µs beside a software GPU's ms) get a log axis. */
const LOG_AXIS_SPAN = 20;

interface PointMeta {
  label: string;
  epLabel: string;
  medianMs: number;
  sqnrDb: number | null;
}

type Dataset = ChartConfiguration<'scatter'>['data']['datasets'][number] & {
  meta?: PointMeta[];
  role: 'points' | 'original' | 'threshold';
};

/** Provider colours live in app.css (--ep-0 … --ep-4) beside the rest of the palette. */
function epColor(slot: number): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--ep-${slot}`).trim() || '#6366f1';
}

/** Writes each variant's name beside its point: with a handful of points, labels beat a legend. */
const pointLabels: Plugin<'scatter'> = {
  id: 'inferscopePointLabels',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    const color = String(chart.options.color ?? '#5d6673');
    ctx.fillStyle = color;
    ctx.font = `11px ${typeof chart.options.font?.family === 'string' ? chart.options.font.family : 'system-ui'}`;
    ctx.textBaseline = 'middle';
    const placed: { left: number; right: number; top: number; bottom: number }[] = [];
    const overlaps = (box: (typeof placed)[number]) =>
      placed.some((other) => box.left < other.right && box.right > other.left && box.top < other.bottom && box.bottom > other.top);
    chart.data.datasets.forEach((dataset, index) => {
      const meta = (dataset as Dataset).meta;
      if (!meta || (dataset as Dataset).role !== 'points') return;
      chart.getDatasetMeta(index).data.forEach((element, i) => {
        const label = meta[i]?.label;
        if (!label) return;
        const width = ctx.measureText(label).width;
        // Right of the point unless that runs off the chart; then left of it.
        const toLeft = element.x + 8 + width > chart.width;
        const left = toLeft ? element.x - 8 - width : element.x + 8;
        // Points close together (similar speed and SQNR) would write over each other: step down.
        let y = element.y;
        for (let step = 0; step < 6; step++) {
          const box = { left, right: left + width, top: y - 7, bottom: y + 7 };
          if (!overlaps(box)) break;
          y += 14;
        }
        placed.push({ left, right: left + width, top: y - 7, bottom: y + 7 });
        ctx.textAlign = 'left';
        ctx.fillText(label, left, y);
      });
    });
    ctx.restore();
  },
};

interface Axes {
  identicalAt: number;
  yMin: number;
  yMax: number;
  xMin: number;
  xMax: number;
  logarithmic: boolean;
}

/** Room for every point and the original's lines; "identical outputs" drawn above the best SQNR. */
function axesFor(data: AccuracySpeedData): Axes {
  const measured = data.points.map((p) => p.sqnrDb).filter((db): db is number => db !== null);
  const top = Math.max(SQNR_GOOD_DB + 10, ...measured.map((db) => db + 5));
  const identicalAt = Math.max(...measured, SQNR_GOOD_DB) + IDENTICAL_HEADROOM_DB;
  const yMax = Math.ceil(Math.max(top, identicalAt + 4) / 10) * 10;
  const yMin = Math.min(0, Math.floor(Math.min(...measured, 0) / 10) * 10);
  const xs = [...data.points.map((p) => p.medianMs), ...data.originals.map((o) => o.medianMs)];
  const xMin = xs.length ? Math.min(...xs) * 0.8 : 0;
  const xMax = xs.length ? Math.max(...xs) * 1.2 : 1;
  return { identicalAt, yMin, yMax, xMin, xMax, logarithmic: xMin > 0 && xMax / xMin > LOG_AXIS_SPAN };
}

/** One scatter per provider, a dashed line per original, and the quality thresholds. */
function datasetsFor(data: AccuracySpeedData, axes: Axes, theme: ChartTheme): Dataset[] {
  const { identicalAt, yMin, yMax, xMin, xMax } = axes;
  const datasets: Dataset[] = [];
  for (const ep of new Set(data.points.map((point) => point.ep))) {
    const points = data.points.filter((point) => point.ep === ep);
    const color = epColor(points[0]?.slot ?? 0);
    datasets.push({
      role: 'points',
      label: points[0]?.epLabel ?? ep,
      data: points.map((p): ScatterDataPoint => ({ x: p.medianMs, y: p.sqnrDb ?? identicalAt })),
      meta: points.map((p) => ({ label: p.label, epLabel: p.epLabel, medianMs: p.medianMs, sqnrDb: p.sqnrDb })),
      backgroundColor: color,
      borderColor: color,
      pointStyle: points.map((p) => (p.sqnrDb === null ? 'triangle' : 'circle')),
      pointRadius: 5,
      pointHoverRadius: 7,
    });
  }
  for (const original of data.originals) {
    const color = epColor(original.slot);
    datasets.push({
      role: 'original',
      label: `Original on ${original.epLabel}`,
      data: [
        { x: original.medianMs, y: yMin },
        { x: original.medianMs, y: yMax },
      ],
      showLine: true,
      borderColor: color,
      borderWidth: 1.5,
      borderDash: [5, 4],
      pointRadius: 0,
      pointHoverRadius: 0,
    });
  }
  for (const db of [SQNR_FAIR_DB, SQNR_GOOD_DB]) {
    datasets.push({
      role: 'threshold',
      label: `${db} dB`,
      data: [
        { x: xMin, y: db },
        { x: xMax, y: db },
      ],
      showLine: true,
      borderColor: theme.grid,
      borderWidth: 2,
      pointRadius: 0,
      pointHoverRadius: 0,
    });
  }
  return datasets;
}

function configure(data: AccuracySpeedData, theme: ChartTheme): ChartConfiguration<'scatter'> {
  const axes = axesFor(data);
  const { yMin, yMax, xMin, xMax, logarithmic } = axes;
  const datasets = datasetsFor(data, axes, theme);
  const eps = new Set(data.points.map((point) => point.ep));

  return {
    type: 'scatter',
    data: { datasets },
    plugins: [pointLabels],
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      color: theme.text,
      font: { family: theme.font },
      layout: { padding: { right: 12, top: 8 } },
      scales: {
        x: {
          type: logarithmic ? 'logarithmic' : 'linear',
          min: xMin,
          max: xMax,
          ...valueAxisLines(theme),
          title: {
            display: true,
            text: logarithmic ? 'median latency, log scale (left is faster)' : 'median latency (left is faster)',
            ...chartText(theme),
          },
          ticks: { ...chartText(theme), maxTicksLimit: 6, callback: (value) => formatMs(Number(value)) },
        },
        y: {
          type: 'linear',
          min: yMin,
          max: yMax,
          ...valueAxisLines(theme),
          title: { display: true, text: 'SQNR, worst output (up is closer)', ...chartText(theme) },
          ticks: {
            color: theme.text,
            font: { family: theme.font },
            maxTicksLimit: 6,
            callback: (value) => `${Number(value)} dB`,
          },
        },
      },
      plugins: {
        // One entry per provider: the points' colour says where they were measured.
        legend: {
          display: eps.size > 1,
          position: 'bottom',
          labels: {
            color: theme.text,
            font: { family: theme.font },
            usePointStyle: true,
            pointStyle: 'circle',
            filter: (item, chartData) => (chartData.datasets[item.datasetIndex ?? -1] as Dataset | undefined)?.role === 'points',
          },
        },
        tooltip: {
          ...tooltipFonts(theme),
          filter: (item) => (item.dataset as Dataset).role !== 'threshold',
          callbacks: {
            title: (items) => {
              const item = items[0];
              if (!item) return '';
              const dataset = item.dataset as Dataset;
              return dataset.role === 'points' ? (dataset.meta?.[item.dataIndex]?.label ?? '') : (dataset.label ?? '');
            },
            label: (item) => {
              const dataset = item.dataset as Dataset;
              const meta = dataset.meta?.[item.dataIndex];
              if (!meta) return formatMs(item.parsed.x ?? 0);
              const sqnr = meta.sqnrDb === null ? 'identical outputs' : `SQNR ${meta.sqnrDb.toFixed(1)} dB`;
              return `${meta.epLabel}: ${formatMs(meta.medianMs)} · ${sqnr}`;
            },
          },
        },
      },
    },
  };
}

/**
 * Accuracy against speed: each variant at its median latency and worst-output SQNR, the
 * original's latency as a dashed line per provider, and the 20 / 30 dB quality lines.
 * `<canvas {@attach accuracySpeedChart(() => data)}>`.
 */
export function accuracySpeedChart(getData: () => AccuracySpeedData): Attachment<HTMLCanvasElement> {
  return chartAttachment(getData, configure);
}
