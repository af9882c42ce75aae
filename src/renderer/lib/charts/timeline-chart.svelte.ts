import {
  Chart,
  LinearScale,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
  type ScatterDataPoint,
} from 'chart.js';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { formatMs } from '../../../shared/stats/format';
import type { RunTimeline, TimelinePoint } from '../../../shared/domain/run-timeline';
import { chartAttachment } from './attach.svelte';
import { chartText, tooltipFonts, valueAxisLines, type ChartTheme } from './theme';

Chart.register(ScatterController, PointElement, LineElement, LinearScale, Tooltip);

export interface TimelineChartData {
  timeline: RunTimeline;
  /** Where the latency axis ends; slower samples are drawn on the edge as triangles. */
  capMs: number | null;
}

/** Seconds as the axis and tooltips show them: "12 s", "1.5 s", "250 ms", "−0.8 s" for the warm-up. */
function formatSeconds(s: number): string {
  if (s === 0) return '0 s';
  const sign = s < 0 ? '−' : '';
  const abs = Math.abs(s);
  if (abs < 1) return sign + formatMs(abs * 1000);
  return `${sign}${abs.toFixed(abs < 10 ? 1 : 0)} s`;
}

interface TimelineRef {
  data: TimelineChartData;
  /** The theme of the newest configure: the marks plugin is created once, with the chart. */
  theme: ChartTheme;
}

function clip(points: readonly TimelinePoint[], cap: number): { inside: ScatterDataPoint[]; above: ScatterDataPoint[] } {
  const inside: ScatterDataPoint[] = [];
  const above: ScatterDataPoint[] = [];
  for (const point of points) {
    if (point.y > cap) above.push({ x: point.x, y: cap });
    else inside.push(point);
  }
  return { inside, above };
}

/** The shaded warm-up before 0 and a dashed line with its name where each repetition (a fresh process) begins. */
function marksPlugin(ref: TimelineRef): Plugin<'scatter'> {
  return {
    id: 'inferscopeTimelineMarks',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: area, scales } = chart;
      const x = scales['x'];
      if (!x) return;
      const { warmupS, boundaries } = ref.data.timeline;
      const theme = ref.theme;
      ctx.save();
      ctx.font = `11px ${theme.font}`;
      ctx.textBaseline = 'top';
      if (warmupS !== null) {
        const left = x.getPixelForValue(-warmupS);
        const right = x.getPixelForValue(0);
        ctx.fillStyle = theme.grid;
        ctx.globalAlpha = 0.7;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.globalAlpha = 1;
        ctx.fillStyle = theme.text;
        if (right - left > 44) ctx.fillText('warm-up', left + 4, area.top + 3);
      }
      ctx.strokeStyle = theme.text;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      for (const boundary of boundaries) {
        const at = Math.round(x.getPixelForValue(boundary.atS)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(at, area.top);
        ctx.lineTo(at, area.bottom);
        ctx.stroke();
        ctx.fillStyle = theme.text;
        ctx.fillText(`repetition ${boundary.index}`, at + 4, area.top + 3);
      }
      ctx.restore();
    },
  };
}

/**
 * Latency against time since measuring began: a line of slice medians (or every sample, when
 * few) with each slice's slowest sample as a faint dot, so a level that creeps up (throttling)
 * and single spikes both show; the warm-up is a band before 0 and repetitions are marked.
 */
function configureTimeline(ref: TimelineRef): ChartConfiguration<'scatter'> {
  const theme = ref.theme;
  const { timeline, capMs } = ref.data;
  const cap = capMs ?? Infinity;
  const line = clip(timeline.line, cap);
  const peaks = clip(timeline.peaks, cap);
  const datasets: ChartConfiguration<'scatter'>['data']['datasets'] = [
    {
      label: timeline.bucketed ? 'Median' : 'Sample',
      data: line.inside,
      showLine: timeline.bucketed,
      borderColor: theme.bar,
      backgroundColor: theme.point,
      borderWidth: 1.5,
      pointRadius: timeline.bucketed ? 0 : 2.2,
      pointHoverRadius: 3.5,
    },
    {
      label: 'Slowest',
      data: peaks.inside,
      backgroundColor: theme.point,
      borderWidth: 0,
      pointRadius: 1.6,
      pointHoverRadius: 3,
    },
    {
      // Most slices of a long run have a sample past p95: faint, so they do not hide the line.
      label: 'Slowest beyond the axis',
      data: peaks.above,
      backgroundColor: theme.point,
      borderWidth: 0,
      pointStyle: 'triangle',
      pointRadius: 2,
      pointHoverRadius: 3,
    },
    {
      label: 'Beyond the axis',
      data: line.above,
      backgroundColor: theme.outlier,
      borderWidth: 0,
      pointStyle: 'triangle',
      pointRadius: 3,
      pointHoverRadius: 4,
    },
  ];
  return {
    type: 'scatter',
    data: { datasets },
    plugins: [marksPlugin(ref)],
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      normalized: true,
      scales: {
        x: {
          type: 'linear',
          min: -(timeline.warmupS ?? 0),
          max: Math.max(timeline.endS, 1e-6),
          ...valueAxisLines(theme),
          title: { display: true, text: 'time since measuring began', ...chartText(theme) },
          ticks: { ...chartText(theme), maxTicksLimit: 9, callback: (value) => formatSeconds(Number(value)) },
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
          callbacks: {
            title: (items) => `At ${formatSeconds(items[0]?.parsed.x ?? 0)}`,
            label: (item) => {
              const y = formatMs(item.parsed.y ?? 0);
              if (item.dataset.label === 'Beyond the axis') return `beyond the axis (${y} or more)`;
              if (item.dataset.label === 'Slowest beyond the axis') return `slowest in this slice: beyond the axis (${y} or more)`;
              if (item.dataset.label === 'Slowest') return `slowest in this slice: ${y}`;
              return item.dataset.label === 'Median' ? `median of this slice: ${y}` : y;
            },
          },
        },
      },
    },
  };
}

/** A configuration's measuring over time: `<canvas {@attach timelineChart(() => data)}>`. */
export function timelineChart(getData: () => TimelineChartData): Attachment<HTMLCanvasElement> {
  // The theme is read when the chart is configured, before anything is drawn.
  const ref = { data: untrack(getData) } as TimelineRef;
  return chartAttachment<'scatter', TimelineChartData>(getData, (data, theme) => configureTimeline(Object.assign(ref, { data, theme })));
}
